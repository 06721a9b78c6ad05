import { Field, ID, InputType, Int } from 'type-graphql';
import { IsInt, IsOptional, MaxLength, Min, ValidateNested } from 'class-validator';
import { TicketPriority, TicketView } from './ticket.type';

export const LIMITS = { type: 100, subject: 255, name: 254, text: 65_535 } as const;

@InputType({ description: 'Narrows a ticket list; every condition given must hold.' })
export class TicketFilter {
  @Field(() => Int, { nullable: true, description: "Only this user's tickets. A user viewer may only give its own id." })
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'userId must be a positive integer' })
  userId?: number | null;

  @Field(() => TicketView, { nullable: true, description: 'A view such as UNRESOLVED or OVERDUE.' })
  view?: TicketView | null;

  @Field(() => String, { nullable: true, description: 'Only tickets assigned to this admin username.' })
  @IsOptional()
  @MaxLength(LIMITS.name, { message: `assignedTo must be at most ${LIMITS.name} characters` })
  assignedTo?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only tickets created at or after this instant.' })
  createdFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only tickets created at or before this instant.' })
  createdTo?: Date | null;

  @Field(() => TicketPriority, { nullable: true, description: 'Only tickets of this priority.' })
  priority?: TicketPriority | null;

  @Field(() => String, { nullable: true, description: 'Only tickets of this type.' })
  @IsOptional()
  @MaxLength(LIMITS.type, { message: `type must be at most ${LIMITS.type} characters` })
  type?: string | null;
}

@InputType({ description: 'How a ticket was resolved.' })
export class ResolutionInput {
  @Field({ description: 'The kind of resolution, e.g. "Refund".' })
  @MaxLength(LIMITS.subject, { message: `resolution type must be at most ${LIMITS.subject} characters` })
  type!: string;

  @Field({ description: 'A short summary of the resolution.' })
  @MaxLength(LIMITS.subject, { message: `resolution subject must be at most ${LIMITS.subject} characters` })
  subject!: string;
}

@InputType({ description: 'A new ticket and its first message.' })
export class RaiseTicketInput {
  @Field({ description: 'The ticket type, e.g. "Payment".' })
  @MaxLength(LIMITS.type, { message: `type must be at most ${LIMITS.type} characters` })
  type!: string;

  @Field({ description: 'The ticket subject.' })
  @MaxLength(LIMITS.subject, { message: `subject must be at most ${LIMITS.subject} characters` })
  subject!: string;

  @Field(() => TicketPriority, { nullable: true, defaultValue: TicketPriority.MEDIUM, description: 'The priority; MEDIUM when omitted.' })
  priority?: TicketPriority | null;

  @Field(() => Int, { nullable: true, description: 'The user the ticket is for. Required for an admin; a user may omit it (itself).' })
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'userId must be a positive integer' })
  userId?: number | null;

  @Field({ description: 'The issue, stored as the first message of the conversation.' })
  @MaxLength(LIMITS.text, { message: `comments must be at most ${LIMITS.text} characters` })
  comments!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Create the ticket already CLOSED (a resolution is then required).' })
  closeImmediately?: boolean | null;

  @Field(() => ResolutionInput, { nullable: true, description: 'Required when closeImmediately is true.' })
  @IsOptional()
  @ValidateNested()
  resolution?: ResolutionInput | null;
}

@InputType({ description: 'Reopen a closed ticket with a reason.' })
export class ReopenTicketInput {
  @Field(() => ID, { description: 'The ticket to reopen.' })
  ticketId!: string;

  @Field(() => Int, { nullable: true, description: "Must be the ticket's user when given; a user viewer may omit it." })
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'userId must be a positive integer' })
  userId?: number | null;

  @Field({ description: 'Why the ticket is reopened; appended to the conversation as a user message.' })
  @MaxLength(LIMITS.text, { message: `comments must be at most ${LIMITS.text} characters` })
  comments!: string;
}
