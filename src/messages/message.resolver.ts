import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { toMessage } from './message.mapper';
import { SendMessageInput } from './message.inputs';
import { Message } from './message.type';

@Resolver(() => Message)
export class MessageResolver {
  @Authorized()
  @Mutation(() => Message, { description: "Add a message to an open ticket's conversation; a closed ticket is a CONFLICT." })
  async sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: AppContext): Promise<Message> {
    return toMessage(await ctx.services.messages.send(viewerOf(ctx), input));
  }
}
