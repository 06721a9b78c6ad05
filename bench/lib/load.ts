/**
 * HTTP load with autocannon, run in this process against a server process, and A/B comparisons
 * run interleaved so that the machine's drift (other load, thermal state, a growing database)
 * falls on every variant alike.
 */
import autocannon from 'autocannon';
import { cpuMs } from './procfs';
import { median, percentiles, round } from './stats';

/** A server under load: where to send requests, and the processes whose CPU each request costs. */
export interface Target {
  url: string;
  /** The server process. */
  pid: number;
  /** The database process, when it is one of ours. */
  dbPid?: number;
}

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
  /**
   * CPU time of the server process per completed request (ms, /proc/<pid>/stat, 10 ms ticks over the
   * whole run). Far less sensitive to other load on the machine than req/s or latency.
   */
  cpuMsPerRequest: number;
  /** The same for the database process. */
  dbCpuMsPerRequest: number;
}

/** One autocannon run of `durationS` seconds at `connections` concurrent connections. */
export async function load(target: Target, spec: RequestSpec, connections: number, durationS: number): Promise<LoadSample> {
  const { url } = target;
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
  const cpuBefore = cpuMs(target.pid);
  const dbCpuBefore = target.dbPid === undefined ? 0 : cpuMs(target.dbPid);
  const instance = autocannon({ url, connections, duration: durationS, timeout: 10, requests: [request] });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const cpu = cpuMs(target.pid) - cpuBefore;
  const dbCpu = target.dbPid === undefined ? NaN : cpuMs(target.dbPid) - dbCpuBefore;
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
    cpuMsPerRequest: latencies.length ? cpu / latencies.length : NaN,
    dbCpuMsPerRequest: latencies.length ? dbCpu / latencies.length : NaN,
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
  cpuMsPerRequest: number;
  dbCpuMsPerRequest: number;
  failures: number;
  /** Every round, in the order run. */
  rounds: Array<Pick<LoadSample, 'rps' | 'p50' | 'p99' | 'requests' | 'failures' | 'cpuMsPerRequest'>>;
}

/** Median of each figure over the rounds. */
export function summarize(samples: readonly LoadSample[]): Summary {
  return {
    rps: round(median(samples.map((s) => s.rps))),
    p50: round(median(samples.map((s) => s.p50))),
    p90: round(median(samples.map((s) => s.p90))),
    p99: round(median(samples.map((s) => s.p99))),
    cpuMsPerRequest: round(median(samples.map((s) => s.cpuMsPerRequest))),
    dbCpuMsPerRequest: round(median(samples.map((s) => s.dbCpuMsPerRequest))),
    failures: samples.reduce((sum, s) => sum + s.failures, 0),
    rounds: samples.map((s) => ({
      rps: round(s.rps),
      p50: round(s.p50),
      p99: round(s.p99),
      requests: s.requests,
      failures: s.failures,
      cpuMsPerRequest: round(s.cpuMsPerRequest),
    })),
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
        `    round ${round + 1} ${variant.name.padEnd(30)} ${show(sample.rps)} req/s  p50 ${show(sample.p50)} ms  p99 ${show(sample.p99)} ms  CPU ${show(sample.cpuMsPerRequest)} ms/req${sample.failures ? `  FAILURES ${sample.failures}` : ''}`,
      );
    }
  }
  return samples;
}

function show(value: number): string {
  return String(round(value)).padStart(5);
}
