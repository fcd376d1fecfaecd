/**
 * Load and soak (issue 7, item 5): N minutes (default 10) at concurrency 64 through the AI SDK
 * middleware against a RedisStore on a private redis-server and the mock OpenAI server (~50 ms
 * latency), with Redis restarted twice (SIGKILL, restart empty) and frozen once (SIGSTOP /
 * SIGCONT) during the run.
 *
 * Then a burst phase (`--burst-seconds`, default 60): concurrency 200 against an instant model,
 * the same cache and prompts, reported next to the main phase (`burstPhase`).
 *
 * Reports requests, app-visible errors (target 0), upstream calls saved, latency percentiles
 * outside and inside the fault windows, RSS and Redis memory at start and end, and the event-loop
 * delay p99 (perf_hooks.monitorEventLoopDelay).
 *
 *   npx tsc -b && node bench/src/soak.ts --minutes 10 [--concurrency 64] [--json out.json]
 *
 * The mock server runs in a child process (its request log and CPU stay out of this process's
 * measurements); upstream calls are counted by the provider's fetch here.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHolySheep, semanticCacheMiddleware } from '@semcache/ai-sdk';
import { type CacheStore, createSemanticCache, type FlightCoordinator } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { startRedisServer } from '@semcache/redis/testing';
import { generateText, streamText, wrapLanguageModel } from 'ai';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    latency: { type: 'string', default: '50' },
    prompts: { type: 'string', default: '4000' },
    'ttl-seconds': { type: 'string', default: '120' },
    'pause-seconds': { type: 'string', default: '5' },
    json: { type: 'string' },
    'no-faults': { type: 'boolean', default: false },
    'burst-seconds': { type: 'string', default: '60' },
  },
});
const minutes = Number(args.minutes);
const concurrency = Number(args.concurrency);
const upstreamLatencyMs = Number(args.latency);
const promptCount = Number(args.prompts);
const ttlSeconds = Number(args['ttl-seconds']);
const pauseSeconds = Number(args['pause-seconds']);
/** A last phase at concurrency 200 against a model that answers at once (the work is the cache's). */
const burstSeconds = Number(args['burst-seconds']);
const burstConcurrency = 200;
const durationMs = minutes * 60_000;
/** After a fault ends, samples are still counted as inside the fault window for this long. */
const faultGraceMs = 5_000;
const redisMaxMemory = '256mb';
const maxIndexedEntries = 200_000;

const here = dirname(fileURLToPath(import.meta.url));
const mockModule = resolve(here, '../../packages/mock-openai/dist/index.js');

// ---------------------------------------------------------------------------------------------
// Prompt pool: `promptCount` questions, asked with a Zipf-like skew, a third of them reworded
// (case and punctuation), so the run sees exact hits, semantic hits and misses throughout.

const subjects = [
  'my password',
  'the router',
  'a refund',
  'two-factor login',
  'the invoice',
  'my account',
  'the printer',
  'an order',
  'the VPN',
  'a subscription',
  'the API key',
  'my email',
  'the backup',
  'a meeting',
  'the budget',
  'the dashboard',
];
const verbs = [
  'reset',
  'cancel',
  'configure',
  'update',
  'check',
  'export',
  'share',
  'restore',
  'rename',
  'track',
  'renew',
  'verify',
  'delete',
  'find',
  'schedule',
  'enable',
];
const tails = [
  'today',
  'from my phone',
  'on Windows',
  'for my team',
  'without losing data',
  'in the EU region',
  'after the upgrade',
  'before Friday',
  'as an admin',
  'for a new user',
  'in bulk',
  'quickly',
  'safely',
  'step by step',
  'again',
  'on Linux',
];

function question(i: number): string {
  const verb = verbs[i % verbs.length] as string;
  const subject = subjects[Math.floor(i / verbs.length) % subjects.length] as string;
  const tail = tails[Math.floor(i / (verbs.length * subjects.length)) % tails.length] as string;
  const variant = Math.floor(i / (verbs.length * subjects.length * tails.length));
  return `How do I ${verb} ${subject} ${tail}${variant > 0 ? ` (case ${variant})` : ''}?`;
}

function reworded(text: string): string {
  return text.toLowerCase().replace(/[?]/g, '');
}

/** Zipf(s = 1.1) sampler over [0, n). */
function zipfSampler(n: number, s = 1.1): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cumulative[k] = sum;
  }
  return () => {
    const target = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ---------------------------------------------------------------------------------------------

interface MockHandle {
  url: string;
  stop: () => void;
}

/** The mock server in a child process; its request log is cleared every second. */
function startMock(latencyMs: number): Promise<MockHandle> {
  const script = `
    const { startMockOpenAI } = await import(${JSON.stringify(mockModule)});
    const server = await startMockOpenAI({ latencyMs: ${latencyMs} });
    setInterval(() => server.reset(), 1000);
    process.stdout.write('URL ' + server.url + '\\n');
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolveStart, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /URL (\S+)/.exec(output);
      if (match) resolveStart({ url: match[1] as string, stop: () => child.stdin.end() });
    });
    child.once('exit', (code) => reject(new Error(`mock server exited with ${String(code)}`)));
  });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function summary(samples: number[]) {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

// A full garbage collection before each memory reading, so heap figures are live data only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function memoryNow() {
  collectGarbage();
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  return { rssMb: mb(rss), heapAfterGcMb: mb(heapUsed), arrayBuffersMb: mb(arrayBuffers) };
}

/** Latency samples kept compactly: start times and durations in growable Float64Arrays. */
class Samples {
  at = new Float64Array(1 << 16);
  ms = new Float64Array(1 << 16);
  length = 0;
  push(at: number, ms: number): void {
    if (this.length === this.at.length) {
      const grow = (old: Float64Array) => {
        const next = new Float64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.at = grow(this.at);
      this.ms = grow(this.ms);
    }
    this.at[this.length] = at;
    this.ms[this.length] = ms;
    this.length++;
  }
  select(keep: (at: number, ms: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) {
      if (keep(this.at[i] as number, this.ms[i] as number)) out.push(this.ms[i] as number);
    }
    return out;
  }
}

/** The store, with the distributed single-flight waits timed (what a caller waits for another's lease). */
function timedLeases(store: RedisStore, waits: number[]): CacheStore {
  const inner = store.coordinator as FlightCoordinator;
  const coordinator: FlightCoordinator = {
    tryAcquire: (namespace, key, leaseMs) => inner.tryAcquire(namespace, key, leaseMs),
    waitForRelease: async (namespace, key, timeoutMs) => {
      const started = performance.now();
      try {
        await inner.waitForRelease(namespace, key, timeoutMs);
      } finally {
        waits.push(performance.now() - started);
      }
    },
  };
  return {
    name: store.name,
    coordinator,
    get: (namespace, key) => store.get(namespace, key),
    set: (namespace, record) => store.set(namespace, record),
    delete: (namespace, key) => store.delete(namespace, key),
    search: (namespace, query) => store.search(namespace, query),
    clear: (namespace) => store.clear(namespace),
    close: () => store.close(),
  };
}
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function main(): Promise<void> {
  const mock = await startMock(upstreamLatencyMs);
  const redis = await startRedisServer({
    useEnvUrl: false,
    args: ['--maxmemory', redisMaxMemory, '--maxmemory-policy', 'allkeys-lru'],
  });
  // The options the @semcache/redis README recommends.
  const client = redis.client({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 50, 500),
  });
  await new Promise((ready) => client.once('ready', ready));
  const admin = redis.client({ retryStrategy: () => 100 });
  const storeErrors: string[] = [];
  const store = new RedisStore({
    client,
    maxIndexedEntries,
    onError: (error) => storeErrors.push(error.message),
  });
  await store.whenSynced();
  const leaseWaits: number[] = [];
  const cache = createSemanticCache({ store: timedLeases(store, leaseWaits), ttlSeconds });
  const cacheErrors = new Map<string, number>();
  cache.on('error', ({ operation }) => {
    cacheErrors.set(operation, (cacheErrors.get(operation) ?? 0) + 1);
  });
  let breakerOpenings = 0;
  cache.on('circuit', ({ state }) => {
    if (state === 'open') breakerOpenings++;
  });
  const coalescedByScope = { process: 0, distributed: 0 };
  cache.on('coalesced', ({ scope }) => {
    coalescedByScope[scope]++;
  });

  let upstreamCalls = 0;
  const holysheep = createHolySheep({
    apiKey: 'soak-test-key',
    baseURL: mock.url,
    fetch: async (input, init) => {
      upstreamCalls++;
      return fetch(input, init);
    },
  });
  const model = wrapLanguageModel({
    model: holysheep('gpt-4.1'),
    middleware: semanticCacheMiddleware({ cache }),
  });

  const pick = zipfSampler(promptCount);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  const redisMemory = async () => {
    try {
      const info = await admin.info('memory');
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    } catch {
      return Number.NaN;
    }
  };

  const started = performance.now();
  const now = () => performance.now() - started;
  const start = { ...memoryNow(), redisUsedMb: mb(await redisMemory()) };
  const checkpoints: (ReturnType<typeof memoryNow> & { atS: number; redisUsedMb: number })[] = [];

  // Fault schedule: restarts at 25 % and 50 % of the run, a freeze at 75 %.
  const faults: { kind: string; at: number; end: number }[] = [];
  const schedule = args['no-faults']
    ? []
    : [
        { kind: 'restart', at: 0.25 },
        { kind: 'restart', at: 0.5 },
        { kind: 'pause', at: 0.75 },
      ];
  const faultRunner = (async () => {
    for (const fault of schedule) {
      const wait = fault.at * durationMs - now();
      if (wait > 0) await sleep(wait);
      checkpoints.push({
        atS: Math.round(now() / 1000),
        ...memoryNow(),
        redisUsedMb: mb(await redisMemory()),
      });
      const at = now();
      if (fault.kind === 'restart') {
        await redis.kill();
        await sleep(1_000);
        await redis.restart();
      } else {
        redis.pause();
        await sleep(pauseSeconds * 1000);
        redis.resume();
      }
      faults.push({ kind: fault.kind, at, end: now() });
      process.stderr.write(
        `[soak] ${fault.kind} at ${(at / 1000).toFixed(0)} s, back at ${(now() / 1000).toFixed(0)} s\n`,
      );
    }
  })();

  const samples = new Samples();
  const hits = { exact: 0, semantic: 0, miss: 0, coalesced: 0 };
  const appErrors: string[] = [];
  let requests = 0;
  let peakRssMb = start.rssMb;
  let peakRedisMb = start.redisUsedMb;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, mb(process.memoryUsage().rss));
    void redisMemory().then((bytes) => {
      if (Number.isFinite(bytes)) peakRedisMb = Math.max(peakRedisMb, mb(bytes));
    });
    process.stderr.write(
      `[soak] ${(now() / 1000).toFixed(0)} s: ${requests} requests, ${upstreamCalls} upstream, ${appErrors.length} app errors, rss ${mb(process.memoryUsage().rss)} MB\n`,
    );
  }, 10_000);

  async function worker(): Promise<void> {
    while (now() < durationMs) {
      const i = pick();
      const base = question(i);
      const prompt = Math.random() < 1 / 3 ? reworded(base) : base;
      const stream = Math.random() < 0.2;
      const at = now();
      try {
        let hit: unknown;
        if (stream) {
          const result = streamText({ model, prompt, maxRetries: 0 });
          let failure: unknown;
          for await (const _ of result.fullStream) {
            // drain
          }
          const metadata = await Promise.resolve(result.providerMetadata).catch(
            (error: unknown) => {
              failure = error;
              return undefined;
            },
          );
          if (failure) throw failure;
          hit = metadata?.semcache;
        } else {
          const result = await generateText({ model, prompt, maxRetries: 0 });
          hit = result.providerMetadata?.semcache;
        }
        const info = hit as { hit?: string; coalesced?: boolean } | undefined;
        if (info?.coalesced) hits.coalesced++;
        else if (info?.hit === 'exact') hits.exact++;
        else if (info?.hit === 'semantic') hits.semantic++;
        else hits.miss++;
      } catch (error) {
        if (appErrors.length < 1000) appErrors.push(String((error as Error)?.message ?? error));
        else appErrors.push('');
      }
      requests++;
      samples.push(at, now() - at);
    }
  }

  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  await faultRunner;
  clearInterval(sampler);
  loopDelay.disable();
  const mainPhase = { requests, upstreamCalls, breakerOpenings, appErrors: appErrors.length };

  // Burst phase: the same cache and prompt pool, concurrency 200, an instant model, no faults.
  const instant = await startMock(0);
  let burstUpstream = 0;
  const burstModel = wrapLanguageModel({
    model: createHolySheep({
      apiKey: 'soak-test-key',
      baseURL: instant.url,
      fetch: async (input, init) => {
        burstUpstream++;
        return fetch(input, init);
      },
    })('gpt-4.1'),
    middleware: semanticCacheMiddleware({ cache }),
  });
  const burstErrorsBefore = [...cacheErrors.values()].reduce((sum, n) => sum + n, 0);
  let burstRequests = 0;
  let burstAppErrors = 0;
  const burstEnds = performance.now() + burstSeconds * 1000;
  await Promise.all(
    Array.from({ length: burstConcurrency }, async () => {
      while (performance.now() < burstEnds) {
        const base = question(pick());
        try {
          await generateText({
            model: burstModel,
            prompt: Math.random() < 1 / 3 ? reworded(base) : base,
            maxRetries: 0,
          });
        } catch {
          burstAppErrors++;
        }
        burstRequests++;
      }
    }),
  );
  instant.stop();
  const burstPhase = {
    seconds: burstSeconds,
    concurrency: burstConcurrency,
    upstreamLatencyMs: 0,
    requests: burstRequests,
    upstreamCalls: burstUpstream,
    upstreamCallsSaved: burstRequests - burstUpstream,
    savedShare:
      Math.round(((burstRequests - burstUpstream) / Math.max(1, burstRequests)) * 1000) / 10,
    appVisibleErrors: burstAppErrors,
    cacheErrors: [...cacheErrors.values()].reduce((sum, n) => sum + n, 0) - burstErrorsBefore,
    breakerOpenings: breakerOpenings - mainPhase.breakerOpenings,
  };

  const end = { ...memoryNow(), redisUsedMb: mb(await redisMemory()) };
  const inFault = (at: number, ms: number) =>
    faults.some((f) => at + ms >= f.at && at <= f.end + faultGraceMs);
  const outside = summary(samples.select((at, ms) => !inFault(at, ms)));
  const inside = summary(samples.select(inFault));
  const report = {
    command: `node bench/src/soak.ts --minutes ${minutes} --concurrency ${concurrency}`,
    node: process.version,
    minutes,
    concurrency,
    upstreamLatencyMs,
    promptPool: promptCount,
    ttlSeconds,
    redis: { maxmemory: redisMaxMemory, policy: 'allkeys-lru', maxIndexedEntries },
    faults: faults.map((f) => ({
      kind: f.kind,
      atS: Math.round(f.at / 100) / 10,
      durationS: Math.round((f.end - f.at) / 100) / 10,
    })),
    requests: mainPhase.requests,
    requestsPerSecond: Math.round(mainPhase.requests / (durationMs / 1000)),
    appVisibleErrors: mainPhase.appErrors,
    firstAppErrors: [...new Set(appErrors)].slice(0, 5),
    upstreamCalls: mainPhase.upstreamCalls,
    upstreamCallsSaved: mainPhase.requests - mainPhase.upstreamCalls,
    savedShare:
      Math.round(
        ((mainPhase.requests - mainPhase.upstreamCalls) / Math.max(1, mainPhase.requests)) * 1000,
      ) / 10,
    breakerOpenings: mainPhase.breakerOpenings,
    burstPhase,
    hits,
    coalescedByScope,
    slowRequests: {
      over1s: samples.select((_at, ms) => ms > 1_000).length,
      over5s: samples.select((_at, ms) => ms > 5_000).length,
      over5sOutsideFaults: samples.select((at, ms) => ms > 5_000 && !inFault(at, ms)).length,
    },
    distributedLeaseWaits: {
      count: leaseWaits.length,
      over1s: leaseWaits.filter((ms) => ms > 1_000).length,
      ms: summary(leaseWaits),
    },
    latencyMsOutsideFaults: outside,
    latencyMsInsideFaults: inside,
    eventLoopDelayMs: {
      p50: loopDelay.percentile(50) / 1e6,
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    },
    memory: { start, checkpoints, end, peakRssMb, peakRedisUsedMb: peakRedisMb },
    cacheErrorsByOperation: Object.fromEntries(cacheErrors),
    cacheStats: (({ lookupLatency: _l, ...rest }) => rest)(cache.stats()),
    storeBackgroundErrors: storeErrors.length,
    indexStats: store.indexStats(),
  };
  const text = JSON.stringify(report, null, 2);
  process.stdout.write(`${text}\n`);
  if (args.json) writeFileSync(args.json, `${text}\n`);

  await store.close();
  client.disconnect();
  admin.disconnect();
  await redis.stop();
  mock.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
