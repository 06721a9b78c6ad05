/**
 * The credentials every test server knows, in-process or a process of its own: one JWT secret, an
 * API key for each of two accounts (acme, globex), and tokens signed with that secret.
 */
import { signToken, type TokenClaims } from '../../src/auth/auth.service';

export const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const ACME_KEY = 'acme-api-key-0123456789';
export const GLOBEX_KEY = 'globex-api-key-0123456789';
/** API_KEYS for the gateway: ACME_KEY for acme, GLOBEX_KEY for globex. */
export const API_KEYS = `${ACME_KEY}:acme,${GLOBEX_KEY}:globex`;

/** What a request authenticates with: a JWT, an API key, or (neither) nothing. */
export interface Credentials {
  token?: string;
  apiKey?: string;
}

/** An admin of acme, by API key. */
export const ADMIN: Credentials = { apiKey: ACME_KEY };

/** A JWT signed with JWT_SECRET, of account acme unless the claims say otherwise. */
export function token(claims: Partial<TokenClaims> & Pick<TokenClaims, 'role'>, expiresIn?: string | number): Promise<string> {
  return signToken(JWT_SECRET, { account: 'acme', ...claims } as TokenClaims, expiresIn);
}

/** The HTTP headers that carry `credentials`. */
export function credentialHeaders(credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  return headers;
}

/** The same credentials as graphql-ws connectionParams. */
export function connectionParams(credentials: Credentials): Record<string, unknown> {
  return credentials.apiKey ? { apiKey: credentials.apiKey } : credentials.token ? { authorization: `Bearer ${credentials.token}` } : {};
}
