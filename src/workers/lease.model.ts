import { Schema, type Connection } from 'mongoose';

const leaseSchema = new Schema(
  {
    /** The worker's name: one lease per kind of background work. */
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { versionKey: false, collection: 'leases', strict: 'throw' },
);

export function leaseModels(connection: Connection) {
  return { Lease: connection.model('Lease', leaseSchema) };
}
export type LeaseModel = ReturnType<typeof leaseModels>['Lease'];
