import type { Connection } from 'mongoose';
import type { Config } from './config';
import { AuthService } from './auth/auth.service';
import { EventBus, type EventPubSub } from './shared/events';
import type { Clock } from './shared/time';
import { ticketModels } from './tickets/ticket.model';
import { messageModels } from './messages/message.model';
import { ratingModels } from './ratings/rating.model';
import { TicketService } from './tickets/ticket.service';
import { MessageService } from './messages/message.service';
import { ConversationStore } from './messages/conversation.store';
import { eventModels } from './events/event.model';
import { type EventEffects, EventRelay, type FaultPoint } from './events/event.relay';
import { EventService } from './events/event.service';
import { outboxSweeper } from './events/outbox.sweeper';
import { eventRetention } from './events/event.retention';
import { leaseModels } from './workers/lease.model';
import { RatingService } from './ratings/rating.service';
import { idempotencyModels } from './idempotency/idempotency.model';
import { IdempotencyService } from './idempotency/idempotency.service';

export interface ContainerDeps {
  config: Readonly<Config>;
  connection: Connection;
  pubSub: EventPubSub;
  clock: Clock;
  /** Where background work reports a failed round (the logger). */
  onWorkerError?(error: unknown): void;
}

/** The composition root: every service is built once, here, by hand. */
export function createContainer({ config, connection, pubSub, clock, onWorkerError }: ContainerDeps) {
  const models = {
    ...ticketModels(connection),
    ...messageModels(connection),
    ...ratingModels(connection),
    ...idempotencyModels(connection, config.idempotencyTtlHours),
    ...eventModels(connection),
    ...leaseModels(connection),
  };
  const events = new EventBus(pubSub);
  const conversation = new ConversationStore(models);
  const effects: EventEffects = {
    message: (ticket, draft) => conversation.materialize(ticket, draft),
    rating: (ticket, draft) => ratings.materialize(ticket, draft),
  };
  const relay = new EventRelay(models, effects, events, faultInjection(config.faultInjectionPoint));
  const tickets = new TicketService(models, relay, config, clock, events);
  const messages = new MessageService(models, tickets, clock, events);
  const ratings = new RatingService(models, tickets);
  const eventLog = new EventService(models, relay, config);
  return {
    config,
    connection,
    clock,
    pubSub,
    models,
    auth: new AuthService(config),
    idempotency: new IdempotencyService(models, clock, config.idempotencyTtlHours * 3_600_000),
    services: { tickets, messages, ratings, events: eventLog },
    /** Background work, started and stopped with the server (index.ts). */
    workers: [
      outboxSweeper({ tickets, leases: models.Lease, intervalMs: config.eventRelayIntervalMs, onError: (error) => onWorkerError?.(error) }),
      eventRetention({ models, leases: models.Lease, clock, retentionDays: config.eventRetentionDays, intervalMs: 3_600_000, onError: (error) => onWorkerError?.(error) }),
    ],
    /** Creates indexes and the id counter; safe to run on every start and on several instances at once. */
    async init(): Promise<void> {
      // Explicitly: with autoIndex off (src/db/database.ts), Model.init() would build no index at all.
      await Promise.all(Object.values(models).map((model) => model.createIndexes()));
      await tickets.init();
    },
  };
}

export type Container = ReturnType<typeof createContainer>;

/** FAULT_INJECTION_POINT (tests): the process kills itself at that point, as a crash or a power cut would stop it. */
function faultInjection(point: string | undefined): FaultPoint | undefined {
  if (point === undefined) return undefined;
  return (reached) => {
    if (reached === point) process.kill(process.pid, 'SIGKILL');
  };
}
