import { Redis, type RedisOptions } from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSubEvent, type PubSubEventTarget } from '@graphql-yoga/subscription';
import type { EventPubSub, TopicPayloads } from './events';
import type { Logger } from './logger';

type TopicEvent = PubSubEvent<TopicPayloads, keyof TopicPayloads>;
type Deliver = (event: TopicEvent) => void;
type Listener = Deliver | { handleEvent: Deliver };

export interface RedisPubSubOptions {
  /** REDIS_URL: redis:// or rediss:// (TLS), with credentials if the server needs them. */
  url: string;
  /**
   * Put before every channel name. Redis pub/sub is server-wide (a database number does not
   * separate it), so gateways of different deployments on one Redis would otherwise hear each other.
   */
  channelPrefix: string;
  logger: Logger;
  /** Client options for tests (retry timing); the defaults are the production behaviour. */
  redisOptions?: RedisOptions;
}

export interface RedisPubSub {
  /** Drop-in for the in-process pub/sub: every gateway sharing the Redis and the prefix hears every event. */
  readonly pubSub: EventPubSub;
  /** Events not published because Redis was unreachable at that moment, since start. */
  readonly droppedEvents: number;
  /** Disconnects both connections at once (nothing waits for Redis, which may be down). */
  close(): Promise<void>;
}

/**
 * The pub/sub over Redis when REDIS_URL is set: `createPubSub` with @graphql-yoga/redis-event-target
 * on two ioredis connections (a connection that subscribes can do nothing else).
 *
 * How it behaves when Redis is not there (see docs/deployment.md):
 * - Publishing never throws and never waits: the publishing connection has no offline queue, so
 *   while Redis is unreachable an event is dropped at once and counted (logged on reconnect).
 *   Events are live notifications of writes already committed to MongoDB, the source of truth;
 *   queueing them would grow memory for the length of the outage and still could not promise
 *   delivery, since subscribers lose their Redis subscription during the outage too.
 * - The subscribing connection keeps an offline queue without a retry limit: a subscription made
 *   while Redis is down is sent when it is back, and ioredis re-subscribes every channel after a
 *   reconnect, so connected WebSocket subscribers resume without anyone restarting anything.
 * - Every event goes through Redis, also to subscribers of the instance that published it: with
 *   one publishing connection per instance, Redis keeps the order of one instance's events, and
 *   orders events of different instances as it receives them (the publish happens before the
 *   request is answered, so a request made after another's answer has its event delivered after).
 */
export function createRedisPubSub({ url, channelPrefix, logger, redisOptions = {} }: RedisPubSubOptions): RedisPubSub {
  const log = logger.child({ component: 'redis', redis: withoutCredentials(url) });
  let closing = false;
  let droppedEvents = 0;

  const publisher = new Redis(url, {
    connectionName: 'ticket-gateway:publish',
    // While disconnected a publish fails at once (and the event is dropped) instead of queueing.
    enableOfflineQueue: false,
    ...redisOptions,
  });
  const subscriber = new Redis(url, {
    connectionName: 'ticket-gateway:subscribe',
    // Keep SUBSCRIBE/UNSUBSCRIBE sent while disconnected until Redis is back, however long that takes.
    maxRetriesPerRequest: null,
    ...redisOptions,
  });

  const refusals = atMostEvery(60_000);
  const malformed = atMostEvery(60_000);
  let droppedAtLoss = 0;
  watchConnection(publisher, 'publish', log, () => closing, {
    onLost: () => (droppedAtLoss = droppedEvents),
    onBack: () => ({ droppedEvents: droppedEvents - droppedAtLoss }),
  });
  watchConnection(subscriber, 'subscribe', log, () => closing, {});

  // The adapter calls publish/subscribe/unsubscribe without looking at the returned promise; a
  // rejection (Redis down, connection closed) would be an unhandled rejection, which ends the process.
  const observedPublisher = observed(publisher, (command, args, error) => {
    if (command !== 'publish') return;
    droppedEvents += 1;
    if (closing) return;
    const detail = { channel: String(args[0]), reason: error.message };
    // Unreachable is said once by the connection's own log; anything else is worth a warning.
    if (publisher.status === 'ready' && refusals()) log.warn(detail, 'Redis refused a live event; it is dropped');
    else log.debug(detail, 'live event dropped');
  });
  const observedSubscriber = observed(subscriber, (command, args, error) => {
    if (!closing) log.warn({ command, channels: args.map(String), reason: error.message }, 'Redis (un)subscribe failed');
  });

  const redisTarget = createRedisEventTarget<TopicEvent>({
    publishClient: observedPublisher,
    subscribeClient: observedSubscriber,
    serializer: {
      stringify: (payload) => JSON.stringify(payload),
      parse: (text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          // Thrown here it would escape from ioredis' socket handler and end the process.
          if (malformed()) log.warn({ bytes: text.length }, 'ignored a Redis message that is not JSON');
          return MALFORMED;
        }
      },
    },
  });

  const wrapped = new WeakMap<Listener, Deliver>();
  const eventTarget: PubSubEventTarget<TopicPayloads> = {
    addEventListener(topic, callback) {
      if (callback === null) return;
      const listener = callback as unknown as Listener;
      const deliver: Deliver = (event) => {
        if ((event.detail as unknown) === MALFORMED) return;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, deliver);
      redisTarget.addEventListener(`${channelPrefix}${topic}`, deliver);
    },
    removeEventListener(topic, callback) {
      const deliver = callback === null ? undefined : wrapped.get(callback as unknown as Listener);
      if (deliver) redisTarget.removeEventListener(`${channelPrefix}${topic}`, deliver);
    },
    dispatchEvent(event) {
      return redisTarget.dispatchEvent(new CustomEvent(`${channelPrefix}${event.type}`, { detail: event.detail }) as TopicEvent);
    },
  };

  return {
    pubSub: createPubSub<TopicPayloads>({ eventTarget }),
    get droppedEvents() {
      return droppedEvents;
    },
    async close() {
      closing = true;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

const MALFORMED = Symbol('malformed Redis message');

/** True on the first call and then at most once per `ms`: keeps a repeated warning from flooding the log. */
function atMostEvery(ms: number): () => boolean {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last < ms) return false;
    last = now;
    return true;
  };
}

/** redis://user:secret@host:6379/0 → redis://host:6379/0: the form that may appear in logs. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** The same client, except that the named commands' rejections go to `onError` instead of nowhere. */
function observed(client: Redis, onError: (command: string, args: unknown[], error: Error) => void): Redis {
  const commands = new Set(['publish', 'subscribe', 'unsubscribe']);
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !commands.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        result.catch((error: unknown) => onError(property, args, error instanceof Error ? error : new Error(String(error))));
        return result;
      };
    },
  });
}

/**
 * Logs what happens to one connection, once per change rather than once per retry: warn when it is
 * lost (with the reason) or unreachable, info when it is back. Error objects are not logged whole:
 * ioredis attaches the failed command's arguments, which for AUTH is the password.
 */
function watchConnection(
  client: Redis,
  role: 'publish' | 'subscribe',
  log: Logger,
  isClosing: () => boolean,
  hooks: { onLost?: () => void; onBack?: () => Record<string, unknown> },
): void {
  let up = false;
  let connectedOnce = false;
  let warned = false;
  let lostAt = 0;
  let reason: string | undefined;
  client.on('error', (error: Error) => {
    reason = error.message;
    if (isClosing()) return;
    if (!up && !warned) {
      warned = true;
      lostAt ||= Date.now();
      hooks.onLost?.();
      log.warn({ connection: role, reason }, 'Redis is not reachable: live events between gateway instances are paused; requests keep working');
    } else {
      log.debug({ connection: role, reason }, 'Redis connection error');
    }
  });
  client.on('close', () => {
    if (!up || isClosing()) return;
    up = false;
    warned = true;
    lostAt = Date.now();
    hooks.onLost?.();
    log.warn(
      { connection: role, reason: reason ?? 'connection closed by the server' },
      'Redis connection lost: live events between gateway instances are paused until it is back; requests keep working',
    );
  });
  client.on('ready', () => {
    up = true;
    warned = false;
    reason = undefined;
    const outage = lostAt ? { downMs: Date.now() - lostAt, ...hooks.onBack?.() } : {};
    if (!connectedOnce) {
      connectedOnce = true;
      log.info({ connection: role, ...outage }, 'Redis connected');
    } else {
      log.info({ connection: role, ...outage }, 'Redis reconnected: live events flow again');
    }
    lostAt = 0;
  });
}
