/**
 * Credentials: every JWT expires and lives at most JWT_MAX_LIFETIME_S, none is issued in the future
 * (beyond JWT_CLOCK_SKEW_S); credential scopes (idempotency, rate limits) are structured, so no two
 * credentials share one; nothing derived from an API key is shown to anyone.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { ACME_KEY, JWT_SECRET as TEST_JWT_SECRET, startTestApp, type TestApp } from '../helpers/app';

jest.setTimeout(30_000);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '100000', JWT_MAX_LIFETIME_S: '3600', JWT_CLOCK_SKEW_S: '30' });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const ADMIN_CLAIMS = { role: 'admin', account: 'acme' };

async function sign(claims: Record<string, unknown>, times: { iat?: number; exp?: number }): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice');
  if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
  if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
  return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

async function ticketsAs(token: string) {
  return t.gql('{ tickets(first: 1) { totalCount } }', {}, { token });
}

describe('JWT lifetimes', () => {
  it('refuses a token without exp', async () => {
    const result = await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now() }));
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]).toMatchObject({ message: 'The token has no "exp" claim: tokens must expire', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses a token issued in the future, beyond the clock skew', async () => {
    const result = await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now() + 600, exp: now() + 1200 }));
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]).toMatchObject({ message: 'The token\'s "iat" claim is in the future', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses a token that lives longer than JWT_MAX_LIFETIME_S, with or without iat', async () => {
    for (const times of [{ iat: now(), exp: now() + 7200 }, { exp: now() + 7200 }]) {
      const result = await ticketsAs(await sign(ADMIN_CLAIMS, times));
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0].message).toBe('The token lives longer than the 3600 s this server accepts (JWT_MAX_LIFETIME_S)');
    }
  });

  it('accepts a token within the limits, and a small clock skew either way', async () => {
    expect((await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now(), exp: now() + 3600 }))).status).toBe(200);
    expect((await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now() + 10, exp: now() + 600 }))).status).toBe(200);
    expect((await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now() - 600, exp: now() - 10 }))).status).toBe(200);
    expect((await ticketsAs(await sign(ADMIN_CLAIMS, { iat: now() - 600, exp: now() - 60 }))).status).toBe(401);
  });
});

describe('credential scopes', () => {
  const RAISE = 'mutation Raise($input: RaiseTicketInput!) { raiseTicket(input: $input) { id accountId userId } }';
  const input = { type: 'Payment', subject: 'Scope', userId: 6, comments: 'mine' };

  async function raiseWithKey(token: string, key: string) {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ query: RAISE, variables: { input } }),
    });
    return { replayed: response.headers.get('idempotent-replayed'), body: (await response.json()) as any };
  }

  it('never let an admin of account "acme:user" named "6" replay user 6 of "acme" (Idempotency-Key)', async () => {
    const user = await t.token({ role: 'user', userId: 6 }, '1h');
    const lookalike = await t.token({ role: 'admin', account: 'acme:user', sub: '6' }, '1h');
    const key = `scope-${Date.now()}`;
    const first = await raiseWithKey(user, key);
    expect(first.body.data.raiseTicket).toMatchObject({ accountId: 'acme', userId: 6 });
    const other = await raiseWithKey(lookalike, key);
    expect(other.replayed).toBeNull();
    expect(other.body.data.raiseTicket).toMatchObject({ accountId: 'acme:user' });
    expect(other.body.data.raiseTicket.id).not.toBe(first.body.data.raiseTicket.id);
    // The user's own retry still replays.
    expect((await raiseWithKey(user, key)).replayed).toBe('true');
  });
});

describe('API keys', () => {
  it('are shown by their place in API_KEYS, never by anything derived from the key', async () => {
    const id = (await t.gql('mutation { raiseTicket(input: { type: "Payment", subject: "Key name", userId: 6, comments: "x" }) { id } }', {}, { apiKey: ACME_KEY })).body.data
      .raiseTicket.id;
    const sent = await t.gql(`mutation { sendMessage(input: { ticketId: "${id}", body: "hello" }) { senderName } }`, {}, { apiKey: ACME_KEY });
    expect(sent.body.data.sendMessage.senderName).toBe('service:key-1');
    const hash = createHash('sha256').update(ACME_KEY).digest('hex');
    expect(JSON.stringify(sent.body)).not.toContain(hash.slice(0, 8));
  });
});
