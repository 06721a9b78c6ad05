import { Field, ID, InputType, Int } from 'type-graphql';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

@InputType({ description: 'A rating for a closed ticket.' })
export class RateTicketInput {
  @Field(() => ID, { description: 'The closed ticket to rate.' })
  ticketId!: string;

  @Field(() => Int, { nullable: true, description: "Must be the ticket's user when given; a user viewer may omit it." })
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'userId must be a positive integer' })
  userId?: number | null;

  @Field(() => Int, { description: 'From 1 (poor) to 5 (excellent).' })
  @IsInt({ message: 'value must be an integer from 1 to 5' })
  @Min(1, { message: 'value must be an integer from 1 to 5' })
  @Max(5, { message: 'value must be an integer from 1 to 5' })
  value!: number;
}
