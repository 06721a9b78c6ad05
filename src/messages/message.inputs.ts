import { Field, ID, InputType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import { LIMITS } from '../tickets/ticket.inputs';
import { SenderRole } from './message.type';

@InputType({ description: "A message to add to a ticket's conversation." })
export class SendMessageInput {
  @Field(() => ID, { description: 'The ticket to write on.' })
  ticketId!: string;

  @Field({ description: 'The message text.' })
  @MaxLength(LIMITS.text, { message: `body must be at most ${LIMITS.text} characters` })
  body!: string;

  @Field(() => SenderRole, { nullable: true, description: 'Who writes: ADMIN by default for an admin; always USER for a user.' })
  sender?: SenderRole | null;

  @Field(() => String, { nullable: true, description: "Display name; defaults to the admin's username or the user id." })
  @IsOptional()
  @MaxLength(LIMITS.name, { message: `senderName must be at most ${LIMITS.name} characters` })
  senderName?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'False makes an internal note the user never sees (ignored for USER messages).' })
  showToUser?: boolean | null;
}
