/**
 * The wire protocol codec: message framing, OP_MSG and the legacy OP_QUERY / OP_REPLY pair that
 * drivers still use for the first handshake. Pure functions over Buffers, no sockets.
 *
 * Every decoding problem is a ProtocolError; the server answers it by closing that one
 * connection, as mongod does, because after a bad frame the byte stream cannot be trusted.
 */
import { deserialize, serialize, type Document, type Long } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

const HEADER_SIZE = 16;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0-15 are "required": a receiver must reject ones it does not know. */
const MSG_REQUIRED_BITS_MASK = 0xffff;

/**
 * Decoding keeps every BSON type as sent (Int32, Double and Long wrappers, BSONRegExp), so stored
 * documents round-trip exactly; commands convert what they query with (see values.toView).
 */
const DESERIALIZE_OPTIONS = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface MsgRequest {
  readonly opCode: typeof OP_MSG;
  readonly requestId: number;
  readonly moreToCome: boolean;
  readonly command: Document;
}

export interface QueryRequest {
  readonly opCode: typeof OP_QUERY;
  readonly requestId: number;
  readonly collection: string;
  readonly query: Document;
}

export type Request = MsgRequest | QueryRequest;

/** A reply body that is already BSON (cursor batches are assembled from per-document bytes). */
export class EncodedDocument {
  constructor(readonly bytes: Buffer) {}
}

export type ReplyBody = Document | EncodedDocument;

/** Splits a TCP byte stream into whole messages. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = 0;

  constructor(private readonly maxMessageSize = MAX_MESSAGE_SIZE_BYTES) {}

  /** Returns the complete frames now available; throws ProtocolError on an impossible length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.needed === 0) {
        if (this.buffered < 4) break;
        const head = this.peek(4);
        const length = head.readInt32LE(0);
        if (length < HEADER_SIZE || length > this.maxMessageSize) {
          throw new ProtocolError(`invalid message length ${length}`);
        }
        this.needed = length;
      }
      if (this.buffered < this.needed) break;
      frames.push(this.take(this.needed));
      this.needed = 0;
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const frame = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

function readDocument(frame: Buffer, offset: number, end: number): { doc: Document; next: number } {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const size = frame.readInt32LE(offset);
  if (size < 5 || offset + size > end || size > MAX_BSON_OBJECT_SIZE + 16 * 1024) {
    throw new ProtocolError(`invalid BSON document size ${size}`);
  }
  try {
    return { doc: deserialize(frame.subarray(offset, offset + size), DESERIALIZE_OPTIONS), next: offset + size };
  } catch (err) {
    throw new ProtocolError(`invalid BSON: ${(err as Error).message}`);
  }
}

function readCString(frame: Buffer, offset: number, end: number): { value: string; next: number } {
  const zero = frame.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new ProtocolError('unterminated cstring');
  return { value: frame.toString('utf8', offset, zero), next: zero + 1 };
}

/** Decodes one whole frame (as returned by FrameReader). */
export function decodeMessage(frame: Buffer): Request {
  if (frame.length < HEADER_SIZE) throw new ProtocolError('message shorter than its header');
  const requestId = frame.readInt32LE(4);
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(frame, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(frame, requestId);
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function decodeOpMsg(frame: Buffer, requestId: number): MsgRequest {
  if (frame.length < HEADER_SIZE + 5) throw new ProtocolError('OP_MSG too short');
  const flags = frame.readUInt32LE(HEADER_SIZE);
  if (flags & MSG_REQUIRED_BITS_MASK & ~(MSG_CHECKSUM_PRESENT | MSG_MORE_TO_COME)) {
    throw new ProtocolError(`unrecognized required OP_MSG flags 0x${flags.toString(16)}`);
  }
  // The trailing CRC-32C is not verified: TCP already checksums and mongod makes it optional.
  const end = flags & MSG_CHECKSUM_PRESENT ? frame.length - 4 : frame.length;
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG with more than one body section');
      const read = readDocument(frame, offset, end);
      body = read.doc;
      offset = read.next;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
      const size = frame.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError(`invalid document sequence size ${size}`);
      const id = readCString(frame, offset + 4, sectionEnd);
      const docs: Document[] = [];
      let at = id.next;
      while (at < sectionEnd) {
        const read = readDocument(frame, at, sectionEnd);
        docs.push(read.doc);
        at = read.next;
      }
      sequences.push([id.value, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (offset !== end) throw new ProtocolError('OP_MSG sections overrun the message');
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [id, docs] of sequences) {
    if (id in body) throw new ProtocolError(`duplicate field '${id}' in OP_MSG`);
    body[id] = docs;
  }
  return { opCode: OP_MSG, requestId, moreToCome: (flags & MSG_MORE_TO_COME) !== 0, command: body };
}

function decodeOpQuery(frame: Buffer, requestId: number): QueryRequest {
  let offset = HEADER_SIZE + 4; // flags are irrelevant for commands
  const name = readCString(frame, offset, frame.length);
  offset = name.next + 8; // numberToSkip, numberToReturn
  const query = readDocument(frame, offset, frame.length);
  let doc = query.doc;
  // Legacy drivers wrap commands that carry a read preference: {$query: {...}, $readPreference}.
  if (doc.$query && typeof doc.$query === 'object') doc = doc.$query as Document;
  return { opCode: OP_QUERY, requestId, collection: name.value, query: doc };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** BSON bytes of a document as a Buffer (bson's typings say Uint8Array; on Node it is a Buffer's view). */
export function encodeDocument(doc: Document): Buffer {
  const bytes = serialize(doc, { ignoreUndefined: true });
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bodyBytes(body: ReplyBody): Buffer {
  return body instanceof EncodedDocument ? body.bytes : encodeDocument(body);
}

/** OP_MSG reply: flags 0, one kind-0 section, no checksum. */
export function encodeOpMsg(responseTo: number, body: ReplyBody): Buffer {
  const doc = bodyBytes(body);
  const prefix = Buffer.alloc(5); // flagBits 0, section kind 0
  return Buffer.concat([header(HEADER_SIZE + 5 + doc.length, responseTo, OP_MSG), prefix, doc]);
}

/** OP_REPLY with a single document, the legacy handshake answer. */
export function encodeOpReply(responseTo: number, body: ReplyBody): Buffer {
  const doc = bodyBytes(body);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  // cursorID (int64 0) at 4, startingFrom at 12 stay zero
  fields.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(HEADER_SIZE + 20 + doc.length, responseTo, OP_REPLY), fields, doc]);
}

// --- hand-assembled BSON for cursor replies -------------------------------------------------------

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function element(type: number, name: string, value: Buffer): Buffer[] {
  return [Buffer.from([type]), cstring(name), value];
}

function documentOf(parts: Buffer[]): Buffer {
  const size = parts.reduce((n, p) => n + p.length, 0) + 5;
  const head = Buffer.allocUnsafe(4);
  head.writeInt32LE(size, 0);
  return Buffer.concat([head, ...parts, Buffer.from([0])], size);
}

/**
 * `{cursor: {firstBatch|nextBatch: [...], id, ns}, ok: 1}` from documents that are already BSON,
 * so a batch is serialized exactly once and its size is known before it is sent.
 */
/** `{cursor: {firstBatch | nextBatch, id, ns}, ...extra, ok: 1}` from already encoded documents. */
export function encodeCursorReply(batchName: 'firstBatch' | 'nextBatch', docs: Buffer[], id: Long, ns: string, extra?: Document): EncodedDocument {
  const items: Buffer[] = [];
  docs.forEach((doc, i) => items.push(...element(0x03, String(i), doc)));
  const idBytes = Buffer.allocUnsafe(8);
  idBytes.writeInt32LE(id.low, 0);
  idBytes.writeInt32LE(id.high, 4);
  const nsBytes = Buffer.from(ns, 'utf8');
  const nsValue = Buffer.allocUnsafe(4 + nsBytes.length + 1);
  nsValue.writeInt32LE(nsBytes.length + 1, 0);
  nsBytes.copy(nsValue, 4);
  nsValue[nsValue.length - 1] = 0;
  const cursor = documentOf([...element(0x04, batchName, documentOf(items)), ...element(0x12, 'id', idBytes), ...element(0x02, 'ns', nsValue)]);
  const ok = Buffer.allocUnsafe(8);
  ok.writeDoubleLE(1, 0);
  // A serialised document minus its length and terminator is its elements, ready to splice in.
  const extraElements = extra ? [Buffer.from(serialize(extra).subarray(4, -1))] : [];
  return new EncodedDocument(documentOf([...element(0x03, 'cursor', cursor), ...extraElements, ...element(0x01, 'ok', ok)]));
}
