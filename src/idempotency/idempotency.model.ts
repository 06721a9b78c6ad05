import { Schema, type Connection } from 'mongoose';

const idempotencySchema = new Schema(
  {
    /** `["<credential>","<Idempotency-Key>"]` (JSON): keys are private to the credential that sent them. */
    _id: { type: String, required: true },
    /** Hash of the operation and its variables: the same key with another request is refused. */
    fingerprint: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'done'] },
    /** The first response, replayed verbatim (JSON of the GraphQL result). */
    response: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'idempotency_keys', strict: 'throw' },
);

export function idempotencyModels(connection: Connection, ttlHours: number) {
  const schema = idempotencySchema.clone();
  schema.index({ createdAt: 1 }, { expireAfterSeconds: ttlHours * 3600 });
  return { IdempotencyKey: connection.model('IdempotencyKey', schema) };
}
export type IdempotencyModels = ReturnType<typeof idempotencyModels>;
