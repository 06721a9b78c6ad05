/**
 * HTTP load with autocannon, run in this process against a server process, and A/B comparisons
 * run interleaved so that the machine's drift (other load, thermal state, a growing database)
 * falls on every variant alike.
 */
import autocannon from 'autocannon';
import { median, percentiles, round } from './stats';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per-request path/body, for requests that need a fresh ticket each time. */
  next?: () => { path?: string; body?: string };
  /** True when a 200 answer's body is the expected one (a GraphQL error also answers 200). */
  check(body: string): boolean;
}

export interface LoadSample {
  /** Successful (2xx, checked) responses per second. */
  rps: number;
  /** Latency of every response, milliseconds, from autocannon's own per-request timing. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  requests: number;
  /** Non-2xx answers, transport errors and timeouts, and 2xx answers whose body failed `check`. */
  failures: number;
  durationS: number;
}

/** One autocannon run of `durationS` seconds at `connections` concurrent connections. */
export async function load(url: string, spec: RequestSpec, connections: number, durationS: number): Promise<LoadSample> {
  const latencies: number[] = [];
  let bad = 0;
  let okCount = 0;
  const request: autocannon.Request = {
    method: spec.method,
    path: spec.path,
    headers: spec.headers,
    body: spec.body,
    onResponse: (status, body) => {
      if (status >= 200 && status < 300 && spec.check(body)) okCount++;
      else bad++;
    },
  };
  const next = spec.next;
  if (next) request.setupRequest = (req) => ({ ...req, ...next() });
  const instance = autocannon({ url, connections, duration: durationS, timeout: 10, requests: [request] });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const p = percentiles(latencies);
  return {
    rps: okCount / result.duration,
    p50: p.p50,
    p90: p.p90,
    p99: p.p99,
    mean: p.mean,
    requests: latencies.length,
    failures: bad + result.errors + result.timeouts,
    durationS: result.duration,
  };
}

export interface Variant {
  name: string;
  run(durationS: number): Promise<LoadSample>;
}

export interface Summary {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  failures: number;
  /** Every round, in the order run. */
  rounds: Array<Pick<LoadSample, 'rps' | 'p50' | 'p99' | 'requests' | 'failures'>>;
}

/** Median of each figure over the rounds. */
export function summarize(samples: readonly LoadSample[]): Summary {
  return {
    rps: round(median(samples.map((s) => s.rps))),
    p50: round(median(samples.map((s) => s.p50))),
    p90: round(median(samples.map((s) => s.p90))),
    p99: round(median(samples.map((s) => s.p99))),
    failures: samples.reduce((sum, s) => sum + s.failures, 0),
    rounds: samples.map((s) => ({ rps: round(s.rps), p50: round(s.p50), p99: round(s.p99), requests: s.requests, failures: s.failures })),
  };
}

export interface InterleaveOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  /** Called between runs (e.g. to top up a pool of fresh tickets). */
  between?: () => Promise<void>;
  log?: (line: string) => void;
}

/**
 * Runs the variants interleaved: A B, then B A, then A B... (the order alternates so that neither
 * always runs first), after one short warm-up run of each. Returns every variant's samples.
 */
export async function interleave(variants: readonly Variant[], options: InterleaveOptions): Promise<Map<string, LoadSample[]>> {
  const samples = new Map<string, LoadSample[]>(variants.map((v) => [v.name, []]));
  if (options.warmupS > 0) {
    for (const variant of variants) {
      await options.between?.();
      await variant.run(options.warmupS);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      await options.between?.();
      const sample = await variant.run(options.durationS);
      samples.get(variant.name)!.push(sample);
      options.log?.(
        `    round ${round + 1} ${variant.name.padEnd(28)} ${round2(sample.rps)} req/s  p50 ${round2(sample.p50)} ms  p99 ${round2(sample.p99)} ms${sample.failures ? `  FAILURES ${sample.failures}` : ''}`,
      );
    }
  }
  return samples;
}

function round2(value: number): string {
  return String(round(value));
}
