/** Tickets as most tests set them up and read them back, through GraphQL, on any test server. */
import { RaiseTicketDocument, TicketCountDocument, TicketSnapshotDocument, type RaiseTicketInput, type TicketSnapshotQuery } from '../generated/graphql';
import { ADMIN, type Credentials } from './credentials';
import { gqlData } from './graphql';
import type { HttpTarget } from './http';

/** The input of a ticket of user 6 raised with a first message; `input` overrides any of it. */
export function raiseInput(input: Partial<RaiseTicketInput> | Record<string, unknown> = {}): RaiseTicketInput {
  return { type: 'Payment', subject: 'Unable to pay online', userId: 6, comments: 'connection timeout', ...input } as RaiseTicketInput;
}

/** The input of a ticket whose first message reads "<subject>: first words". */
export const withFirstWords = (subject: string, input: Partial<RaiseTicketInput> = {}): RaiseTicketInput => raiseInput({ subject, comments: `${subject}: first words`, ...input });

/** Raises a ticket through GraphQL (`raiseInput(input)`); answers its id. */
export async function raiseTicket(target: HttpTarget, input: Partial<RaiseTicketInput> | Record<string, unknown> = {}, credentials: Credentials = ADMIN): Promise<string> {
  return (await gqlData(target, RaiseTicketDocument, { input: raiseInput(input) }, credentials)).raiseTicket.id;
}

/** How many tickets the viewer sees. */
export async function ticketCount(target: HttpTarget, credentials: Credentials = ADMIN): Promise<number> {
  return (await gqlData(target, TicketCountDocument, {}, credentials)).tickets.totalCount;
}

type SnapshotTicket = TicketSnapshotQuery['tickets']['edges'][number]['node'];

/** Every ticket the viewer sees, with its conversation and rating: what "nothing stored" compares. */
export async function snapshot(target: HttpTarget, credentials: Credentials = ADMIN): Promise<SnapshotTicket[]> {
  const all: SnapshotTicket[] = [];
  let after: string | null | undefined = null;
  for (;;) {
    const data: TicketSnapshotQuery = await gqlData(target, TicketSnapshotDocument, { after }, credentials);
    all.push(...data.tickets.edges.map((e) => e.node));
    if (!data.tickets.pageInfo.hasNextPage) return all;
    after = data.tickets.pageInfo.endCursor;
  }
}
