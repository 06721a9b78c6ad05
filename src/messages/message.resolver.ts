import { Arg, Authorized, Ctx, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import type { MessageAddedEvent } from '../shared/events';
import { messageFromEvent, toMessage } from './message.mapper';
import { SendMessageInput } from './message.inputs';
import { Message } from './message.type';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized()
  @Mutation(() => Message, { description: "Add a message to an open ticket's conversation; a closed ticket is a CONFLICT." })
  async sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: AppContext): Promise<Message> {
    return toMessage(await ctx.services.messages.send(viewerOf(ctx), input));
  }

  @Authorized()
  @Subscription(() => Message, {
    description: 'New messages of one ticket, as they are written; a user gets only messages shown to users, of its own tickets.',
    subscribe: ({ args, context }) => {
      const ctx = context as AppContext;
      return ctx.services.messages.watch(viewerOf(ctx), args.ticketId as string);
    },
  })
  messageAdded(@Root() event: MessageAddedEvent, @Arg('ticketId', () => ID, { description: 'The ticket to follow.' }) _ticketId: string): Message {
    return messageFromEvent(event);
  }
}
