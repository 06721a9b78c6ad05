/** Plain HTTP against a test server, whichever process it runs in. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** What every test server has: its base URL, http://127.0.0.1:<port>. */
export interface HttpTarget {
  readonly url: string;
}

/** A response, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  /** The exact text of the body. */
  text: string;
  /** The body parsed, when it is JSON (undefined when it is not). */
  json: any;
  /** How long the request took, in ms. */
  ms: number;
}

/** A response's body as text, and parsed when it is JSON (undefined when it is not). */
export async function readBody(response: Response): Promise<{ text: string; json: any }> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { text, json };
}

/** fetch, the body read, timed; a request that takes over 15 s fails instead of hanging the test. */
export async function request(url: string | URL, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000), ...init });
  const { text, json } = await readBody(response);
  return { status: response.status, headers: response.headers, text, json, ms: Date.now() - started };
}

/** GET /healthz or /readyz. */
export const probe = (target: HttpTarget, path: '/healthz' | '/readyz') => request(`${target.url}${path}`);

/** What a request on a connection of its own came to: an answer, or the code of the error it failed with. */
export type Outcome = { at: number; status: number; headers: IncomingHttpHeaders; text: string } | { at: number; error: string };

/**
 * One request over node:http on a connection of its own (no agent), for what fetch cannot do: pick
 * the local address (another client IP), or see exactly how a request fails. Never rejects: a failure
 * is an outcome too (`at` is Date.now() when it was settled).
 */
export function onOwnConnection(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  const { method = 'GET', body, localAddress, timeoutMs = 15_000 } = options;
  const headers = body === undefined ? (options.headers ?? {}) : { ...options.headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve) => {
    const req = httpRequest(url, { method, agent: false, localAddress, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ at: Date.now(), status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ at: Date.now(), error: `response ${error.code ?? error.message}` }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ at: Date.now(), error: error.code ?? error.message }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('TIMEOUT')));
    req.end(body);
  });
}
