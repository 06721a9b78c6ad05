/**
 * The gateway in the test process (`startApp` on a database of its own, a free port, a clock the
 * test moves): real HTTP and real WebSockets against it, and its internals at hand (the container,
 * the driver's commands, the event bus to publish markers through).
 */
import 'reflect-metadata';
import type { Client } from 'graphql-ws';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import type { TokenClaims } from '../../src/auth/auth.service';
import { EventBus, type MessageAddedEvent, type TicketUpdatedEvent } from '../../src/shared/events';
import { API_KEYS, JWT_SECRET, token, type Credentials } from './credentials';
import { gql, liveClient, type GqlResult, type GraphQLTarget, type Operation } from './graphql';
import { CommandLog, startTestMongo, type Command } from './mongo';

export { ACME_KEY, GLOBEX_KEY, ADMIN, JWT_SECRET, type Credentials } from './credentials';
export { subscribe, type GqlResult } from './graphql';

/** A clock the tests move by hand. */
export class TestClock {
  constructor(private current = new Date('2026-03-02T10:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.current.getTime());
  set(instant: Date | string): void {
    this.current = new Date(instant);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp extends GraphQLTarget {
  app: RunningApp;
  clock: TestClock;
  /** The driver commands the gateway sent (started with `monitorCommands`; otherwise undefined). */
  commands?: CommandLog;
  /** Publishes live events the way the services do (markers for subscriptions). */
  events: EventBus;
  /** POST /graphql, with no credentials unless given. */
  gql<T = any, V = Record<string, unknown>>(operation: Operation<T, V>, variables?: V, credentials?: Credentials): Promise<GqlResult<T>>;
  token(claims: Partial<TokenClaims> & Pick<TokenClaims, 'role'>, expiresIn?: string | number): Promise<string>;
  /** A graphql-ws client (disposed by `stop`). */
  wsClient(connectionParams?: Record<string, unknown>): Client;
  stop(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, options: { monitorCommands?: boolean } = {}): Promise<TestApp> {
  const mongo = await startTestMongo();
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MONGODB_URI: mongo.uri,
    MONGODB_DATABASE: mongo.dbName,
    MONGODB_WRITE_CONCERN: '1',
    JWT_SECRET,
    API_KEYS,
    // The outbox sweep only finishes what a stopped process left: in-process tests count their own
    // commands, so it runs at start only unless a test asks for it.
    EVENT_RELAY_INTERVAL_MS: '3600000',
    ...env,
  });
  const clock = new TestClock();
  const app = await startApp(config, { clock: clock.now, monitorCommands: options.monitorCommands ?? false });
  const clients: Client[] = [];
  const target = { url: `http://127.0.0.1:${app.port}`, wsUrl: `ws://127.0.0.1:${app.port}/graphql` };
  return {
    ...target,
    app,
    clock,
    commands: options.monitorCommands ? new CommandLog(app.database.connection.getClient(), config.mongodbDatabase) : undefined,
    events: new EventBus(app.container.pubSub),
    gql: (operation, variables, credentials = {}) => gql(target, operation, variables, credentials),
    token,
    wsClient(connectionParams = {}) {
      const { client } = liveClient(target, connectionParams);
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await mongo.stop();
    },
  };
}

/** The driver commands `action` caused, up to a marker sent once it resolved (see CommandLog). */
export function commandsDuring<T>(t: Pick<TestApp, 'commands'>, action: () => Promise<T>): Promise<{ result: T; commands: Command[] }> {
  if (!t.commands) throw new Error('commandsDuring needs startTestApp(env, { monitorCommands: true })');
  return t.commands.during(action);
}

/** A messageAdded event of acme carrying `marker` as its body, shown to users. */
export function messageMarker(ticketId: number | string, ticketUserId: number, marker: string, accountId = 'acme'): MessageAddedEvent {
  return {
    accountId,
    ticketId: Number(ticketId),
    ticketUserId,
    id: `${ticketId}:${marker}`,
    seq: Number(marker),
    sender: 'admin',
    senderName: 'marker',
    body: marker,
    showToUser: true,
    createdAt: '2026-03-02T10:00:00.000Z',
  };
}

/**
 * A ticketUpdated event carrying `marker` as the ticket id (for subscribers to every visible ticket)
 * and as `assignedTo`, for `ticket` (a user's ticket of acme unless told).
 */
export function ticketMarker(marker: string, ticket: { ticketId?: number | string; userId?: number; accountId?: string } = {}): TicketUpdatedEvent {
  return {
    accountId: ticket.accountId ?? 'acme',
    ticketId: Number(ticket.ticketId ?? marker),
    userId: ticket.userId ?? 6,
    subject: 'marker',
    type: 'Marker',
    groupName: 'Marker',
    priority: 'medium',
    status: 'open',
    due: '2026-03-02T10:00:00.000Z',
    assignedTo: marker,
    closedAt: null,
    resolutionType: null,
    resolutionSubject: null,
    createdAt: '2026-03-02T10:00:00.000Z',
    updatedAt: '2026-03-02T10:00:00.000Z',
  };
}
