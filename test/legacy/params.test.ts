/**
 * Pure unit tests of the shim's translation helpers: legacy dates, parameter coercion, body
 * parameter collection, GraphQL-name renaming and the error mapping of the envelope.
 */
import { AppError, BadUserInputError, NotFoundError, RateLimitedError } from '../../src/errors';
import { endOf, parseLegacyDate, startOf } from '../../src/legacy/dates';
import { failureOfAppError, failureOfGraphQLError, renameFields } from '../../src/legacy/envelope';
import { param, readParams, type Scalar } from '../../src/legacy/params';
import { urlEncodedParams } from '../../src/legacy/body';

describe('legacy dates', () => {
  it.each([
    ['21-11-2016 17:01', { year: 2016, month: 11, day: 21, time: { hour: 17, minute: 1 } }],
    ['1-2-2016 5:3', { year: 2016, month: 2, day: 1, time: { hour: 5, minute: 3 } }],
    ['01-02-2016 00:00', { year: 2016, month: 2, day: 1, time: { hour: 0, minute: 0 } }],
    ['29-02-2016', { year: 2016, month: 2, day: 29 }],
    ['29-02-2000', { year: 2000, month: 2, day: 29 }],
    ['31-12-2016 23:59', { year: 2016, month: 12, day: 31, time: { hour: 23, minute: 59 } }],
    ['  21-11-2016  ', { year: 2016, month: 11, day: 21 }],
  ])('parses %j', (text, expected) => {
    expect(parseLegacyDate(text)).toEqual(expected);
  });

  it.each([
    '31-02-2016',
    '29-02-2015',
    '29-02-1900',
    '31-04-2016',
    '00-01-2016',
    '01-00-2016',
    '01-13-2016',
    '32-01-2016',
    '21-11-2016 25:00',
    '21-11-2016 24:00',
    '21-11-2016 12:60',
    '21-11-2016 17:01:51',
    '21-11-16',
    '2016-11-21',
    '21/11/2016',
    '21-11-2016T17:01',
    'ab-cd-efgh',
    '21-11-2016 17',
    '21-11-2016 17:',
    '21-11-2016 -1:00',
    '',
    '21-11-20161',
    '121-11-2016',
    '21-11-2016 1a:00',
    '21-11-0999',
    '２１-11-2016',
    '21-11-2016  17:01',
  ])('refuses %j', (text) => {
    expect(parseLegacyDate(text)).toBeUndefined();
  });

  it('reads dates in the legacy time zone; a toDate minute includes its 59 seconds, a date-only toDate the whole day', () => {
    const minute = parseLegacyDate('21-11-2016 17:01')!;
    const day = parseLegacyDate('21-11-2016')!;
    expect(startOf(minute, 'UTC').toISOString()).toBe('2016-11-21T17:01:00.000Z');
    expect(endOf(minute, 'UTC').toISOString()).toBe('2016-11-21T17:01:59.999Z');
    expect(startOf(day, 'UTC').toISOString()).toBe('2016-11-21T00:00:00.000Z');
    expect(endOf(day, 'UTC').toISOString()).toBe('2016-11-21T23:59:59.999Z');
    expect(startOf(minute, 'Asia/Kolkata').toISOString()).toBe('2016-11-21T11:31:00.000Z');
    expect(endOf(day, 'Asia/Kolkata').toISOString()).toBe('2016-11-21T18:29:59.999Z');
    expect(endOf(parseLegacyDate('31-12-2016 23:59')!, 'UTC').toISOString()).toBe('2016-12-31T23:59:59.999Z');
    expect(endOf(parseLegacyDate('31-12-2016')!, 'UTC').toISOString()).toBe('2016-12-31T23:59:59.999Z');
  });

  it('handles days of 23 and 25 hours (DST)', () => {
    // Europe/Berlin: 2016-03-27 has 23 hours, 2016-10-30 has 25.
    const spring = parseLegacyDate('27-03-2016')!;
    expect(startOf(spring, 'Europe/Berlin').toISOString()).toBe('2016-03-26T23:00:00.000Z');
    expect(endOf(spring, 'Europe/Berlin').toISOString()).toBe('2016-03-27T21:59:59.999Z');
    const autumn = parseLegacyDate('30-10-2016')!;
    expect(startOf(autumn, 'Europe/Berlin').toISOString()).toBe('2016-10-29T22:00:00.000Z');
    expect(endOf(autumn, 'Europe/Berlin').toISOString()).toBe('2016-10-30T22:59:59.999Z');
  });
});

describe('parameter coercion', () => {
  const specs = {
    ticketId: param.ticketId(true, 'ticket'),
    userId: param.userFilter(false, 'user or 0'),
    flag: param.boolean(false, 'flag'),
    text: param.text(false, 'text'),
    priority: param.choice(false, 'priority', ['low', 'medium', 'high', 'urgent']),
    limit: param.count(false, 'limit'),
    fromDate: param.date(false, 'date'),
  };
  const read = (values: Record<string, Scalar>) => readParams(specs, [new Map(Object.entries({ ticketId: '1', ...values }))]);
  const error = (values: Record<string, Scalar>) => {
    try {
      read(values);
    } catch (e) {
      expect(e).toBeInstanceOf(BadUserInputError);
      return (e as Error).message;
    }
    throw new Error('expected a 400');
  };

  it('accepts "91" and 91, trims, and keeps required ones required', () => {
    expect(read({ ticketId: '91' }).ticketId).toBe(91);
    expect(read({ ticketId: 91 }).ticketId).toBe(91);
    expect(read({ ticketId: ' 91 ' }).ticketId).toBe(91);
    expect(error({ ticketId: null })).toBe('ticketId is required and must be a positive integer');
  });

  it.each<[Scalar]>([['9x'], [-1], ['-1'], [1.5], ['1.5'], [''], ['  '], [0], ['0'], [true], ['1e2'], ['+5'], [9007199254740993], ['99999999999999999'], ['٣']])(
    'refuses ticketId %j',
    (value) => {
      expect(error({ ticketId: value })).toBe('ticketId is required and must be a positive integer');
    },
  );

  it('lets userId be 0 for "all users", and not negative or beyond GraphQL Int', () => {
    expect(read({ userId: '0' }).userId).toBe(0);
    expect(read({ userId: 2147483647 }).userId).toBe(2147483647);
    expect(error({ userId: 2147483648 })).toBe('userId must be 0 (all users) or a positive integer');
    expect(error({ userId: '-1' })).toBe('userId must be 0 (all users) or a positive integer');
  });

  it.each<[Scalar, boolean]>([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    [true, true],
    ['false', false],
    ['FaLsE', false],
    ['0', false],
    [false, false],
  ])('reads boolean %j', (value, expected) => {
    expect(read({ flag: value }).flag).toBe(expected);
  });

  it.each<[Scalar]>([['yes'], ['no'], ['2'], [''], [1], [0], ['t']])('refuses boolean %j', (value) => {
    expect(error({ flag: value })).toBe('flag must be true or false');
  });

  it('trims texts, treats empty ones as absent, accepts numbers as text but not booleans', () => {
    expect(read({ text: '  hi  ' }).text).toBe('hi');
    expect(read({ text: '   ' }).text).toBeUndefined();
    expect(read({ text: 6 }).text).toBe('6');
    expect(error({ text: true })).toBe('text must be a string');
  });

  it('matches choices in any case and names the allowed values', () => {
    expect(read({ priority: 'HIGH' }).priority).toBe('HIGH');
    expect(error({ priority: 'critical' })).toBe('priority must be one of low, medium, high, urgent');
  });

  it('reads dates strictly', () => {
    expect(read({ fromDate: '1-2-2016 5:3' }).fromDate).toEqual({ year: 2016, month: 2, day: 1, time: { hour: 5, minute: 3 } });
    expect(error({ fromDate: '31-02-2016' })).toBe('fromDate must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01');
    expect(error({ fromDate: 20161121 })).toMatch(/^fromDate must be a date/);
  });

  it('takes path segments first, then the body, then the query string (null counts as not given)', () => {
    const path = new Map<string, Scalar>([['ticketId', '1']]);
    const body = new Map<string, Scalar>([
      ['ticketId', '2'],
      ['limit', null],
      ['text', 'body'],
    ]);
    const query = new Map<string, Scalar>([
      ['ticketId', '3'],
      ['limit', '7'],
      ['text', 'query'],
    ]);
    expect(readParams(specs, [path, body, query])).toMatchObject({ ticketId: 1, limit: 7, text: 'body' });
    expect(readParams(specs, [new Map(), body, query])).toMatchObject({ ticketId: 2 });
  });
});

describe('query and form parameters', () => {
  it('never nests bracketed names and refuses repeated names', () => {
    expect(() => urlEncodedParams('userId[$ne]=0', 'body')).toThrow('userId[$ne] is not a parameter name');
    expect(() => urlEncodedParams('a[]=1', 'query')).toThrow(BadUserInputError);
    expect(() => urlEncodedParams('userId=1&userId=2', 'body')).toThrow('userId is given more than once in the body');
    expect([...urlEncodedParams('a=1&b=x+y&c=%C3%A9', 'query')]).toEqual([
      ['a', '1'],
      ['b', 'x y'],
      ['c', 'é'],
    ]);
    expect([...urlEncodedParams('api_key=k&a=1', 'query', 'api_key')]).toEqual([['a', '1']]);
  });
});

describe('error mapping', () => {
  it('renames GraphQL names to legacy ones: identifiers anywhere, plain words only as the subject', () => {
    const names = { body: 'ticketMessage', senderName: 'sender_name', createdTo: 'toDate', createdFrom: 'fromDate', id: 'ticketId', 'resolution type': 'resolutionType' };
    expect(renameFields('body must be at most 65535 characters', names)).toBe('ticketMessage must be at most 65535 characters');
    expect(renameFields('senderName must be at most 254 characters', names)).toBe('sender_name must be at most 254 characters');
    expect(renameFields('createdTo must not be before createdFrom', names)).toBe('toDate must not be before fromDate');
    expect(renameFields('id must be a positive integer ticket id', names)).toBe('ticketId must be a positive integer ticket id');
    expect(renameFields('resolution type must be at most 255 characters', names)).toBe('resolutionType must be at most 255 characters');
    expect(renameFields('The message body is empty', names)).toBe('The message body is empty');
  });

  it('maps GraphQL codes through the error table', () => {
    const of = (code: string | undefined, extra: Record<string, unknown> = {}) =>
      failureOfGraphQLError({ message: 'm', extensions: { ...(code ? { code } : {}), ...extra } }, {}, 'req-1');
    expect(of('BAD_USER_INPUT').errorCode).toBe(400);
    expect(of('GRAPHQL_VALIDATION_FAILED').errorCode).toBe(400);
    expect(of('GRAPHQL_PARSE_FAILED').errorCode).toBe(400);
    expect(of('UNAUTHENTICATED').errorCode).toBe(401);
    expect(of('FORBIDDEN').errorCode).toBe(403);
    expect(of('NOT_FOUND').errorCode).toBe(404);
    expect(of('CONFLICT').errorCode).toBe(409);
    expect(of('SERVICE_UNAVAILABLE').body).toEqual({ status: 'error', errorCode: 503, message: 'm' });
    const limited = of('RATE_LIMITED', { retryAfter: 12 });
    expect(limited.errorCode).toBe(429);
    expect(limited.headers).toEqual({ 'Retry-After': '12' });
    expect(of('INTERNAL_SERVER_ERROR').body).toEqual({ status: 'error', errorCode: 500, message: 'Internal error (request req-1)' });
    expect(of(undefined).body.message).toBe('Internal error (request req-1)');
    expect(of('SOMETHING_NEW').errorCode).toBe(500);
  });

  it("maps AppErrors (ours and the auth layer's) the same way", () => {
    expect(failureOfAppError(new NotFoundError('ticket', 5), 'r').body).toEqual({ status: 'error', errorCode: 404, message: 'No ticket with the ID 5 was found' });
    expect(failureOfAppError(new RateLimitedError(3), 'r').headers).toEqual({ 'Retry-After': '3' });
    expect(failureOfAppError(new AppError('PAYLOAD_TOO_LARGE', 'big'), 'r').errorCode).toBe(413);
    expect(failureOfAppError(new AppError('INTERNAL_SERVER_ERROR', 'secret detail'), 'r').body.message).toBe('Internal error (request r)');
  });
});
