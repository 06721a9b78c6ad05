import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Where a page of a connection ends, for fetching the next one.' })
export class PageInfo {
  @Field({ description: 'True when more items follow this page.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page; null on an empty page.' })
  endCursor!: string | null;
}

/** Builds the `edges` / `pageInfo` pair shared by every connection type from a service page. */
export function edgesOf<T>(page: { items: T[]; hasNextPage: boolean; cursorOf(item: T): string }) {
  const edges = page.items.map((node) => ({ cursor: page.cursorOf(node), node }));
  const pageInfo: PageInfo = { hasNextPage: page.hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null };
  return { edges, pageInfo };
}
