// Section 4: single-flight. 200 identical concurrent generateText calls in one process, and
// 4 processes × 50 against one Redis, through the AI SDK middleware to a model that answers after
// 300 ms: how many upstream calls, and how much later than the model's 300 ms the callers return.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { semanticCacheMiddleware } from '@semcache/ai-sdk';
import { type CacheStore, createSemanticCache, MemoryStore } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { generateText, wrapLanguageModel } from 'ai';
import { benchModel } from '../lib/fixtures.ts';
import { ms, table } from '../lib/format.ts';
import { openRedis } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { median, type Summary, summarize } from '../stats.ts';

const modelLatencyMs = 300;
const answer = 'Paris has been the capital of France since 987.';

interface Scenario {
  name: string;
  /** Upstream calls per trial. */
  upstream: number[];
  /** Every caller's latency minus the model's 300 ms, all trials. */
  added: Summary;
  callers: number;
  /** Per trial: ms from the burst's start to the (first) model call. */
  modelCalledAfterMs: number[];
  /** Cache `error` events by operation (timeouts count), all trials. */
  errors: Record<string, number>;
}

function countErrors(errors: Record<string, number>, more: Record<string, number>): void {
  for (const [operation, n] of Object.entries(more))
    errors[operation] = (errors[operation] ?? 0) + n;
}

const promptOf = (scenario: string, trial: number) =>
  `Single-flight ${scenario} trial ${trial} (${process.pid}): what is the capital of France?`;

async function inProcess(store: CacheStore, name: string, trials: number): Promise<Scenario> {
  const cache = createSemanticCache({ store });
  const errors: Record<string, number> = {};
  cache.on('error', ({ operation }) => countErrors(errors, { [operation]: 1 }));
  const model = benchModel(answer, modelLatencyMs);
  const wrapped = wrapLanguageModel({ model, middleware: semanticCacheMiddleware({ cache }) });
  const upstream: number[] = [];
  const added: number[] = [];
  const modelCalledAfterMs: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const before = model.calls;
    const prompt = promptOf(name, trial);
    const burstStart = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const started = performance.now();
        const result = await generateText({ model: wrapped, prompt });
        if (result.text !== answer) throw new Error('single-flight bench: wrong answer');
        return performance.now() - started;
      }),
    );
    upstream.push(model.calls - before);
    modelCalledAfterMs.push((model.callTimes[before] as number) - burstStart);
    for (const latency of latencies) added.push(latency - modelLatencyMs);
  }
  await cache.close();
  return {
    name,
    upstream,
    added: summarize(added),
    callers: 200,
    modelCalledAfterMs,
    errors,
  };
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<Record<string, unknown>>;
}

function startWorker(url: string, prefix: string, calls: number): Worker {
  const script = fileURLToPath(new URL('./single-flight-worker.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, url, prefix, String(calls), String(modelLatencyMs)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error('single-flight worker exited early');
      return JSON.parse(value) as Record<string, unknown>;
    },
  };
}

async function multiProcess(url: string, prefix: string, trials: number): Promise<Scenario> {
  const processes = 4;
  const calls = 50;
  const workers = Array.from({ length: processes }, () => startWorker(url, prefix, calls));
  try {
    await Promise.all(workers.map((worker) => worker.next()));
    const upstream: number[] = [];
    const added: number[] = [];
    const modelCalledAfterMs: number[] = [];
    const errors: Record<string, number> = {};
    for (let trial = 0; trial < trials; trial++) {
      const prompt = promptOf('multi', trial);
      const startAt = performance.timeOrigin + performance.now() + 150;
      for (const worker of workers) {
        worker.child.stdin.write(`${JSON.stringify({ trial, prompt, startAt })}\n`);
      }
      const replies = (await Promise.all(workers.map((worker) => worker.next()))) as {
        upstream: number;
        latencies: number[];
        modelCalledAfterMs: number[];
        errors: Record<string, number>;
      }[];
      upstream.push(replies.reduce((sum, reply) => sum + reply.upstream, 0));
      modelCalledAfterMs.push(Math.min(...replies.flatMap((reply) => reply.modelCalledAfterMs)));
      for (const reply of replies) {
        for (const latency of reply.latencies) added.push(latency - modelLatencyMs);
        countErrors(errors, reply.errors);
      }
    }
    return {
      name: `RedisStore, ${processes} processes × ${calls}`,
      upstream,
      added: summarize(added),
      callers: processes * calls,
      modelCalledAfterMs,
      errors,
    };
  } finally {
    for (const worker of workers) {
      worker.child.stdin.write(`${JSON.stringify({ exit: true })}\n`);
      worker.child.stdin.end();
    }
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise((resolve) => {
            if (worker.child.exitCode !== null) resolve(undefined);
            else worker.child.once('exit', resolve);
          }),
      ),
    );
  }
}

export async function singleFlight(options: SectionOptions): Promise<SectionResult> {
  const trials = options.quick ? 5 : 20;
  const redis = await openRedis('flight');
  const client = await redis.client();
  const redisStore = new RedisStore({ client, prefix: redis.prefix });
  await redisStore.whenSynced();

  const scenarios: Scenario[] = [];
  scenarios.push(await inProcess(new MemoryStore(), 'MemoryStore, 1 process × 200', trials));
  scenarios.push(await inProcess(redisStore, 'RedisStore, 1 process × 200', trials));
  scenarios.push(await multiProcess(redis.server.url, `${redis.prefix}multi:`, trials));
  await redisStore.close();
  await redis.stop();

  const targets: Target[] = scenarios.map((scenario) => ({
    section: '4',
    name: `single-flight upstream calls per ${scenario.callers} identical requests, ${scenario.name}`,
    goal: '1 in every trial',
    measured: `max ${Math.max(...scenario.upstream)} over ${scenario.upstream.length} trials`,
    met: scenario.upstream.every((calls) => calls === 1),
  }));
  const markdown = [
    `Identical \`generateText\` calls through the middleware (default options) to a model that answers after ${modelLatencyMs} ms, all started together; ${trials} trials per scenario, a new prompt each trial. In the multi-process scenario each of 4 Node processes has its own RedisStore on one redis-server; they start their 50 calls at the same agreed instant; the first trial runs in freshly started processes (cold JIT, first connections), as after a deploy. "added" = a caller's latency − ${modelLatencyMs} ms, over every caller of every trial (the one that called the model included). "model called after": time from the start of the burst to the model call (the leader's own lookup and lease first). Cache errors are the engine's \`error\` events (a store call over its 50 ms timeout counts).`,
    '',
    table(
      [
        'scenario',
        'callers per trial',
        'upstream calls per trial',
        'added p50',
        'added p99',
        'added max',
        'model called after (median)',
        'cache errors / timeouts',
      ],
      scenarios.map((scenario) => [
        scenario.name,
        String(scenario.callers),
        scenario.upstream.join(', '),
        ms(scenario.added.p50),
        ms(scenario.added.p99),
        ms(scenario.added.max),
        ms(median(scenario.modelCalledAfterMs)),
        Object.entries(scenario.errors)
          .map(([operation, n]) => `${operation}: ${n}`)
          .join(', ') || 'none',
      ]),
    ),
  ].join('\n');
  return {
    id: 'single-flight',
    title: '4. Single-flight',
    markdown,
    targets,
    results: { trials, modelLatencyMs, scenarios },
  };
}
