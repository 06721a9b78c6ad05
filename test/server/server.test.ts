import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

describe('HTTP surface', () => {
  it('answers /healthz and /readyz while the database answers', async () => {
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });

  it('serves Apollo Sandbox on GET /graphql for a browser', async () => {
    const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/sandbox/i);
  });

  it('keeps CSRF prevention on: a simple GET query without a preflight header is refused', async () => {
    const response = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF|preflight/i);
  });

  it('sets a request id and security headers, without x-powered-by', async () => {
    const response = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers malformed JSON and unknown paths with clear JSON errors', async () => {
    const bad = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toMatch(/at .*\.js:\d+/);
    const missing = await fetch(`${t.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('masks an unexpected failure as INTERNAL_SERVER_ERROR naming the request id it answered with', async () => {
    const tickets = t.app.container.services.tickets;
    const original = tickets.findVisible;
    tickets.findVisible = async () => {
      throw new Error('secret internals at /srv/app.js:1:1');
    };
    try {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-request-id': 'gql-req-7' },
        body: JSON.stringify({ query: '{ ticket(id: "1") { id } }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('gql-req-7');
      const text = await response.text();
      expect(text).not.toMatch(/secret|srv/);
      expect(JSON.parse(text).errors).toEqual([
        expect.objectContaining({ message: 'Internal error (request gql-req-7)', path: ['ticket'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'gql-req-7' } }),
      ]);
    } finally {
      tickets.findVisible = original;
    }
  });

  it('refuses batches of more than 10 operations', async () => {
    const batch = Array.from({ length: 11 }, () => ({ query: '{ __typename }' }));
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(response.status).toBe(400);
  });
});

describe('production mode', () => {
  it('turns off Sandbox and introspection, and keeps the API working', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    try {
      const page = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/sandbox/i);
      const introspection = await prod.gql('{ __schema { types { name } } }');
      expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
      const anonymous = await prod.gql('{ tickets { totalCount } }');
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await prod.stop();
    }
  });
});
