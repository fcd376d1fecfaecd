// Section 8: burst. Many distinct generateText calls at once through the AI SDK middleware and a
// RedisStore on a healthy loopback Redis: does the cache keep caching when the app itself is the
// bottleneck? Share of answers stored, follow-up hits (exact repeats and near-duplicates asked
// right after the burst), breaker openings, store errors and shed work; with and without a CPU hog
// in the process, with an instant model and a 600 ms one; and a run with Redis paused mid-burst.
import { semanticCacheMiddleware } from '@semcache/ai-sdk';
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { generateText, wrapLanguageModel } from 'ai';
import { benchModel } from '../lib/fixtures.ts';
import { count, ms, percent, table } from '../lib/format.ts';
import { openRedis } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { pool, type Summary } from '../stats.ts';
import { makeSentences } from '../synthetic-text.ts';

interface Scenario {
  concurrency: number;
  modelMs: number;
  hog: boolean;
  pauseRedis?: boolean;
}

interface Outcome extends Scenario {
  calls: number;
  appErrors: number;
  stored: number;
  exactFollowUps: number;
  exactFollowUpHits: number;
  nearFollowUps: number;
  nearFollowUpHits: number;
  breakerOpenings: number;
  storeErrors: number;
  shed: number;
  lookup: Summary;
  seconds: number;
  errorMessages: string[];
  /** Paused scenario: from the end of the burst until the breaker closed again. */
  resumedAfterMs?: number;
}

/** Busy work on the event loop, as other requests' CPU would be: `busyMs` of every `everyMs`. */
function cpuHog(busyMs: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // busy
    }
  }, everyMs);
  return () => clearInterval(timer);
}

async function runScenario(
  scenario: Scenario,
  calls: number,
  redis: Awaited<ReturnType<typeof openRedis>>,
  prefix: string,
): Promise<Outcome> {
  const client = await redis.client();
  const store = new RedisStore({ client, prefix });
  const cache = createSemanticCache({ store });
  let breakerOpenings = 0;
  let storeErrors = 0;
  let shed = 0;
  cache.on('circuit', ({ state }) => {
    if (state === 'open') breakerOpenings++;
  });
  const messages = new Map<string, number>();
  cache.on('error', ({ operation, error }) => {
    storeErrors++;
    const text = `${operation}: ${error.message.replace(/\d+/g, 'N')}`;
    messages.set(text, (messages.get(text) ?? 0) + 1);
  });
  cache.on('shed', () => shed++);
  const model = wrapLanguageModel({
    model: benchModel(
      'An answer long enough to look like one from a real model, twice over.',
      scenario.modelMs,
    ),
    middleware: semanticCacheMiddleware({ cache }),
  });
  const prompts = makeSentences(
    calls,
    scenario.concurrency * 7 + scenario.modelMs + (scenario.hog ? 1 : 0),
  );
  const stopHog = scenario.hog ? cpuHog(20, 25) : () => {};
  let appErrors = 0;
  const started = performance.now();
  let paused = false;
  await pool(calls, scenario.concurrency, async (i) => {
    if (scenario.pauseRedis && !paused && i >= calls / 3) {
      paused = true;
      redis.server.pause();
      setTimeout(() => redis.server.resume(), 3000).unref();
    }
    try {
      await generateText({ model, prompt: prompts[i] as string });
    } catch {
      appErrors++;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  stopHog();
  if (scenario.pauseRedis) redis.server.resume();
  await cache.flush();
  const afterBurst = cache.stats();
  // After a store fault the breaker lets a trial through after its cool-down: wait (asking one
  // question at a time) until caching has resumed by itself.
  let resumedAfterMs: number | undefined;
  if (scenario.pauseRedis) {
    const waitStarted = performance.now();
    let closed = breakerOpenings === 0;
    cache.on('circuit', ({ state }) => {
      if (state === 'closed') closed = true;
    });
    for (let k = 0; !closed && performance.now() - waitStarted < 30_000; k++) {
      await generateText({ model, prompt: `Is caching back? (${k})` }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    resumedAfterMs = performance.now() - waitStarted;
  }
  // Right after the burst: exact repeats and near-duplicates (upper case, no '?') of stored prompts.
  // After a Redis pause the answers of the fault window were never stored: the follow-ups then
  // ask new questions twice, to see caching work again.
  const asked = scenario.pauseRedis
    ? Array.from({ length: 200 }, (_, k) => `After the pause, question ${k} about caches?`)
    : undefined;
  if (asked) await Promise.all(asked.map((prompt) => generateText({ model, prompt })));
  await cache.flush();
  const sample =
    asked ??
    Array.from({ length: 200 }, (_, k) => prompts[Math.floor((k * calls) / 200)] as string);
  const near = sample.slice(0, 50).map((text) => text.toUpperCase().replace('?', ''));
  const kinds = await Promise.all(
    [...sample, ...near].map(async (prompt) => {
      const result = await generateText({ model, prompt });
      return (result.providerMetadata?.semcache as { hit?: string } | undefined)?.hit;
    }),
  );
  await cache.close();
  await store.close();
  client.disconnect();
  return {
    ...scenario,
    calls,
    appErrors,
    stored: afterBurst.stores,
    exactFollowUps: sample.length,
    exactFollowUpHits: kinds.slice(0, sample.length).filter((kind) => kind === 'exact').length,
    nearFollowUps: near.length,
    nearFollowUpHits: kinds.slice(sample.length).filter((kind) => kind === 'semantic').length,
    breakerOpenings,
    storeErrors,
    shed,
    lookup: afterBurst.lookupLatency as unknown as Summary,
    seconds,
    errorMessages: [...messages].map(([text, n]) => `${n}× ${text}`),
    ...(resumedAfterMs === undefined ? {} : { resumedAfterMs }),
  };
}

export async function burst(options: SectionOptions): Promise<SectionResult> {
  const calls = options.quick ? 4000 : 20_000;
  const scenarios: Scenario[] = [];
  for (const concurrency of (process.env.BURST_C ?? '10,64,200,1000').split(',').map(Number)) {
    for (const modelMs of [0, 600]) {
      for (const hog of [false, true]) {
        if (options.quick && modelMs === 600 && concurrency < 200) continue;
        scenarios.push({ concurrency, modelMs, hog });
      }
    }
  }
  scenarios.push({ concurrency: 200, modelMs: 0, hog: false, pauseRedis: true });
  const redis = await openRedis('burst');
  const outcomes: Outcome[] = [];
  try {
    for (const [i, scenario] of scenarios.entries()) {
      // A 600 ms model at low concurrency would take minutes for every call: fewer calls there.
      const n = scenario.modelMs > 0 ? Math.min(calls, scenario.concurrency * 10) : calls;
      process.stderr.write(
        `  burst: ${count(n)} calls, concurrency ${scenario.concurrency}, model ${scenario.modelMs} ms${scenario.hog ? ', CPU hog' : ''}${scenario.pauseRedis ? ', Redis paused 3 s mid-burst' : ''}…\n`,
      );
      outcomes.push(await runScenario(scenario, n, redis, `${redis.prefix}${i}:`));
      for (const line of outcomes.at(-1)?.errorMessages ?? [])
        process.stderr.write(`    ${line}\n`);
      await redis.clear();
    }
  } finally {
    await redis.stop();
  }

  const healthy = outcomes.filter((outcome) => !outcome.pauseRedis);
  const storedShare = (o: Outcome) => o.stored / o.calls;
  const followShare = (o: Outcome) =>
    (o.exactFollowUpHits + o.nearFollowUpHits) / (o.exactFollowUps + o.nearFollowUps);
  const paused = outcomes.find((outcome) => outcome.pauseRedis);
  const targets: Target[] = [
    {
      section: '8',
      name: 'answers stored, every concurrency (healthy Redis)',
      goal: '≥ 99 %',
      measured: percent(Math.min(...healthy.map(storedShare))),
      met: healthy.every((o) => storedShare(o) >= 0.99),
    },
    {
      section: '8',
      name: 'follow-up hits right after the burst (exact repeats and near-duplicates)',
      goal: '≥ 99 %',
      measured: percent(Math.min(...healthy.map(followShare))),
      met: healthy.every((o) => followShare(o) >= 0.99),
    },
    {
      section: '8',
      name: 'breaker openings without a store fault',
      goal: '0',
      measured: String(healthy.reduce((sum, o) => sum + o.breakerOpenings, 0)),
      met: healthy.every((o) => o.breakerOpenings === 0),
    },
    {
      section: '8',
      name: 'Redis paused 3 s mid-burst: every call answered, caching resumes',
      goal: '0 app errors; follow-ups hit',
      measured: paused
        ? `${paused.appErrors} app errors; caching resumed ${ms(paused.resumedAfterMs)} after the burst; follow-up hits ${percent(followShare(paused))}`
        : 'not run',
      met: paused ? paused.appErrors === 0 && followShare(paused) >= 0.99 : undefined,
    },
  ];
  const markdown = [
    table(
      [
        'concurrency',
        'model',
        'CPU hog',
        'calls',
        'stored',
        'follow-up hits: exact / near',
        'breaker openings',
        'store errors',
        'shed',
        'lookup p50 / p99',
        'calls/s',
      ],
      outcomes.map((o) => [
        `${o.concurrency}${o.pauseRedis ? ' (Redis paused 3 s)' : ''}`,
        `${o.modelMs} ms`,
        o.hog ? 'yes' : 'no',
        count(o.calls),
        percent(storedShare(o)),
        `${o.exactFollowUpHits}/${o.exactFollowUps} / ${o.nearFollowUpHits}/${o.nearFollowUps}`,
        String(o.breakerOpenings),
        String(o.storeErrors),
        String(o.shed),
        `${ms(o.lookup.p50)} / ${ms(o.lookup.p99)}`,
        count(Math.round(o.calls / o.seconds)),
      ]),
    ),
    '',
    `Distinct synthetic questions through \`generateText\` → \`semanticCacheMiddleware\` → \`RedisStore\` (default options, healthy Redis on loopback), at the given number of calls in flight, against a model that answers at once (so the work is the cache's and the SDK's) or after 600 ms (at most 10 calls per slot). "CPU hog": a timer in the same process keeps the event loop busy 20 ms of every 25 (other requests' CPU work). After the burst and \`cache.flush()\`: 200 exact repeats of stored prompts and 50 near-duplicates (upper case, no question mark), asked at once. "stored": \`stats().stores\` / calls; "shed": semantic searches skipped and writes dropped under overload (\`shed\` events); "lookup": the cache's lookup latency histogram over the burst. App errors: ${outcomes.reduce((sum, o) => sum + o.appErrors, 0)}.`,
  ].join('\n');
  return { id: 'burst', title: '8. Burst', markdown, targets, results: { outcomes } };
}
