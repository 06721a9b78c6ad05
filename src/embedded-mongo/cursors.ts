/**
 * Open cursors: the rest of a result set after its first batch, served by getMore.
 *
 * A cursor holds references to immutable records (or aggregation output), so later writes do not
 * change what it returns, and renders each document only when it goes into a batch.
 * Idle cursors expire after `timeoutMs` (mongod: cursorTimeoutMillis, 10 minutes).
 */
import { randomBytes } from 'node:crypto';
import { Long } from 'bson';
import { ErrorCode, fail } from './errors';
import { MAX_BSON_OBJECT_SIZE, encodeDocument } from './wire';
import type { Doc } from './values';

/** mongod's default first batch when the client names no batchSize. */
export const DEFAULT_FIRST_BATCH = 101;
/** A batch stops growing past this many bytes, leaving room for the reply envelope. */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 64 * 1024;

export interface Batch {
  readonly docs: Buffer[];
  /** Long 0 when the result is exhausted. */
  readonly id: Long;
}

interface OpenCursor<T = unknown> {
  readonly id: Long;
  readonly ns: string;
  readonly items: readonly T[];
  readonly render: (item: T) => Doc;
  position: number;
  timer?: NodeJS.Timeout;
}

export class CursorRegistry {
  private readonly open = new Map<string, OpenCursor>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.open.size;
  }

  /** Takes up to `limit` items (and at most ~16 MB) starting at `cursor.position`. */
  private take(cursor: OpenCursor, limit: number): Buffer[] {
    const docs: Buffer[] = [];
    let bytes = 0;
    while (cursor.position < cursor.items.length && docs.length < limit) {
      const doc = encodeDocument(cursor.render(cursor.items[cursor.position]));
      if (docs.length > 0 && bytes + doc.length > MAX_BATCH_BYTES) break;
      docs.push(doc);
      bytes += doc.length;
      cursor.position++;
    }
    return docs;
  }

  /**
   * The first batch of a result; registers a cursor when more remains (unless singleBatch).
   * `batchSize` undefined means mongod's default of 101 documents.
   */
  first<T>(ns: string, items: readonly T[], render: (item: T) => Doc, options: { batchSize?: number; singleBatch?: boolean; noTimeout?: boolean } = {}): Batch {
    const cursor: OpenCursor<T> = { id: Long.ZERO, ns, items, render, position: 0 };
    const limit = options.batchSize ?? DEFAULT_FIRST_BATCH;
    const docs = this.take(cursor as OpenCursor, limit);
    if (options.singleBatch || cursor.position >= items.length) return { docs, id: Long.ZERO };
    const id = this.newId();
    const registered: OpenCursor<T> = { ...cursor, id };
    this.open.set(id.toString(), registered as OpenCursor);
    if (!options.noTimeout) this.arm(registered as OpenCursor);
    return { docs, id };
  }

  /** The next batch of cursor `id`; 43 CursorNotFound when it expired or never existed. */
  more(id: Long, ns: string, batchSize?: number): Batch {
    const key = id.toString();
    const cursor = this.open.get(key);
    if (!cursor) fail(ErrorCode.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.ns !== ns) fail(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    const docs = this.take(cursor, batchSize && batchSize > 0 ? batchSize : Number.MAX_SAFE_INTEGER);
    if (cursor.position >= cursor.items.length) {
      this.close(key);
      return { docs, id: Long.ZERO };
    }
    cursor.timer?.refresh();
    return { docs, id: cursor.id };
  }

  /** Returns true when the cursor existed. */
  kill(id: Long): boolean {
    return this.close(id.toString());
  }

  /** Ends every cursor, e.g. when the server stops. */
  closeAll(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private close(key: string): boolean {
    const cursor = this.open.get(key);
    if (!cursor) return false;
    if (cursor.timer) clearTimeout(cursor.timer);
    this.open.delete(key);
    return true;
  }

  private arm(cursor: OpenCursor): void {
    const key = cursor.id.toString();
    cursor.timer = setTimeout(() => this.close(key), this.timeoutMs);
    cursor.timer.unref();
  }

  private newId(): Long {
    for (;;) {
      // Positive, non-zero, 63 bits: cursor ids are signed int64 on the wire.
      const id = Long.fromBigInt(randomBytes(8).readBigUInt64LE() & 0x7fffffffffffffffn);
      if (!id.isZero() && !this.open.has(id.toString())) return id;
    }
  }
}
