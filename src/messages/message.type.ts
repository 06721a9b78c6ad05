import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../shared/page-info.type';

export enum SenderRole {
  ADMIN = 'ADMIN',
  USER = 'USER',
}
registerEnumType(SenderRole, { name: 'SenderRole', description: "Who wrote a message: support staff or the ticket's user." });

@ObjectType({ description: "One entry of a ticket's conversation.", simpleResolvers: true })
export class Message {
  @Field(() => ID, { description: 'The message id.' })
  id!: string;

  @Field(() => ID, { description: 'The ticket this message belongs to.' })
  ticketId!: string;

  @Field(() => SenderRole, { description: 'Whether an admin or the user wrote it.' })
  sender!: SenderRole;

  @Field({ description: "The display name of the sender (an admin's username, or the user id)." })
  senderName!: string;

  @Field({ description: 'The message text.' })
  body!: string;

  @Field({ description: "False for an internal note that the ticket's user never sees." })
  showToUser!: boolean;

  @Field(() => Date, { description: 'When the message was written.' })
  createdAt!: Date;

  /** Its event's cursor when already known (a live or replayed event carries it). */
  knownEventCursor?: string;
}

@ObjectType({ description: 'A message in a page of a conversation.', simpleResolvers: true })
export class MessageEdge {
  @Field({ description: 'Opaque cursor of this message, for `after`.' })
  cursor!: string;

  @Field(() => Message, { description: 'The message.' })
  node!: Message;
}

@ObjectType({ description: 'A page of a conversation, in the order written.', simpleResolvers: true })
export class MessageConnection {
  @Field(() => [MessageEdge], { description: 'The messages of this page.' })
  edges!: MessageEdge[];

  @Field(() => PageInfo, { description: 'How to fetch the next page.' })
  pageInfo!: PageInfo;

  count!: () => Promise<number>;

  @Field(() => Int, { description: 'How many messages of this conversation the viewer may see.' })
  totalCount(): Promise<number> {
    return this.count();
  }
}
