import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError, BadUserInputError } from '../errors';
import type { Scalar } from './params';

/** The legacy API's body limit. */
export const BODY_LIMIT = 1024 * 1024;

const SUPPORTED = 'application/x-www-form-urlencoded, application/json or multipart/form-data (fields only)';

export function payloadTooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
}

/**
 * Collects the parameters of one source, refusing what could smuggle structure into a scalar field:
 * bracketed names (`userId[$ne]`, which other parsers turn into objects) and repeated names (arrays).
 */
export class ParamCollector {
  readonly params = new Map<string, Scalar>();

  constructor(private readonly where: string) {}

  add(name: string, value: Scalar): void {
    if (name.includes('[') || name.includes(']')) {
      throw new BadUserInputError(name, `${printable(name)} is not a parameter name: ${this.where} parameters are plain names with single scalar values`);
    }
    if (this.params.has(name)) throw new BadUserInputError(name, `${printable(name)} is given more than once in the ${this.where}: give a single value`);
    this.params.set(name, value);
  }
}

/** A name as it may appear in a message: bounded, without control characters. */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}...` : clean;
}

/** Parameters of a query string or urlencoded body: never nested, whatever the names look like. */
export function urlEncodedParams(text: string, where: string, ignore?: string): Map<string, Scalar> {
  const collector = new ParamCollector(where);
  for (const [name, value] of new URLSearchParams(text)) if (name !== ignore) collector.add(name, value);
  return collector.params;
}

function jsonParams(text: string): Map<string, Scalar> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadUserInputError('body', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadUserInputError('body', 'The JSON body must be an object of parameters, e.g. {"ticketId": 91}');
  }
  const collector = new ParamCollector('body');
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== null && typeof value === 'object') {
      throw new BadUserInputError(
        name,
        `${printable(name)} must be a single scalar value (a string, number, boolean or null), not ${Array.isArray(value) ? 'an array' : 'an object'}`,
      );
    }
    collector.add(name, value as Scalar);
  }
  return collector.params;
}

function multipartParams(raw: Buffer, headers: IncomingMessage['headers']): Promise<Map<string, Scalar>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { fieldSize: BODY_LIMIT, fieldNameSize: BODY_LIMIT, fields: 10_000, parts: 10_000 } });
    } catch {
      reject(new BadUserInputError('body', 'The multipart body has no valid boundary in its Content-Type'));
      return;
    }
    const collector = new ParamCollector('body');
    let failure: unknown;
    const fail = (error: unknown) => {
      failure ??= error;
    };
    parser.on('field', (name, value) => {
      try {
        collector.add(name, value);
      } catch (error) {
        fail(error);
      }
    });
    parser.on('file', (name, stream) => {
      stream.resume();
      fail(new BadUserInputError(name, `${printable(name)} is a file: the legacy API accepts form fields only`));
    });
    parser.on('partsLimit', () => fail(new BadUserInputError('body', 'The multipart body has too many parts')));
    parser.on('fieldsLimit', () => fail(new BadUserInputError('body', 'The multipart body has too many fields')));
    parser.on('error', () => {
      fail(new BadUserInputError('body', 'The multipart body is malformed'));
      resolveOrReject();
    });
    let settled = false;
    const resolveOrReject = () => {
      if (settled) return;
      settled = true;
      if (failure) reject(failure);
      else resolve(collector.params);
    };
    parser.on('close', resolveOrReject);
    parser.end(raw);
  });
}

/** Reads at most `limit` bytes; past it, the rest is drained (never buffered) and 413 is thrown. */
function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(body!);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(undefined, Buffer.concat(chunks)));
    req.on('aborted', () => settle(new BadUserInputError('body', 'The request body was cut off')));
    req.on('error', () => settle(new BadUserInputError('body', 'The request body could not be read')));
  });
}

function declaresBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * The body parameters of a legacy request (an empty map without a body). Urlencoded and multipart
 * fields are strings; JSON values are scalars. Anything else is a 400 naming what was wrong, and a
 * body over {@link BODY_LIMIT} a 413.
 */
export async function readBodyParams(req: IncomingMessage, limit = BODY_LIMIT): Promise<Map<string, Scalar>> {
  if (!declaresBody(req)) return new Map();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge();
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity') {
    throw new BadUserInputError('Content-Encoding', `Content-Encoding ${printable(encoding)} is not supported: send the body uncompressed`);
  }
  const raw = await readRaw(req, limit);
  if (raw.length === 0) return new Map();
  const contentType = req.headers['content-type'];
  const mediaType = contentType?.split(';')[0].trim().toLowerCase() ?? '';
  if (mediaType === '') throw new BadUserInputError('Content-Type', `A request body needs a Content-Type: send ${SUPPORTED}`);
  if (mediaType === 'application/x-www-form-urlencoded') return urlEncodedParams(raw.toString('utf8'), 'body');
  if (mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType)) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new BadUserInputError('body', 'The JSON body is not valid UTF-8');
    }
    return jsonParams(text);
  }
  if (mediaType === 'multipart/form-data') return multipartParams(raw, req.headers);
  throw new BadUserInputError('Content-Type', `Content-Type ${printable(mediaType)} is not supported: send ${SUPPORTED}`);
}
