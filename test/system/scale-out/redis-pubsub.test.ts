/**
 * The Redis pub/sub on its own, against a real redis-server: what the gateway processes rely on
 * without being able to show it from outside (prefix isolation, garbage on a channel, the
 * behaviour of publish while Redis is down).
 */
import pino from 'pino';
import { createRedisPubSub, withoutCredentials, type RedisPubSub } from '../../../src/shared/redis-pubsub';
import { EventBus, type MessageAddedEvent } from '../../../src/shared/events';
import { until } from '../../helpers/arrivals';
import { startRedis, type TestRedis } from '../../helpers/redis';

let redis: TestRedis;
const opened: RedisPubSub[] = [];
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });

function open(channelPrefix: string): RedisPubSub {
  const pubSub = createRedisPubSub({ url: redis.url, channelPrefix, logger: logger.child({ instance: channelPrefix }), redisOptions: { retryStrategy: () => 100 } });
  opened.push(pubSub);
  return pubSub;
}

const event = (body: string, ticketId = 1): MessageAddedEvent => ({
  accountId: 'acme',
  ticketId,
  ticketUserId: 7,
  id: `m-${body}`,
  seq: 1,
  sender: 'admin',
  senderName: 'bob',
  body,
  showToUser: true,
  createdAt: '2026-03-02T10:00:00.000Z',
});

/** Reads events of one iterator into an array as they come. */
function collect<T>(iterable: AsyncIterable<T>) {
  const values: T[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  void (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      values.push(next.value);
    }
  })();
  return { values, stop: () => void iterator.return?.() };
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  await redis?.stop();
});

it('keeps deployments with different channel prefixes apart on one Redis', async () => {
  const one = new EventBus(open('one:').pubSub);
  const two = new EventBus(open('two:').pubSub);
  const heardByOne = collect(one.messagesOf('acme', 1));
  const heardByTwo = collect(two.messagesOf('acme', 1));
  await redis.waitForSubscribers('one:MESSAGE_ADDED:acme:1', 1);
  await redis.waitForSubscribers('two:MESSAGE_ADDED:acme:1', 1);

  one.messageAdded(event('for one'));
  two.messageAdded(event('for two'));

  await until(() => heardByOne.values.length === 1 && heardByTwo.values.length === 1, 5000, 'one event each');
  expect(heardByOne.values.map((e) => e.body)).toEqual(['for one']);
  expect(heardByTwo.values.map((e) => e.body)).toEqual(['for two']);
  heardByOne.stop();
  heardByTwo.stop();
  await redis.waitForSubscribers('one:MESSAGE_ADDED:acme:1', 0);
});

it('skips a message that is not JSON instead of ending the process, and goes on', async () => {
  const bus = new EventBus(open('garbage:').pubSub);
  const heard = collect(bus.messagesOf('acme', 2));
  await redis.waitForSubscribers('garbage:MESSAGE_ADDED:acme:2', 1);

  await redis.command('PUBLISH', 'garbage:MESSAGE_ADDED:acme:2', '{not json');
  bus.messageAdded(event('valid', 2));

  await until(() => heard.values.length === 1, 5000, 'the valid event');
  expect(heard.values.map((e) => e.body)).toEqual(['valid']);
  expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'ignored a Redis message that is not JSON' }));
  heard.stop();
});

it('drops a publish at once while Redis is down, never throwing, and counts it', async () => {
  const pubSub = open('down:');
  const bus = new EventBus(pubSub.pubSub);
  const mine = () => logs.filter((l) => l.instance === 'down:' && l.connection === 'publish');
  await until(() => mine().some((l) => l.msg === 'Redis connected'), 5000, 'a connection');
  await redis.stop();
  await until(() => mine().some((l) => l.level === 40 && /lost/.test(String(l.msg))), 5000, 'the warning');

  const started = process.hrtime.bigint();
  for (let i = 0; i < 100; i += 1) expect(() => bus.messageAdded(event(`lost ${i}`, 3))).not.toThrow();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;

  await until(() => pubSub.droppedEvents === 100, 2000, '100 dropped events');
  expect(ms).toBeLessThan(500);
  await redis.start();
  const back = await until(() => mine().find((l) => l.msg === 'Redis reconnected: live events flow again'), 10000, 'the reconnect');
  expect(back).toMatchObject({ level: 30, droppedEvents: 100, redis: `redis://127.0.0.1:${redis.port}` });
  expect(JSON.stringify(logs)).not.toContain(redis.password);
});

it('shows a Redis URL without its credentials', () => {
  expect(withoutCredentials('redis://user:secret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
  expect(withoutCredentials('rediss://:secret@cache.internal:6380')).toBe('rediss://cache.internal:6380');
  expect(withoutCredentials('not a url')).not.toContain('not a url');
});
