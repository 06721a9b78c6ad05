import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth/auth-checker';
import { TicketResolver } from './tickets/ticket.resolver';
import { MessageResolver } from './messages/message.resolver';
import { TicketMessagesResolver } from './messages/ticket-messages.resolver';
import { RatingResolver } from './ratings/rating.resolver';
import { TicketRatingResolver } from './ratings/ticket-rating.resolver';
import { EventResolver } from './events/event.resolver';
import { SubscriptionResolver } from './events/subscriptions.resolver';
import { MessageEventResolver, TicketHistoryResolver } from './events/ticket-history.resolver';
import { DateTimeScalar } from './shared/date-time.scalar';
import { createInProcessPubSub, type EventPubSub } from './shared/events';

export const SCHEMA_FILE = 'schema/schema.graphql';

/**
 * The whole API surface: every resolver, one auth checker, class-validator on inputs, `DateTime` for
 * dates. Object types are declared with `simpleResolvers`: no field carries middleware or its own
 * auth, so graphql-js reads plain fields directly instead of through a type-graphql wrapper each
 * (a 50-ticket page has 600 of them).
 */
export function buildAppSchema(pubSub: EventPubSub = createInProcessPubSub()): Promise<GraphQLSchema> {
  return buildSchema({
    // Our subscriptions use `subscribe` (services filter by visibility); type-graphql still wants the engine.
    pubSub,
    resolvers: [
      TicketResolver,
      TicketMessagesResolver,
      TicketRatingResolver,
      TicketHistoryResolver,
      MessageResolver,
      MessageEventResolver,
      RatingResolver,
      EventResolver,
      SubscriptionResolver,
    ],
    authChecker,
    validate: { forbidUnknownValues: false },
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
}

/** The committed SDL: sorted, so a diff shows only real changes. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

export async function emitSchema(path = SCHEMA_FILE): Promise<void> {
  writeFileSync(path, printAppSchema(await buildAppSchema()));
}

if (require.main === module) {
  emitSchema().then(
    () => process.stdout.write(`wrote ${SCHEMA_FILE}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
