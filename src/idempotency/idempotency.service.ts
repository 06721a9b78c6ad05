import { createHash } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { AppError, BadUserInputError, ConflictError } from '../errors';
import type { Clock } from '../shared/time';
import type { IdempotencyModels } from './idempotency.model';

/** Stores the response to replay, or (null) forgets the key so that a retry executes again. */
export type Release = (result: FormattedExecutionResult | null) => Promise<void>;

export type Claim = { kind: 'new'; release: Release } | { kind: 'replay'; result: FormattedExecutionResult };

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Validates an `Idempotency-Key` header value (printable ASCII, up to 255 characters). */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (!KEY_PATTERN.test(key)) throw new BadUserInputError('Idempotency-Key', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  return key;
}

/** Deeper than any input of the schema: variables nested further are refused, not a stack overflow. */
const MAX_VARIABLE_DEPTH = 64;

/** Stable JSON: object keys sorted, so `{a, b}` and `{b, a}` are the same request. */
function canonical(value: unknown, depth = 0): string {
  if (depth > MAX_VARIABLE_DEPTH) throw new BadUserInputError('variables', `Variables may nest at most ${MAX_VARIABLE_DEPTH} levels deep`);
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fingerprintOf(operation: string, variables: unknown): string {
  return createHash('sha256').update(operation).update('\0').update(canonical(variables)).digest('hex');
}

/**
 * Remembers the first response to a write sent with an `Idempotency-Key`, for 24 h (a TTL index), in
 * MongoDB so every gateway instance sees it. The first request claims the key with an insert (a unique
 * `_id`), so of ten concurrent requests exactly one executes; the others wait for its response.
 */
export class IdempotencyService {
  constructor(
    private readonly models: IdempotencyModels,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly waitMs = 5000,
  ) {}

  async claim(scope: string, key: string, fingerprint: string): Promise<Claim> {
    // Structured, so that no other (scope, key) pair names the same record.
    const id = JSON.stringify([scope, key]);
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      try {
        await this.models.IdempotencyKey.create({ _id: id, fingerprint, state: 'pending', createdAt: this.clock() });
        return { kind: 'new', release: (result) => this.release(id, result) };
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
      const existing = await this.models.IdempotencyKey.findById(id).lean<{ fingerprint: string; state: string; response: string | null; createdAt: Date }>();
      if (!existing) continue; // released or expired in between: claim again
      if (this.clock().getTime() - existing.createdAt.getTime() > this.ttlMs) {
        await this.models.IdempotencyKey.deleteOne({ _id: id, createdAt: existing.createdAt });
        continue;
      }
      if (existing.fingerprint !== fingerprint) {
        throw new AppError('UNPROCESSABLE', 'This Idempotency-Key was already used with a different request', { field: 'Idempotency-Key' });
      }
      if (existing.state === 'done' && existing.response !== null) return { kind: 'replay', result: JSON.parse(existing.response) as FormattedExecutionResult };
      if (Date.now() > deadline) throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async release(id: string, result: FormattedExecutionResult | null): Promise<void> {
    if (result === null) {
      await this.models.IdempotencyKey.deleteOne({ _id: id, state: 'pending' });
      return;
    }
    await this.models.IdempotencyKey.updateOne({ _id: id }, { $set: { state: 'done', response: JSON.stringify(result) } });
  }
}
