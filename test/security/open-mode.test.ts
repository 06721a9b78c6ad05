/**
 * The open development mode (no JWT_SECRET, no API_KEYS) makes every caller an admin: it listens on
 * 127.0.0.1 unless HOST says otherwise, and a web page cannot act through a developer's browser
 * (a cross-site GET on /api/v1, a cross-origin WebSocket). Non-browser legacy clients are unaffected.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app';
import { expectEnvelope, legacy } from '../helpers/legacy';
import { ticketCount } from '../helpers/tickets';

jest.setTimeout(30_000);

let open: TestApp;

beforeAll(async () => {
  // No HOST: the default of open mode applies.
  open = await startTestApp({ HOST: '', JWT_SECRET: '', API_KEYS: '', RATE_LIMIT_MAX: '100000' });
}, 60_000);

afterAll(async () => {
  await open?.stop();
});

const RAISE = { type: 'Payment', subject: 'Unable to pay online', userId: 6, comments: 'connection timeout' };

it('listens on 127.0.0.1 only', () => {
  expect(open.app.config.openMode).toBe(true);
  expect((open.app.server.httpServer.address() as AddressInfo).address).toBe('127.0.0.1');
});

it('refuses a cross-site GET that would raise a ticket, and a cross-origin POST, with a 403 envelope', async () => {
  const before = await ticketCount(open, {});
  const get = await legacy(open, '/raise_ticket', { apiKey: null, query: RAISE, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
  expectEnvelope(get);
  expect(get.status).toBe(403);
  const post = await legacy(open, '/close_ticket/1', { apiKey: null, form: {}, headers: { origin: 'https://evil.example' } });
  expectEnvelope(post);
  expect(post.status).toBe(403);
  expect(await ticketCount(open, {})).toBe(before);
});

it('answers legacy clients (no browser headers), same-origin pages and typed URLs as before', async () => {
  const plain = await legacy(open, '/raise_ticket', { apiKey: null, query: RAISE });
  expect(plain.status).toBe(200);
  expect(plain.json.message).toMatch(/^Your ticket with the ID \d+ has been raised/);
  const browsers: Array<Record<string, string>> = [{ 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: open.url }];
  for (const headers of browsers) {
    expect((await legacy(open, '/get_tickets/0', { apiKey: null, headers })).status).toBe(200);
  }
});

it('refuses a WebSocket from another origin', async () => {
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(open.wsUrl, 'graphql-transport-ws', { headers: { origin: 'https://evil.example' } });
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
  expect(status).toBe(403);
});

/** A GET with a Host of our choosing (fetch does not let a caller set it). */
function getWithHost(path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: open.app.port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

it('refuses requests for another host name (DNS rebinding makes a page same-origin), and answers localhost', async () => {
  const port = open.app.port;
  const rebound = await getWithHost('/api/v1/get_tickets/0', `rebound.example:${port}`, { 'sec-fetch-site': 'same-origin' });
  expect(rebound.status).toBe(403);
  expect(JSON.parse(rebound.body)).toMatchObject({ status: 'error', errorCode: 403 });
  const graphql = await getWithHost(`/graphql?query=${encodeURIComponent('{ tickets(first: 0) { totalCount } }')}`, `rebound.example:${port}`, {
    'apollo-require-preflight': 'true',
  });
  expect(graphql.status).toBe(403);
  expect(JSON.parse(graphql.body).errors[0].extensions.code).toBe('FORBIDDEN');
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
    expect((await getWithHost('/api/v1/get_tickets/0', host)).status).toBe(200);
  }
});
