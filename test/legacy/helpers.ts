import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';
import { readBody } from '../helpers/http';

export interface LegacyResponse {
  status: number;
  /** The exact JSON text of the body. */
  text: string;
  json: any;
  headers: Headers;
}

export interface LegacyCall {
  method?: string;
  /** Query string parameters (appended in order; values as given). */
  query?: Record<string, string | number> | Array<[string, string]>;
  /** An urlencoded body. */
  form?: Record<string, string | number> | Array<[string, string]>;
  /** A JSON body (serialised as is; a string is sent verbatim). */
  json?: unknown;
  /** A multipart body of fields. */
  multipart?: Record<string, string>;
  /** A raw body with its content type. */
  raw?: { body: string | Buffer; contentType?: string };
  headers?: Record<string, string>;
  /** The API key sent as X-API-Key; null sends no credentials. Default: ACME_KEY. */
  apiKey?: string | null;
}

/** One request to /api/v1 over real HTTP. */
export async function legacy(t: Pick<TestApp, 'url'>, path: string, call: LegacyCall = {}): Promise<LegacyResponse> {
  const url = new URL(`${t.url}/api/v1${path}`);
  const query = Array.isArray(call.query) ? call.query : Object.entries(call.query ?? {});
  for (const [name, value] of query) url.searchParams.append(name, String(value));
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  const apiKey = call.apiKey === undefined ? ACME_KEY : call.apiKey;
  if (apiKey !== null && headers['x-api-key'] === undefined) headers['x-api-key'] = apiKey;
  let body: string | Buffer | FormData | undefined;
  if (call.form) {
    const params = new URLSearchParams();
    const entries = Array.isArray(call.form) ? call.form : Object.entries(call.form);
    for (const [name, value] of entries) params.append(name, String(value));
    body = params.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (call.json !== undefined) {
    body = typeof call.json === 'string' ? call.json : JSON.stringify(call.json);
    headers['content-type'] ??= 'application/json';
  } else if (call.multipart) {
    const data = new FormData();
    for (const [name, value] of Object.entries(call.multipart)) data.append(name, value);
    body = data;
  } else if (call.raw) {
    body = call.raw.body;
    if (call.raw.contentType !== undefined) headers['content-type'] = call.raw.contentType;
  }
  const method = call.method ?? (body === undefined ? 'GET' : 'POST');
  const response = await fetch(url, { method, headers, body: body as NonNullable<Parameters<typeof fetch>[1]>['body'] });
  const { text, json } = await readBody(response);
  return { status: response.status, text, json, headers: response.headers };
}

/** The exact error envelope text. */
export function errorText(errorCode: number, message: string): string {
  return JSON.stringify({ status: 'error', errorCode, message });
}

/** What every /api/v1 answer must be: the JSON envelope, status == errorCode, never a trace. */
export function expectEnvelope(response: LegacyResponse): void {
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.json).toBeDefined();
  expect(response.json.errorCode).toBe(response.status);
  if (response.status !== 200) {
    expect(Object.keys(response.json)).toEqual(['status', 'errorCode', 'message']);
    expect(response.json.status).toBe('error');
    expect(typeof response.json.message).toBe('string');
    expect(response.text).not.toMatch(/\bat .+:\d+:\d+|Mongo|mongoose|E11000|stack/);
  } else {
    expect(response.json.status).toBe('success');
  }
}

export const ADMIN = { apiKey: ACME_KEY };

/** A GraphQL call that must succeed; answers `data`. */
export async function gqlData<T = any>(
  t: Pick<TestApp, 'gql'>,
  query: string,
  variables: Record<string, unknown> = {},
  credentials: { apiKey?: string; token?: string } = ADMIN,
): Promise<T> {
  const result = await t.gql<T>(query, variables, credentials);
  if (result.body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(result.body.errors)}`);
  return result.body.data as T;
}

// Small pages: the whole state in one query would exceed the GraphQL cost limit.
const SNAPSHOT = `query Snapshot($after: String) {
  tickets(first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id accountId userId subject type groupName priority status due assignedTo createdAt updatedAt closedAt
      resolution { type subject } rating { value userId createdAt }
      messages(first: 50) { totalCount edges { node { id sender senderName body showToUser createdAt } } } } }
  }
}`;

/** Every ticket of an account, with its conversation and rating, read through GraphQL. */
export async function snapshot(t: Pick<TestApp, 'gql'>, credentials: { apiKey?: string; token?: string } = ADMIN): Promise<unknown[]> {
  const all: unknown[] = [];
  let after: string | null = null;
  for (;;) {
    const data: any = await gqlData(t, SNAPSHOT, { after }, credentials);
    all.push(...data.tickets.edges.map((e: any) => e.node));
    if (!data.tickets.pageInfo.hasNextPage) return all;
    after = data.tickets.pageInfo.endCursor;
  }
}

export async function ticketCount(t: Pick<TestApp, 'gql'>, credentials: { apiKey?: string; token?: string } = ADMIN): Promise<number> {
  return (await gqlData(t, '{ tickets(first: 0) { totalCount } }', {}, credentials)).tickets.totalCount;
}

const RAISE = `mutation Raise($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }`;

/** Raises a ticket through GraphQL; answers its id. */
export async function raiseViaGraphQL(t: Pick<TestApp, 'gql'>, input: Record<string, unknown> = {}, credentials: { apiKey?: string; token?: string } = ADMIN): Promise<string> {
  const data = await gqlData(t, RAISE, { input: { type: 'Payment', subject: 'Unable to pay online', userId: 6, comments: 'connection timeout', ...input } }, credentials);
  return data.raiseTicket.id;
}

/**
 * A test server for the legacy suites: these send thousands of requests with one key, so the rate
 * limit is raised unless a test sets it (the 429 test does).
 */
export function startLegacyApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({ RATE_LIMIT_MAX: '1000000', ...env });
}
