import { ACME_KEY, type TestApp } from '../helpers/app';

export interface LegacyResponse {
  status: number;
  /** The exact JSON text of the body. */
  text: string;
  json: any;
  headers: Headers;
}

export interface LegacyCall {
  method?: string;
  /** Query string parameters (appended in order; values as given). */
  query?: Record<string, string | number> | Array<[string, string]>;
  /** An urlencoded body. */
  form?: Record<string, string | number> | Array<[string, string]>;
  /** A JSON body (serialised as is; a string is sent verbatim). */
  json?: unknown;
  /** A multipart body of fields. */
  multipart?: Record<string, string>;
  /** A raw body with its content type. */
  raw?: { body: string | Buffer; contentType?: string };
  headers?: Record<string, string>;
  /** The API key sent as X-API-Key; null sends no credentials. Default: ACME_KEY. */
  apiKey?: string | null;
}

/** One request to /api/v1 over real HTTP. */
export async function legacy(t: Pick<TestApp, 'url'>, path: string, call: LegacyCall = {}): Promise<LegacyResponse> {
  const url = new URL(`${t.url}/api/v1${path}`);
  const query = Array.isArray(call.query) ? call.query : Object.entries(call.query ?? {});
  for (const [name, value] of query) url.searchParams.append(name, String(value));
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  const apiKey = call.apiKey === undefined ? ACME_KEY : call.apiKey;
  if (apiKey !== null && headers['x-api-key'] === undefined) headers['x-api-key'] = apiKey;
  let body: string | Buffer | FormData | undefined;
  if (call.form) {
    const params = new URLSearchParams();
    const entries = Array.isArray(call.form) ? call.form : Object.entries(call.form);
    for (const [name, value] of entries) params.append(name, String(value));
    body = params.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (call.json !== undefined) {
    body = typeof call.json === 'string' ? call.json : JSON.stringify(call.json);
    headers['content-type'] ??= 'application/json';
  } else if (call.multipart) {
    const data = new FormData();
    for (const [name, value] of Object.entries(call.multipart)) data.append(name, value);
    body = data;
  } else if (call.raw) {
    body = call.raw.body;
    if (call.raw.contentType !== undefined) headers['content-type'] = call.raw.contentType;
  }
  const method = call.method ?? (body === undefined ? 'GET' : 'POST');
  const response = await fetch(url, { method, headers, body: body as BodyInit | undefined });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** The exact error envelope text. */
export function errorText(errorCode: number, message: string): string {
  return JSON.stringify({ status: 'error', errorCode, message });
}
