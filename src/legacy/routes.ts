import { LIMITS } from '../tickets/ticket.inputs';
import { MAX_PAGE_SIZE } from '../shared/pagination';
import { formatWallTime } from '../shared/time';
import { NotFoundError } from '../errors';
import { endOf, startOf } from './dates';
import { ok, okMessageFirst } from './envelope';
import { param, type JsonSchema } from './params';
import { type AnyRoute, defineRoute } from './route';
import {
  LegacyAssignTicketDocument,
  LegacyCloseTicketDocument,
  LegacyGetTicketDetailsDocument,
  LegacyGetTicketsDocument,
  LegacyRaiseTicketDocument,
  LegacyRateTicketDocument,
  LegacyReopenTicketDocument,
  LegacySendMessageDocument,
  type LegacyGetTicketDetailsQueryVariables,
  type LegacyGetTicketsQuery,
  type LegacyGetTicketsQueryVariables,
  type SenderRole,
  type TicketPriority,
  type TicketStatus,
  type TicketView,
} from './operations/generated';

// ---- vocabulary: legacy words <-> GraphQL enums (translation only) ----

const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
const SENDERS = ['admin', 'user'] as const;
const STATUS_FILTERS = ['unresolved', 'overdue', 'duetoday', 'open', 'onhold', 'unassigned', 'closed', 'all'] as const;

const VIEW_OF: Record<(typeof STATUS_FILTERS)[number], TicketView | null> = {
  unresolved: 'UNRESOLVED',
  overdue: 'OVERDUE',
  duetoday: 'DUE_TODAY',
  open: 'OPEN',
  onhold: 'ON_HOLD',
  unassigned: 'UNASSIGNED',
  closed: 'CLOSED',
  all: null,
};

const LEGACY_STATUS: Record<TicketStatus, string> = { UNASSIGNED: 'unassigned', OPEN: 'open', ON_HOLD: 'onhold', CLOSED: 'closed' };

const priorityOf = (given: string) => given.toUpperCase() as TicketPriority;
const senderOf = (given: string) => given.toUpperCase() as SenderRole;
const viewOf = (given: string) => VIEW_OF[given.toLowerCase() as keyof typeof VIEW_OF];
const legacyBoolean = (value: boolean) => (value ? '1' : '0');

/** Both-or-neither resolution: given at all, it goes to GraphQL whole (which requires both parts). */
function resolutionOf(type: string | undefined, subject: string | undefined) {
  return type === undefined && subject === undefined ? null : { type: type ?? '', subject: subject ?? '' };
}

const RESOLUTION_NAMES = {
  'resolution.type': 'resolutionType',
  'resolution type': 'resolutionType',
  'resolution.subject': 'resolutionSubject',
  'resolution subject': 'resolutionSubject',
};

// ---- success body schemas (OpenAPI) ----

const str: JsonSchema = { type: 'string' };

function object(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

function envelope(payload: Record<string, JsonSchema>): JsonSchema {
  return object({ status: { const: 'success' }, errorCode: { const: 200 }, ...payload });
}

const messageEnvelope = (example: string) => envelope({ message: { type: 'string', examples: [example] } });

const messageFirstEnvelope = (example: string): JsonSchema => object({ status: { const: 'success' }, message: { type: 'string', examples: [example] }, errorCode: { const: 200 } });

const TICKET_KEYS = ['id', 'account_id', 'user', 'subject', 'type', 'priority', 'due', 'status', 'assigned_to', 'group_name', 'created'] as const;

type TicketNode = LegacyGetTicketsQuery['tickets']['edges'][number]['node'];

function legacyTicket(node: TicketNode, timeZone: string): Record<(typeof TICKET_KEYS)[number], string> {
  return {
    id: node.id,
    account_id: node.accountId,
    user: String(node.userId),
    subject: node.subject,
    type: node.type,
    priority: node.priority.toLowerCase(),
    due: formatWallTime(new Date(node.due), timeZone),
    status: LEGACY_STATUS[node.status],
    assigned_to: node.assignedTo ?? 'NULL',
    group_name: node.groupName,
    created: formatWallTime(new Date(node.createdAt), timeZone),
  };
}

// ---- the table ----

const raiseTicket = defineRoute({
  name: 'raise_ticket',
  summary: 'V1 Raise a ticket',
  description: 'Raises a ticket; `comments` becomes the first message (sender `user`). With closeTicketImmediately the ticket is created closed with its resolution.',
  params: {
    type: param.text(true, 'The ticket type, e.g. "Payment".', LIMITS.type),
    subject: param.text(true, 'The ticket subject.', LIMITS.subject),
    priority: param.choice(false, 'The priority; medium when omitted.', PRIORITIES),
    userId: param.userId(true, 'The id of the user the ticket is for.'),
    comments: param.text(true, 'The issue; stored as the first message.', LIMITS.text),
    closeTicketImmediately: param.boolean(false, 'Create the ticket already closed (default false).'),
    resolutionType: param.text(false, 'Required (non-empty) when closeTicketImmediately is true.', LIMITS.subject),
    resolutionSubject: param.text(false, 'Required (non-empty) when closeTicketImmediately is true.', LIMITS.subject),
  },
  pathParams: [],
  documentedPathForms: [0],
  operation: LegacyRaiseTicketDocument,
  names: { ...RESOLUTION_NAMES, closeImmediately: 'closeTicketImmediately' },
  variables: (v) => {
    const closeImmediately = v.closeTicketImmediately ?? false;
    return {
      input: {
        type: v.type,
        subject: v.subject,
        priority: priorityOf(v.priority ?? 'medium'),
        userId: v.userId,
        comments: v.comments,
        closeImmediately,
        // Closing immediately always sends a resolution, so the GraphQL rule names the missing part.
        resolution: closeImmediately ? { type: v.resolutionType ?? '', subject: v.resolutionSubject ?? '' } : null,
      },
    };
  },
  project: ([data]) => {
    const id = data.raiseTicket.id;
    return ok({
      message: `Your ticket with the ID ${id} has been raised. Please wait for the response and note the ticket Id for future reference.`,
      ticketId: id,
    });
  },
  success: envelope({
    message: { type: 'string', examples: ['Your ticket with the ID 91 has been raised. Please wait for the response and note the ticket Id for future reference.'] },
    ticketId: { type: 'string', pattern: '^[1-9][0-9]*$' },
  }),
  errors: [],
});

const getTickets = defineRoute({
  name: 'get_tickets',
  summary: 'V2 Get tickets by status',
  description:
    "Every matching ticket of the caller's account, by id ascending. `limit` and `offset` (an extension) return a slice. " +
    'fromDate/toDate are inclusive on `created`, read in LEGACY_TIMEZONE (a toDate minute includes its 59 seconds; a date-only toDate its whole day).',
  params: {
    userId: param.userFilter(true, 'The user whose tickets to list; 0 for every user.'),
    status: param.choice(false, 'A status or view; `all` (or omitted) for no status filter.', STATUS_FILTERS),
    assigned_admin: param.text(false, 'Only tickets assigned to this admin username.', LIMITS.name),
    fromDate: param.date(false, 'Created at or after: dd-mm-yyyy H:m or dd-mm-yyyy.'),
    toDate: param.date(false, 'Created at or before: dd-mm-yyyy H:m or dd-mm-yyyy.'),
    limit: param.count(false, 'At most this many tickets (extension).'),
    offset: param.count(false, 'Skip this many matches first (extension).'),
  },
  pathParams: ['userId', 'status', 'assigned_admin'],
  documentedPathForms: [1, 2, 3, 0],
  operation: LegacyGetTicketsDocument,
  names: { createdFrom: 'fromDate', createdTo: 'toDate', assignedTo: 'assigned_admin' },
  variables: (v, env): LegacyGetTicketsQueryVariables => {
    const view = v.status === undefined ? null : viewOf(v.status);
    const wanted = v.limit === undefined ? undefined : (v.offset ?? 0) + v.limit;
    return {
      filter: {
        userId: v.userId === 0 ? null : v.userId,
        view,
        assignedTo: v.assigned_admin ?? null,
        createdFrom: v.fromDate ? startOf(v.fromDate, env.timeZone).toISOString() : null,
        createdTo: v.toDate ? endOf(v.toDate, env.timeZone).toISOString() : null,
      },
      first: wanted === undefined ? MAX_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, wanted),
      after: null,
    };
  },
  nextPage: (page, variables, pages, v) => {
    const { hasNextPage, endCursor } = page.tickets.pageInfo;
    if (!hasNextPage || !endCursor) return undefined;
    const fetched = pages.reduce((sum, p) => sum + p.tickets.edges.length, 0);
    if (v.limit === undefined) return { ...variables, after: endCursor };
    const left = (v.offset ?? 0) + v.limit - fetched;
    return left > 0 ? { ...variables, first: Math.min(MAX_PAGE_SIZE, left), after: endCursor } : undefined;
  },
  project: (pages, v, env) => {
    const all = pages.flatMap((p) => p.tickets.edges.map((edge) => edge.node));
    const offset = v.offset ?? 0;
    const slice = all.slice(offset, v.limit === undefined ? undefined : offset + v.limit);
    return ok({ data: slice.map((node) => ({ Ticket: legacyTicket(node, env.timeZone) })) });
  },
  success: envelope({
    data: { type: 'array', items: object({ Ticket: object(Object.fromEntries(TICKET_KEYS.map((key) => [key, str]))) }) },
  }),
  errors: [],
});

const sendMessage = defineRoute({
  name: 'send_message',
  summary: 'V3 Send a message',
  description: "Adds a message to a ticket's conversation and publishes it to GraphQL subscribers. A closed ticket answers 409 (reopen it first).",
  params: {
    ticketId: param.ticketId(true, 'The ticket to write on.'),
    ticketMessage: param.text(true, 'The message text.', LIMITS.text),
    sender: param.choice(true, 'Who writes.', SENDERS),
    sender_name: param.text(true, 'The display name of the sender (a name, an email, a user id).', LIMITS.name),
    showToUser: param.boolean(true, 'False makes an internal note; a user message is always shown to the user.'),
  },
  pathParams: [],
  documentedPathForms: [0],
  operation: LegacySendMessageDocument,
  names: { body: 'ticketMessage', senderName: 'sender_name' },
  variables: (v) => ({
    input: { ticketId: String(v.ticketId), body: v.ticketMessage, sender: senderOf(v.sender), senderName: v.sender_name, showToUser: v.showToUser },
  }),
  // The last word is the sender as the caller gave it (the original's template).
  project: (_pages, v) => ok({ message: `The message has been sent to the ${v.sender}` }),
  success: messageEnvelope('The message has been sent to the admin'),
  errors: [404, 409],
});

const getTicketDetails = defineRoute({
  name: 'get_ticket_details',
  summary: 'V4 Get ticket details',
  description: "The whole conversation in the order written (internal notes included: `show_to_user` says which) and the ticket's state.",
  params: {
    ticketId: param.ticketId(true, 'The ticket.'),
  },
  pathParams: ['ticketId'],
  documentedPathForms: [1, 0],
  operation: LegacyGetTicketDetailsDocument,
  names: { id: 'ticketId' },
  variables: (v): LegacyGetTicketDetailsQueryVariables => ({ id: String(v.ticketId), first: MAX_PAGE_SIZE, after: null }),
  nextPage: (page, variables) => {
    const info = page.ticket?.messages.pageInfo;
    return info?.hasNextPage && info.endCursor ? { ...variables, after: info.endCursor } : undefined;
  },
  project: (pages, v, env) => {
    const ticket = pages[0].ticket;
    // Null is GraphQL's answer for "no such ticket visible to this viewer".
    if (!ticket) throw new NotFoundError('ticket', v.ticketId);
    const conversation = pages.flatMap((p) => p.ticket?.messages.edges.map((edge) => edge.node) ?? []);
    return ok({
      message: {
        ticket_conversation: conversation.map((m) => ({
          sender: m.sender.toLowerCase(),
          sender_name: m.senderName,
          ticket_message: m.body,
          created: formatWallTime(new Date(m.createdAt), env.timeZone),
          show_to_user: legacyBoolean(m.showToUser),
        })),
        ticket_details: {
          status: LEGACY_STATUS[ticket.status],
          assigned_to: ticket.assignedTo ?? 'NULL',
          created: formatWallTime(new Date(ticket.createdAt), env.timeZone),
        },
      },
    });
  },
  success: envelope({
    message: object({
      ticket_conversation: {
        type: 'array',
        items: object({ sender: { enum: ['admin', 'user'] }, sender_name: str, ticket_message: str, created: str, show_to_user: { enum: ['0', '1'] } }),
      },
      ticket_details: object({ status: { enum: ['unassigned', 'open', 'onhold', 'closed'] }, assigned_to: str, created: str }),
    }),
  }),
  errors: [404],
});

const closeTicket = defineRoute({
  name: 'close_ticket',
  summary: 'V5 Close a ticket',
  description: 'Closes the ticket, with its resolution when given (both parts, or neither). Closing a closed ticket answers the same and changes nothing.',
  params: {
    ticketId: param.ticketId(true, 'The ticket to close.'),
    resolutionType: param.text(false, 'The kind of resolution; requires resolutionSubject.', LIMITS.subject),
    resolutionSubject: param.text(false, 'A summary of the resolution; requires resolutionType.', LIMITS.subject),
  },
  pathParams: ['ticketId'],
  documentedPathForms: [1, 0],
  operation: LegacyCloseTicketDocument,
  names: { id: 'ticketId', ...RESOLUTION_NAMES },
  variables: (v) => ({ id: String(v.ticketId), resolution: resolutionOf(v.resolutionType, v.resolutionSubject) }),
  project: () => ok({ message: 'The ticket has been closed' }),
  success: messageEnvelope('The ticket has been closed'),
  errors: [404],
});

const assignTicket = defineRoute({
  name: 'assign_ticket_to_admin',
  summary: 'V6 Assign a ticket to an admin',
  description: 'Sets the assignee; unassigned becomes open, onhold stays. A closed ticket answers 409.',
  params: {
    ticketId: param.ticketId(true, 'The ticket to assign.'),
    admin: param.text(true, "The admin's username.", LIMITS.name),
  },
  pathParams: [],
  documentedPathForms: [0],
  operation: LegacyAssignTicketDocument,
  names: { id: 'ticketId' },
  variables: (v) => ({ id: String(v.ticketId), admin: v.admin }),
  project: () => ok({ message: 'Admin assigned to the ticket successfully' }),
  success: messageEnvelope('Admin assigned to the ticket successfully'),
  errors: [404, 409],
});

const reopenTicket = defineRoute({
  name: 'reopen_ticket',
  summary: 'V7 Reopen a ticket',
  description: 'Reopens a closed ticket of this user; the reason is appended as a user message and `due` restarts. Another user: 403; not closed: 409.',
  params: {
    ticketId: param.ticketId(true, 'The closed ticket to reopen.'),
    userId: param.userId(true, "The ticket's user."),
    comments: param.text(true, 'The reason for reopening.', LIMITS.text),
  },
  pathParams: [],
  documentedPathForms: [0],
  operation: LegacyReopenTicketDocument,
  names: {},
  variables: (v) => ({ input: { ticketId: String(v.ticketId), userId: v.userId, comments: v.comments } }),
  project: () => okMessageFirst('Ticket has been reopened successfully'),
  success: messageFirstEnvelope('Ticket has been reopened successfully'),
  errors: [404, 409],
});

const rateTicket = defineRoute({
  name: 'ticket_rating',
  summary: 'V8 Rate a ticket',
  description: 'Rates a closed ticket of this user from 1 to 5; rating again replaces the earlier rating. Another user: 403; not closed: 409.',
  params: {
    ticketId: param.ticketId(true, 'The closed ticket to rate.'),
    userId: param.userId(true, "The ticket's user."),
    ratingValue: param.integer(true, 'The rating: 1, 2, 3, 4 or 5.', 'must be an integer from 1 to 5', { minimum: 1, maximum: 5 }),
  },
  pathParams: [],
  documentedPathForms: [0],
  operation: LegacyRateTicketDocument,
  names: { value: 'ratingValue' },
  variables: (v) => ({ input: { ticketId: String(v.ticketId), userId: v.userId, value: v.ratingValue } }),
  project: ([data]) => okMessageFirst(`Thanks for your feedback, your rating has been saved for the ticket ID${data.rateTicket.ticketId}`),
  success: messageFirstEnvelope('Thanks for your feedback, your rating has been saved for the ticket ID214'),
  errors: [404, 409],
});

/** /api/v1, V1–V8 of the original document, in its order. */
export const LEGACY_ROUTES: readonly AnyRoute[] = [raiseTicket, getTickets, sendMessage, getTicketDetails, closeTicket, assignTicket, reopenTicket, rateTicket];
