import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "The user's rating of a closed ticket; rating again replaces it.", simpleResolvers: true })
export class Rating {
  @Field(() => ID, { description: 'The rated ticket.' })
  ticketId!: string;

  @Field(() => Int, { description: 'The user who rated.' })
  userId!: number;

  @Field(() => Int, { description: 'From 1 (poor) to 5 (excellent).' })
  value!: number;

  @Field(() => Date, { description: 'When the rating was given (or last replaced).' })
  createdAt!: Date;
}
