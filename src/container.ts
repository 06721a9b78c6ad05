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
import { RatingService } from './ratings/rating.service';
import { idempotencyModels } from './idempotency/idempotency.model';
import { IdempotencyService } from './idempotency/idempotency.service';

export interface ContainerDeps {
  config: Readonly<Config>;
  connection: Connection;
  pubSub: EventPubSub;
  clock: Clock;
}

/** The composition root: every service is built once, here, by hand. */
export function createContainer({ config, connection, pubSub, clock }: ContainerDeps) {
  const models = {
    ...ticketModels(connection),
    ...messageModels(connection),
    ...ratingModels(connection),
    ...idempotencyModels(connection, config.idempotencyTtlHours),
  };
  const events = new EventBus(pubSub);
  const conversation = new ConversationStore(models, events);
  const tickets = new TicketService(models, conversation, config, clock, events);
  const messages = new MessageService(models, conversation, tickets, clock, events);
  const ratings = new RatingService(models, tickets, clock);
  return {
    config,
    connection,
    clock,
    pubSub,
    models,
    auth: new AuthService(config),
    idempotency: new IdempotencyService(models, clock, config.idempotencyTtlHours * 3_600_000),
    services: { tickets, messages, ratings },
    /** Creates indexes and the id counter; safe to run on every start and on several instances at once. */
    async init(): Promise<void> {
      // Explicitly: with autoIndex off (src/db/database.ts), Model.init() would build no index at all.
      await Promise.all(Object.values(models).map((model) => model.createIndexes()));
      await tickets.init();
    },
  };
}

export type Container = ReturnType<typeof createContainer>;
