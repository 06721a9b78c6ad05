/**
 * Talking to gateway processes of the reliability suite: their credentials, GraphQL and legacy calls
 * that time themselves, and a probe that never throws (a refused connection is an answer too).
 */
import { signToken } from '../../src/auth/auth.service';
import type { GatewayProcess } from './processes';
import { readBody } from './http';

export const JWT_SECRET = 'reliability-test-secret-at-least-32-characters';
export const API_KEY = 'reliability-acme-key-0123456789';

/** The environment every gateway process of the suite shares (plus its own MONGODB_*). */
export const GATEWAY_ENV = {
  JWT_SECRET,
  API_KEYS: `${API_KEY}:acme`,
  MONGODB_WRITE_CONCERN: '1',
  RATE_LIMIT_MAX: '1000000',
};

export const adminToken = () => signToken(JWT_SECRET, { role: 'admin', account: 'acme', sub: 'ops' });

export interface Timed {
  status: number;
  json: any;
  text: string;
  ms: number;
}

async function timed(url: string, init: RequestInit): Promise<Timed> {
  const started = Date.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const { text, json } = await readBody(response);
  return { status: response.status, json, text, ms: Date.now() - started };
}

export const gql = (gateway: Pick<GatewayProcess, 'url'>, query: string, variables: Record<string, unknown> = {}) =>
  timed(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify({ query, variables }),
  });

export const legacyCall = (gateway: Pick<GatewayProcess, 'url'>, path: string, body?: Record<string, unknown>) =>
  timed(`${gateway.url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

export const probe = (gateway: Pick<GatewayProcess, 'url'>, path: '/healthz' | '/readyz') => timed(`${gateway.url}${path}`, {});

export const RAISE = 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }';
export const COUNT = '{ tickets(first: 0) { totalCount } }';
export const raiseInput = (subject: string) => ({ input: { type: 'Payment', subject, userId: 6, comments: `${subject}: first words` } });
