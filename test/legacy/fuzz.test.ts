/**
 * Fuzzing /api/v1 with 1,200 malformed requests from a seeded PRNG (reproducible; set LEGACY_FUZZ_SEED
 * to explore): wrong types, missing fields, operator keys (`userId[$ne]=0`, `{"$gt": 0}`), arrays and
 * objects, repeated names, huge and unicode strings, impossible dates, wrong methods, bad credentials,
 * broken bodies, unknown paths, unknown tickets and forbidden state changes. Each request starts from a
 * valid one and gets at least one fatal change, so every answer must be a refusal: never a 2xx, never a
 * 5xx, always the envelope with status == errorCode; and nothing is written (every ticket, message and
 * rating read back through GraphQL is unchanged, and the id counter did not move). Every answer is
 * also validated against the OpenAPI document.
 */
import { ACME_KEY, type TestApp } from '../helpers/app';
import { OpenApiValidator } from './openapi-validator';
import { expectEnvelope, legacy, type LegacyCall, type LegacyResponse, raiseViaGraphQL, snapshot, startLegacyApp } from './helpers';

const SEED = Number(process.env.LEGACY_FUZZ_SEED ?? 20161121);
const REQUESTS = 1200;
const CONCURRENCY = 8;

/** mulberry32: a small, good-enough seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

type Kind = 'ticketId' | 'userId' | 'userFilter' | 'rating' | 'bool' | 'choice' | 'text' | 'date' | 'count';
interface Field {
  kind: Kind;
  required: boolean;
  /** The GraphQL limit of a text field (a longer value must be refused). */
  limit?: number;
  /** In the URL path (for endpoints with path parameters), in this position. */
  path?: number;
}
interface Endpoint {
  name: string;
  fields: Record<string, Field>;
  base: () => Record<string, string>;
}

const NUMBER_BAD = [
  '9x',
  '-1',
  '1.5',
  '',
  ' ',
  'abc',
  '1e3',
  '0x1A',
  '٣',
  '１２',
  '🙂',
  'NaN',
  'Infinity',
  '1,5',
  '+5',
  '99999999999999999999',
  'null',
  '[]',
  '{}',
  '1; DROP TABLE tickets',
];
const BOOL_BAD = ['yes', 'no', '2', '', 'on', 'off', 'truee', 'ｔｒｕｅ', '-1', '🙂', 'null'];
const CHOICE_BAD = ['critical', 'bot', 'pending', 'ADM1N', '$ne', 'ｏｐｅｎ', '🙂', 'x'.repeat(300), 'open;closed'];
const DATE_BAD = [
  '31-02-2016',
  '21-11-2016 25:00',
  '21-11-2016 12:60',
  '2016-11-21',
  '21/11/2016',
  'yesterday',
  '21-11-16',
  '21-11-2016 17:01:51',
  '２１-11-2016',
  '0-1-2016',
  '32-12-2016 00:00',
  '29-02-2015',
];
const EMPTY = ['', '   ', '\t\n '];
const UNICODE = ['ユニコード', 'ünïcödé', '🎫🔥', 'مرحبا', '\u202Eevil', 'a\u0000b', '𝕏'];

let t: TestApp;
let openId: string;
let closedId: string;

beforeAll(async () => {
  t = await startLegacyApp();
  openId = await raiseViaGraphQL(t, { userId: 6 });
  closedId = await raiseViaGraphQL(t, { userId: 6, closeImmediately: true, resolution: { type: 'Fixed', subject: 'Done' } });
  await raiseViaGraphQL(t, { userId: 7 });
});
afterAll(async () => {
  await t?.stop();
});

const endpoints = (): Endpoint[] => [
  {
    name: 'raise_ticket',
    fields: {
      type: { kind: 'text', required: true, limit: 100 },
      subject: { kind: 'text', required: true, limit: 255 },
      priority: { kind: 'choice', required: false },
      userId: { kind: 'userId', required: true },
      comments: { kind: 'text', required: true, limit: 65_535 },
      closeTicketImmediately: { kind: 'bool', required: false },
    },
    base: () => ({ type: 'Payment', subject: 'Unable to pay', userId: '6', comments: 'timeout' }),
  },
  {
    name: 'get_tickets',
    fields: {
      userId: { kind: 'userFilter', required: true, path: 0 },
      status: { kind: 'choice', required: false, path: 1 },
      fromDate: { kind: 'date', required: false },
      toDate: { kind: 'date', required: false },
      limit: { kind: 'count', required: false },
      offset: { kind: 'count', required: false },
    },
    base: () => ({ userId: '0', status: 'all' }),
  },
  {
    name: 'send_message',
    fields: {
      ticketId: { kind: 'ticketId', required: true },
      ticketMessage: { kind: 'text', required: true, limit: 65_535 },
      sender: { kind: 'choice', required: true },
      sender_name: { kind: 'text', required: true, limit: 254 },
      showToUser: { kind: 'bool', required: true },
    },
    base: () => ({ ticketId: openId, ticketMessage: 'hello', sender: 'admin', sender_name: 'alice', showToUser: 'true' }),
  },
  {
    name: 'get_ticket_details',
    fields: { ticketId: { kind: 'ticketId', required: true, path: 0 } },
    base: () => ({ ticketId: openId }),
  },
  {
    name: 'close_ticket',
    fields: { ticketId: { kind: 'ticketId', required: true, path: 0 } },
    base: () => ({ ticketId: openId }),
  },
  {
    name: 'assign_ticket_to_admin',
    // `admin` has no GraphQL length limit (see the V6 golden test), so only emptiness is fuzzed.
    fields: { ticketId: { kind: 'ticketId', required: true }, admin: { kind: 'text', required: true } },
    base: () => ({ ticketId: openId, admin: 'alice' }),
  },
  {
    name: 'reopen_ticket',
    fields: { ticketId: { kind: 'ticketId', required: true }, userId: { kind: 'userId', required: true }, comments: { kind: 'text', required: true, limit: 65_535 } },
    base: () => ({ ticketId: closedId, userId: '6', comments: 'still broken' }),
  },
  {
    name: 'ticket_rating',
    fields: { ticketId: { kind: 'ticketId', required: true }, userId: { kind: 'userId', required: true }, ratingValue: { kind: 'rating', required: true } },
    base: () => ({ ticketId: closedId, userId: '6', ratingValue: '3' }),
  },
];

type Rng = ReturnType<typeof prng>;

/** A value of `field`'s kind that must be refused. */
function badValue(rng: Rng, field: Field): string {
  switch (field.kind) {
    case 'ticketId':
    case 'userId':
      return rng.pick([...NUMBER_BAD, '0', '-0']);
    case 'userFilter':
      return rng.pick(NUMBER_BAD);
    case 'rating':
      return rng.pick(['0', '6', '-1', '4.5', 'five', '', '1e0', '٣', '99999999999', '2147483648']);
    case 'count':
      return rng.pick(['-1', '1.5', 'x', '', '🙂', '1e2', '-0.5']);
    case 'bool':
      return rng.pick(BOOL_BAD);
    case 'choice':
      return rng.pick(field.required ? [...CHOICE_BAD, ...EMPTY] : CHOICE_BAD);
    case 'date':
      return rng.pick(DATE_BAD);
    case 'text':
      if (field.limit !== undefined && rng.chance(0.5)) {
        const unit = rng.pick(['x', 'é', '🎫', 'ユ']);
        return unit.repeat(field.limit + 1 + rng.int(50));
      }
      return rng.pick(EMPTY);
  }
}

interface Case {
  description: string;
  path: string;
  call: LegacyCall;
}

function pathOf(endpoint: Endpoint, params: Record<string, string | undefined>): { path: string; rest: Record<string, string> } {
  const segments: string[] = [];
  const rest: Record<string, string> = {};
  const positional = Object.entries(endpoint.fields)
    .filter(([, f]) => f.path !== undefined)
    .sort(([, a], [, b]) => a.path! - b.path!);
  let inPath = true;
  for (const [name] of positional) {
    const value = params[name];
    if (inPath && value !== undefined && value !== '') segments.push(encodeURIComponent(value));
    else inPath = false;
  }
  const used = new Set(positional.slice(0, segments.length).map(([name]) => name));
  for (const [name, value] of Object.entries(params)) if (!used.has(name) && value !== undefined) rest[name] = value;
  return { path: `/${endpoint.name}${segments.map((s) => `/${s}`).join('')}`, rest };
}

/** Sends the parameters by a random transport: query string, urlencoded, JSON or multipart. */
function carry(rng: Rng, params: Record<string, string>, extra: Partial<LegacyCall> = {}): LegacyCall {
  const transport = rng.pick(['query', 'form', 'json', 'multipart'] as const);
  // Huge values travel in bodies: a URL over Node's 16 KB header limit never reaches the app (see
  // the transport suite's test of that limit).
  const huge = Object.values(params).some((value) => value.length > 2000);
  if (transport === 'query' && !huge) return { query: params, ...extra };
  if (transport === 'form') return { form: params, ...extra };
  if (transport === 'multipart') return { multipart: params, ...extra };
  return { json: params, ...extra };
}

async function makeCase(rng: Rng, user: string): Promise<Case> {
  const endpoint = rng.pick(endpoints());
  const params: Record<string, string | undefined> = endpoint.base();
  const names = Object.keys(endpoint.fields);
  const mutation = rng.int(14);
  const field = rng.pick(names);
  const spec = endpoint.fields[field];

  switch (mutation) {
    case 0:
    case 1:
    case 2: {
      // A malformed value (several at once, sometimes).
      params[field] = badValue(rng, spec);
      if (rng.chance(0.3)) {
        const second = rng.pick(names);
        params[second] = badValue(rng, endpoint.fields[second]);
      }
      // A malformed path-only value must travel in the path, so drop nothing after it.
      const { path, rest } = pathOf(endpoint, params);
      return { description: `bad ${field}=${JSON.stringify(params[field]).slice(0, 40)}`, path, call: carry(rng, rest) };
    }
    case 3: {
      // A missing required field.
      const required = names.filter((n) => endpoint.fields[n].required);
      const gone = rng.pick(required);
      delete params[gone];
      for (const n of names) if (endpoint.fields[n].path !== undefined && endpoint.fields[n].path! > (endpoint.fields[gone].path ?? 99)) delete params[n];
      const { path, rest } = pathOf(endpoint, params);
      return { description: `missing ${gone}`, path, call: carry(rng, rest) };
    }
    case 4: {
      // An operator key, in the body or the query string.
      const { path, rest } = pathOf(endpoint, params);
      const key = `${field}[${rng.pick(['$ne', '$gt', '$regex', '$where', '', '0'])}]`;
      const entries: Array<[string, string]> = [...Object.entries(rest), [key, rng.pick(['0', '', '.*', '1'])]];
      return { description: `operator ${key}`, path, call: rng.chance(0.5) ? { form: entries } : { query: entries } };
    }
    case 5: {
      // A JSON object, array or nested structure as a value.
      const { path, rest } = pathOf(endpoint, params);
      const value = rng.pick<unknown>([{ $gt: 0 }, { $ne: null }, [1, 2], [], {}, { a: { b: [1] } }, [{ $where: '1' }]]);
      const target = rng.chance(0.8) ? field : rng.pick(['extra', '$where', '__proto__', 'constructor']);
      return { description: `structured ${target}`, path, call: { json: { ...rest, [target]: value } } };
    }
    case 6: {
      // JSON values of the wrong type for the field.
      const { path, rest } = pathOf(endpoint, params);
      const body: Record<string, unknown> = { ...rest };
      const typed: Record<Kind, unknown[]> = {
        ticketId: [-1, 0, 1.5, true, false, 1e30, -0.1],
        userId: [-1, 0, 2.5, true, 2147483648, 1e21],
        userFilter: [-1, 0.5, true, 2147483648],
        rating: [0, 6, 4.5, true, -3, 2147483648],
        count: [-1, 0.5, true],
        bool: [1, 0, 2, 'yes', -1],
        choice: [1, true, 0],
        text: [true, false, ...(spec.required ? [null] : [])],
        date: [20161121, true, 1.5],
      };
      body[field] = rng.pick(typed[spec.kind]);
      // A body value only counts when the path does not carry the field: send every parameter in the body.
      if (spec.path !== undefined) {
        const all = Object.fromEntries(Object.entries(params).filter(([k, v]) => v !== undefined && endpoint.fields[k]?.path === undefined));
        return { description: `typed ${field}=${JSON.stringify(body[field])}`, path: `/${endpoint.name}`, call: { json: { ...all, [field]: body[field] } } };
      }
      return { description: `typed ${field}=${JSON.stringify(body[field])}`, path, call: { json: body } };
    }
    case 7: {
      // A name given twice.
      const { path, rest } = pathOf(endpoint, params);
      const name = rng.pick(Object.keys(rest).length ? Object.keys(rest) : ['limit']);
      const entries: Array<[string, string]> = [...Object.entries(rest), [name, rest[name] ?? '1']];
      if (rest[name] === undefined) entries.push([name, '2']);
      return { description: `twice ${name}`, path, call: rng.chance(0.5) ? { form: entries } : { query: entries } };
    }
    case 8: {
      // A wrong method.
      const { path, rest } = pathOf(endpoint, params);
      return { description: 'method', path, call: { ...carry(rng, rest), method: rng.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'MKCOL']) } };
    }
    case 9: {
      // Wrong or missing credentials, or a user token.
      const { path, rest } = pathOf(endpoint, params);
      const which = rng.int(4);
      if (which === 0) return { description: 'no credentials', path, call: carry(rng, rest, { apiKey: null }) };
      if (which === 1) return { description: 'wrong key', path, call: carry(rng, rest, { apiKey: `wrong-${rng.int(1e9)}-key-000000` }) };
      if (which === 2) return { description: 'user token', path, call: carry(rng, rest, { apiKey: null, headers: { authorization: `Bearer ${user}` } }) };
      return {
        description: 'bad bearer',
        path,
        call: carry(rng, rest, { apiKey: null, headers: { authorization: rng.pick(['Bearer', 'Basic abc', 'Bearer a.b.c', 'Bearer %F0%9F%99%82', 'Token x']) } }),
      };
    }
    case 10: {
      // A broken body or an unsupported content type.
      const { path, rest } = pathOf(endpoint, params);
      const bodies: Array<{ body: string | Buffer; contentType?: string }> = [
        { body: '{"ticketId": ', contentType: 'application/json' },
        { body: '[1,2,3]', contentType: 'application/json' },
        { body: 'null', contentType: 'application/json' },
        { body: '"text"', contentType: 'application/json' },
        { body: Buffer.from([0xff, 0xfe, 0x00, 0x7b]), contentType: 'application/json' },
        { body: `${new URLSearchParams(rest).toString()}&x=1`, contentType: 'text/plain' },
        { body: '<xml/>', contentType: 'application/xml' },
        { body: Buffer.from('ticketId=1') },
        { body: '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n', contentType: 'multipart/form-data; boundary=b' },
        { body: 'x=1', contentType: 'multipart/form-data' },
      ];
      return { description: 'broken body', path, call: { raw: rng.pick(bodies) } };
    }
    case 11: {
      // An unknown path, or more path segments than the endpoint has.
      const paths = [
        '/tickets',
        '/raise_tickets',
        '/v2/raise_ticket',
        `/get_ticket_details/${openId}/messages`,
        `/close_ticket/${openId}/now`,
        '/get_tickets/0/all/admin/extra',
        '/raise_ticket/1',
        `/${encodeURIComponent(rng.pick(UNICODE))}`,
      ];
      return { description: 'path', path: rng.pick(paths), call: {} };
    }
    case 12: {
      // A ticket that does not exist, or one whose state forbids the change.
      const stateful: Array<[string, Record<string, string>]> = [
        ['/send_message', { ticketId: closedId, ticketMessage: 'x', sender: 'admin', sender_name: 'a', showToUser: 'true' }],
        ['/assign_ticket_to_admin', { ticketId: closedId, admin: 'alice' }],
        ['/reopen_ticket', { ticketId: openId, userId: '6', comments: 'x' }],
        ['/ticket_rating', { ticketId: openId, userId: '6', ratingValue: '5' }],
        ['/reopen_ticket', { ticketId: closedId, userId: '7', comments: 'x' }],
        ['/ticket_rating', { ticketId: closedId, userId: '8', ratingValue: '5' }],
        ['/send_message', { ticketId: String(900000 + rng.int(1000)), ticketMessage: 'x', sender: 'user', sender_name: 'a', showToUser: '0' }],
        [`/close_ticket/${900000 + rng.int(1000)}`, {}],
        [`/get_ticket_details/${900000 + rng.int(1000)}`, {}],
        ['/assign_ticket_to_admin', { ticketId: String(900000 + rng.int(1000)), admin: 'alice' }],
      ];
      const [path, body] = rng.pick(stateful);
      return { description: `state ${path}`, path, call: carry(rng, body) };
    }
    default: {
      // Unicode garbage in a numeric, boolean or date field.
      const strict = names.filter((n) => endpoint.fields[n].kind !== 'text' && endpoint.fields[n].kind !== 'choice');
      if (strict.length === 0) {
        params[field] = badValue(rng, spec);
      } else {
        const target = rng.pick(strict);
        params[target] = rng.pick(UNICODE) + (rng.chance(0.5) ? '1' : '');
      }
      const { path, rest } = pathOf(endpoint, params);
      return { description: 'unicode', path, call: carry(rng, rest) };
    }
  }
}

it(`never a 2xx or 5xx for ${REQUESTS} malformed requests (seed ${SEED}), always the envelope, and nothing written`, async () => {
  const before = await snapshot(t);
  const rng = prng(SEED);
  const user = await t.token({ role: 'user', userId: 6 });
  const cases: Case[] = [];
  for (let i = 0; i < REQUESTS; i += 1) cases.push(await makeCase(rng, user));

  const validator = new OpenApiValidator((await legacy(t, '/openapi.json')).json);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let index = 0;
  const worker = async () => {
    while (index < cases.length) {
      const c = cases[index++];
      let response: LegacyResponse;
      try {
        response = await legacy(t, c.path, { apiKey: ACME_KEY, ...c.call });
      } catch (error) {
        failures.push(`${c.description} ${c.path}: request failed: ${String(error)}`);
        continue;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      try {
        if (response.status < 400 || response.status >= 500) throw new Error(`status ${response.status}`);
        if (c.call.method === 'HEAD') continue;
        expectEnvelope(response);
        const problem = validator.validate(
          c.path,
          c.call.method ?? (c.call.form || c.call.json !== undefined || c.call.multipart || c.call.raw ? 'POST' : 'GET'),
          response.status,
          response.json,
        );
        if (problem) throw new Error(`not as documented: ${problem}`);
      } catch (error) {
        failures.push(
          `${c.description} ${c.call.method ?? ''} ${c.path} ${JSON.stringify(c.call).slice(0, 300)} → ${response.status} ${response.text.slice(0, 200)}: ${String(error).slice(0, 200)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  expect(failures.slice(0, 20)).toEqual([]);
  expect(await snapshot(t)).toEqual(before);
  // No id was consumed by a refused raise: the next ticket continues the sequence.
  const next = await raiseViaGraphQL(t, { userId: 6 });
  expect(Number(next)).toBe(Math.max(...before.map((ticket: any) => Number(ticket.id))) + 1);
  // Every family of refusal was exercised.
  for (const status of [400, 401, 403, 404, 405, 409]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
});
