/**
 * The TCP side: accepts connections, frames messages, runs commands, writes replies.
 */
import net from 'node:net';
import { runCommand, type CommandContext } from './commands';
import { CursorRegistry } from './cursors';
import { Store } from './store';
import { ErrorCode, MongoServerError } from './errors';
import { FrameReader, OP_MSG, decodeMessage, encodeOpMsg, encodeOpReply, type ReplyBody, type Request } from './wire';

export interface EmbeddedMongoOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** Default 127.0.0.1: this server has no authentication. */
  host?: string;
  /** Idle cursors are closed after this long. Default 10 minutes, as mongod. */
  cursorTimeoutMs?: number;
  /** How often TTL indexes are swept. Default 60 s, as mongod's TTL monitor. */
  ttlIntervalMs?: number;
}

export interface EmbeddedMongo {
  /** `mongodb://HOST:PORT/`, ready for MongoClient or mongoose. */
  readonly uri: string;
  readonly port: number;
  /** Closes the listener and every connection; data is discarded. */
  stop(): Promise<void>;
}

const DEFAULT_CURSOR_TIMEOUT_MS = 10 * 60 * 1000;

/** Writes a reply; a reply that cannot be encoded (say, too large) becomes an error reply. */
function respond(socket: net.Socket, requestId: number, reply: ReplyBody, encode: (responseTo: number, body: ReplyBody) => Buffer): void {
  let bytes: Buffer;
  try {
    bytes = encode(requestId, reply);
  } catch (err) {
    const failure = new MongoServerError(ErrorCode.InternalError, `cannot encode the reply: ${(err as Error).message}`);
    bytes = encode(requestId, failure.toReply());
  }
  socket.write(bytes);
}
const DEFAULT_TTL_INTERVAL_MS = 60 * 1000;

/** Starts an in-memory MongoDB that speaks the wire protocol on a real socket. */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const store = new Store();
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? DEFAULT_CURSOR_TIMEOUT_MS);
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const ctx: CommandContext = { store, cursors, connectionId: nextConnectionId++ };
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let requests: Request[];
      try {
        requests = reader.push(chunk).map(decodeMessage);
      } catch {
        // A bad frame poisons the rest of this stream; other connections are unaffected.
        socket.destroy();
        return;
      }
      for (const request of requests) {
        if (socket.destroyed) return;
        if (request.opCode === OP_MSG) {
          const reply = runCommand(request.command, ctx);
          // moreToCome: the client expects no answer, and an unexpected one desynchronises it.
          if (!request.moreToCome) respond(socket, request.requestId, reply, encodeOpMsg);
        } else {
          const db = request.collection.split('.')[0];
          const reply = runCommand({ ...request.query, $db: db }, ctx, true);
          respond(socket, request.requestId, reply, encodeOpReply);
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const ttl = setInterval(() => store.sweepExpired(), options.ttlIntervalMs ?? DEFAULT_TTL_INTERVAL_MS);
  ttl.unref();

  const port = (server.address() as net.AddressInfo).port;
  const uriHost = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    port,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        clearInterval(ttl);
        cursors.closeAll();
        // server.close() waits for open connections (the driver's monitor never closes by itself).
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
