/**
 * The wire codec on its own: framing across chunk boundaries, OP_MSG sections and flags, OP_QUERY.
 */
import { Long, deserialize, serialize, type Document } from 'bson';
import { FrameReader, OP_MSG, OP_QUERY, OP_REPLY, ProtocolError, decodeMessage, encodeCursorReply, encodeOpMsg, encodeOpReply } from '../../src/embedded-mongo/wire';

function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(flags: number, body: Document, sequences: [string, Document[]][] = [], checksum = false): Buffer {
  const parts: Buffer[] = [];
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags, 0);
  parts.push(flagBytes, Buffer.from([0]), Buffer.from(serialize(body)));
  for (const [id, docs] of sequences) {
    const payload = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => Buffer.from(serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4, 0);
    parts.push(Buffer.from([1]), size, payload);
  }
  if (checksum) parts.push(Buffer.alloc(4));
  const rest = Buffer.concat(parts);
  return Buffer.concat([header(16 + rest.length, 42, OP_MSG), rest]);
}

describe('FrameReader', () => {
  it('reassembles messages split across and packed into chunks', () => {
    const a = opMsg(0, { ping: 1, $db: 'admin' });
    const b = opMsg(0, { hello: 1, $db: 'admin' });
    const both = Buffer.concat([a, b]);
    const reader = new FrameReader();
    const frames: Buffer[] = [];
    for (let i = 0; i < both.length; i += 7) frames.push(...reader.push(both.subarray(i, i + 7)));
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length]);
    expect(new FrameReader().push(both)).toHaveLength(2);
  });

  it('rejects impossible lengths', () => {
    expect(() => new FrameReader().push(header(3, 1, OP_MSG))).toThrow(ProtocolError);
    expect(() => new FrameReader(1000).push(header(5000, 1, OP_MSG))).toThrow(ProtocolError);
  });
});

describe('decodeMessage', () => {
  it('merges kind-1 document sequences into the command', () => {
    const request = decodeMessage(opMsg(0, { insert: 'c', $db: 'd' }, [['documents', [{ a: 1 }, { a: 2 }]]]));
    expect(request.opCode).toBe(OP_MSG);
    if (request.opCode !== OP_MSG) return;
    expect(request.requestId).toBe(42);
    expect(request.moreToCome).toBe(false);
    expect(request.command.documents).toHaveLength(2);
  });

  it('reads moreToCome, skips a checksum and tolerates exhaustAllowed', () => {
    const request = decodeMessage(opMsg((1 << 1) | 1 | (1 << 16), { ping: 1, $db: 'admin' }, [], true));
    expect(request.opCode === OP_MSG && request.moreToCome).toBe(true);
  });

  it('rejects unknown required flag bits, section kinds, opcodes and bad BSON', () => {
    expect(() => decodeMessage(opMsg(1 << 3, { ping: 1 }))).toThrow(ProtocolError);
    const badKind = opMsg(0, { ping: 1 });
    badKind[20] = 7;
    expect(() => decodeMessage(badKind)).toThrow(ProtocolError);
    expect(() => decodeMessage(Buffer.concat([header(20, 1, 2012), Buffer.alloc(4)]))).toThrow(ProtocolError);
    const badBson = opMsg(0, { ping: 1 });
    badBson.writeInt32LE(9999, 21);
    expect(() => decodeMessage(badBson)).toThrow(ProtocolError);
  });

  it('decodes the legacy OP_QUERY handshake', () => {
    const query = Buffer.concat([Buffer.alloc(4), Buffer.from('admin.$cmd\0'), Buffer.alloc(8), Buffer.from(serialize({ ismaster: 1, helloOk: true }))]);
    const request = decodeMessage(Buffer.concat([header(16 + query.length, 7, OP_QUERY), query]));
    expect(request).toMatchObject({ opCode: OP_QUERY, requestId: 7, collection: 'admin.$cmd', query: { helloOk: true } });
  });
});

describe('encoders', () => {
  it('answers with responseTo set and one kind-0 section', () => {
    const msg = encodeOpMsg(42, { ok: 1 });
    expect(msg.readInt32LE(0)).toBe(msg.length);
    expect(msg.readInt32LE(8)).toBe(42);
    expect(msg.readInt32LE(12)).toBe(OP_MSG);
    expect(msg.readUInt32LE(16)).toBe(0);
    expect(msg[20]).toBe(0);
    expect(deserialize(msg.subarray(21))).toEqual({ ok: 1 });
    const reply = encodeOpReply(7, { ismaster: true });
    expect(reply.readInt32LE(12)).toBe(OP_REPLY);
    expect(reply.readInt32LE(32)).toBe(1);
    expect(deserialize(reply.subarray(36))).toEqual({ ismaster: true });
  });

  it('assembles cursor replies from pre-encoded documents', () => {
    const docs = [{ a: 1 }, { b: 'x' }].map((d) => Buffer.from(serialize(d)));
    const body = encodeCursorReply('firstBatch', docs, Long.fromNumber(77), 'db.c');
    const decoded = deserialize(body.bytes, { promoteLongs: false });
    expect(decoded.cursor.firstBatch).toEqual([{ a: 1 }, { b: 'x' }]);
    expect(Long.isLong(decoded.cursor.id) && decoded.cursor.id.toNumber()).toBe(77);
    expect(decoded.cursor.ns).toBe('db.c');
    expect(decoded.ok).toBe(1);
  });
});
