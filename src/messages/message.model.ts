import { Schema, type Connection } from 'mongoose';

const messageSchema = new Schema(
  {
    accountId: { type: String, required: true },
    ticketId: { type: Number, required: true },
    /** 1, 2, 3... per ticket, in the order written (the conversation order and the cursor). */
    seq: { type: Number, required: true },
    /** Its place among the messages a user sees (a user's cursors count these). */
    userSeq: { type: Number },
    sender: { type: String, required: true, enum: ['admin', 'user'] },
    senderName: { type: String, required: true },
    body: { type: String, required: true },
    showToUser: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'messages', strict: 'throw' },
);

messageSchema.index({ ticketId: 1, seq: 1 }, { unique: true });
messageSchema.index({ accountId: 1, ticketId: 1, seq: 1 });

export function messageModels(connection: Connection) {
  return { Message: connection.model('Message', messageSchema) };
}
export type MessageModels = ReturnType<typeof messageModels>;
