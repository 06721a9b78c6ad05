import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Where a page of a connection ends, for fetching the next one.', simpleResolvers: true })
export class PageInfo {
  @Field({ description: 'True when more items follow this page.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page; null on an empty page.' })
  endCursor!: string | null;
}

/** An edge whose cursor is encoded only when a client selects it (lists rarely ask for every one). */
class Edge<T, N> {
  constructor(
    readonly node: N,
    private readonly item: T,
    private readonly cursorOf: (item: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.item);
  }
}

/** Builds the `edges` / `pageInfo` pair shared by every connection type from a service page. */
export function edgesOf<T, N>(page: { items: T[]; hasNextPage: boolean; cursorOf(item: T): string }, toNode: (item: T) => N) {
  const edges = page.items.map((item) => new Edge(toNode(item), item, page.cursorOf));
  const last = page.items.at(-1);
  const pageInfo: PageInfo = { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : page.cursorOf(last) };
  return { edges, pageInfo };
}
