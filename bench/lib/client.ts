/** One-off requests (seeding checks, probes) with the benchmark's API key. */
import { BENCH_KEY } from './processes';

export interface GraphQLBody<T = Record<string, unknown>> {
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export const JSON_HEADERS = { 'content-type': 'application/json', 'x-api-key': BENCH_KEY };
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': BENCH_KEY };
export const KEY_HEADERS = { 'x-api-key': BENCH_KEY };

export function graphqlBody(query: string, variables: Record<string, unknown> = {}, operationName?: string): string {
  return JSON.stringify(operationName ? { query, operationName, variables } : { query, variables });
}

export async function gql<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: JSON_HEADERS, body: graphqlBody(query, variables) });
  const body = (await res.json()) as GraphQLBody<T>;
  if (res.status !== 200 || body.errors?.length || !body.data) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** A legacy call; throws unless it answers 200 with status success. */
export async function legacy(url: string, method: 'GET' | 'POST', path: string, form?: Record<string, string | number | boolean>): Promise<Record<string, unknown>> {
  const body = form ? new URLSearchParams(Object.entries(form).map(([k, v]): [string, string] => [k, String(v)])).toString() : undefined;
  const res = await fetch(`${url}/api/v1${path}`, { method, headers: form ? FORM_HEADERS : KEY_HEADERS, body });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || json.status !== 'success') throw new Error(`legacy ${path} ${res.status}: ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

export function form(values: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

/** A GraphQL answer with data and no errors. */
export const graphqlOk = (body: string): boolean => body.startsWith('{"data":') && !body.includes('"errors":');
/** A legacy success envelope. */
export const legacyOk = (body: string): boolean => body.startsWith('{"status":"success"');
