import { hash, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { type Config, DEFAULT_JWT_CLOCK_SKEW_S, DEFAULT_JWT_MAX_LIFETIME_S } from '../config';
import { UnauthenticatedError } from '../errors';
import type { Viewer } from './viewer';

/** Where a caller may put its credentials; each transport fills in what it has. */
export interface Credentials {
  /** The `Authorization` header (or `authorization` of a WebSocket `connection_init`). */
  authorization?: string;
  /** `X-API-Key`, `connectionParams.apiKey`, or the legacy `?api_key=`. */
  apiKey?: string;
}

/** The credential of open development mode (whose callers are budgeted by IP). */
export const OPEN_CREDENTIAL = 'open';

/**
 * A credential id, for rate limits, connection caps and idempotency scopes: a JSON array of its
 * parts, so that no two credentials share one (a concatenation would: account `acme:user` with sub
 * `6` against account `acme` with user 6).
 */
function credentialId(...parts: Array<string | number>): string {
  return JSON.stringify(parts);
}

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * Resolves credentials into a {@link Viewer}, the same way for HTTP, WebSocket and the legacy shim.
 * Returns `null` for an anonymous caller (who then gets UNAUTHENTICATED on any field), except in
 * open development mode where the anonymous caller is an admin of the default account.
 * Credentials that are present but wrong always throw: a bad token never degrades to anonymous.
 */
export class AuthService {
  private readonly secret: Uint8Array | undefined;
  private readonly keys: Array<{ digest: Buffer; accountId: string; id: string }>;

  private readonly config: Pick<Config, 'jwtSecret' | 'apiKeys' | 'openMode' | 'defaultAccountId' | 'jwtMaxLifetimeS' | 'jwtClockSkewS'>;

  constructor(config: Pick<Config, 'jwtSecret' | 'apiKeys' | 'openMode' | 'defaultAccountId'> & Partial<Pick<Config, 'jwtMaxLifetimeS' | 'jwtClockSkewS'>>) {
    this.config = { jwtMaxLifetimeS: DEFAULT_JWT_MAX_LIFETIME_S, jwtClockSkewS: DEFAULT_JWT_CLOCK_SKEW_S, ...config };
    this.secret = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
    // A key is named by its place in API_KEYS: users see the name (`service:key-1`), so it must not be
    // derived from the key itself (even a hash prefix lets a guess be checked offline).
    this.keys = config.apiKeys.map((k, index) => ({
      digest: digest(k.key),
      accountId: k.accountId,
      id: `key-${index + 1}`,
    }));
  }

  async resolve(credentials: Credentials): Promise<Viewer | null> {
    const apiKey = credentials.apiKey?.trim();
    if (apiKey) return this.fromApiKey(apiKey);
    const authorization = credentials.authorization?.trim();
    if (authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
      const token = match[1];
      // A bearer value is an API key when it is one; otherwise it must be a JWT.
      const key = this.findKey(token);
      if (key) return this.keyViewer(key);
      return this.fromJwt(token);
    }
    if (this.config.openMode) {
      return { role: 'admin', accountId: this.config.defaultAccountId, username: 'dev', credentialId: OPEN_CREDENTIAL };
    }
    return null;
  }

  private findKey(candidate: string) {
    const d = digest(candidate);
    return this.keys.find((k) => timingSafeEqual(k.digest, d));
  }

  private keyViewer(key: { accountId: string; id: string }): Viewer {
    return { role: 'admin', accountId: key.accountId, username: `service:${key.id}`, credentialId: credentialId('key', key.id) };
  }

  private fromApiKey(apiKey: string): Viewer {
    const key = this.findKey(apiKey);
    if (!key) throw new UnauthenticatedError('The API key is not valid');
    return this.keyViewer(key);
  }

  private async fromJwt(token: string): Promise<Viewer> {
    if (!this.secret) throw new UnauthenticatedError('The bearer token is not a valid API key, and JWTs are not enabled');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], clockTolerance: this.config.jwtClockSkewS }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('The token has expired');
      throw new UnauthenticatedError('The token is not valid');
    }
    const expiresAt = this.checkLifetime(payload);
    const { role, sub, userId, account } = payload;
    if (typeof account !== 'string' || account === '') throw new UnauthenticatedError('The token has no "account" claim');
    if (role === 'admin') {
      if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError('An admin token needs a "sub" claim (the username)');
      return { role: 'admin', accountId: account, username: sub, credentialId: credentialId('jwt', account, 'admin', sub), expiresAt };
    }
    if (role === 'user') {
      if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId <= 0) {
        throw new UnauthenticatedError('A user token needs a positive integer "userId" claim');
      }
      return { role: 'user', accountId: account, userId, credentialId: credentialId('jwt', account, 'user', userId), expiresAt };
    }
    throw new UnauthenticatedError('The token\'s "role" claim must be "admin" or "user"');
  }

  /**
   * Every token expires (`exp` is required), lives at most JWT_MAX_LIFETIME_S, and was not issued in
   * the future (beyond JWT_CLOCK_SKEW_S). Answers when it stops being accepted, in ms since the epoch.
   */
  private checkLifetime({ exp, iat }: Record<string, unknown>): number {
    if (typeof exp !== 'number') throw new UnauthenticatedError('The token has no "exp" claim: tokens must expire');
    const now = Date.now() / 1000;
    const skew = this.config.jwtClockSkewS;
    if (iat !== undefined && (typeof iat !== 'number' || iat > now + skew)) throw new UnauthenticatedError('The token\'s "iat" claim is in the future');
    const lifetime = exp - (typeof iat === 'number' ? Math.min(iat, now) : now);
    if (lifetime > this.config.jwtMaxLifetimeS + skew) {
      throw new UnauthenticatedError(`The token lives longer than the ${this.config.jwtMaxLifetimeS} s this server accepts (JWT_MAX_LIFETIME_S)`);
    }
    // Accepted until the skew has passed (as jose's check), on every transport alike.
    return (exp + skew) * 1000;
  }
}

export interface TokenClaims {
  role: 'admin' | 'user';
  account: string;
  sub?: string;
  userId?: number;
}

/** Signs an HS256 JWT with the gateway's claims (development tokens and tests). */
export async function signToken(secret: string, claims: TokenClaims, expiresIn: string | number = '12h'): Promise<string> {
  const jwt = new SignJWT({ role: claims.role, account: claims.account, ...(claims.userId !== undefined ? { userId: claims.userId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(new TextEncoder().encode(secret));
}
