// Section 2: semantic lookup latency against the number of entries in ONE context partition, for
// MemoryStore and RedisStore, and the KEYS + Jaccard baseline (bench/baselines) up to 50k entries.
// The stores are filled step by step (1k, 10k, 50k, 100k[, 1M]); at each step near-duplicate
// queries (should hit) and unrelated queries (should miss) run interleaved across all systems.
import { createSemanticCache, MemoryStore, type SemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { KeysJaccardCache } from '../../baselines/keys-jaccard-cache.ts';
import { answerText, userRequest } from '../lib/fixtures.ts';
import { bytes, count, ms, percent, table, times } from '../lib/format.ts';
import { openRedis } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { pool, type Summary, summarize } from '../stats.ts';
import { makeSentences, perturb, seededRandom } from '../synthetic-text.ts';

type System = 'memory' | 'redis' | 'baseline';
type Kind = 'near' | 'fresh';

/** Latency and outcomes of one system's queries of one kind at one size. */
interface Measured {
  latency: Summary;
  /** Near: served the entry the query was derived from. Fresh: always 0. */
  correct: number;
  /** Hits on any other entry (false hits). */
  other: number;
  queries: number;
}

/** One step of the size ladder. */
export interface SizeResult {
  entries: number;
  /** Microseconds per entry to add the last step's entries, per store. */
  fillMicrosPerEntry: Partial<Record<System, number>>;
  measured: Partial<Record<System, Record<Kind, Measured>>>;
  /** Store errors (timeouts) during the queries; a non-zero count means fail-open misses. */
  errors: Partial<Record<System, number>>;
  redisUsedMemory: number;
  processRss: number;
}

const baselineQueries = (entries: number, quick: boolean) =>
  entries <= 1000 ? (quick ? 30 : 100) : entries <= 10_000 ? (quick ? 8 : 25) : quick ? 3 : 10;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function semanticLookup(options: SectionOptions): Promise<SectionResult> {
  const sizes = options.quick
    ? [1000, 10_000, 50_000, 100_000]
    : [1000, 10_000, 50_000, 100_000, 1_000_000];
  const baselineSizes = new Set([1000, 10_000, 50_000]);
  const queriesPerKind = options.quick ? 300 : 500;
  const maxEntries = sizes[sizes.length - 1] as number;
  const freshCount = queriesPerKind + 50;

  const redis = await openRedis('semantic');
  const client = await redis.client();
  const baselineClient = await redis.client({ db: 1 });
  await redis.clear(baselineClient);

  // Every text is distinct (the generator appends a counter); the last `freshCount` are never stored.
  const sentences = makeSentences(maxEntries + freshCount, 7);
  const fresh = sentences.slice(maxEntries);
  const filler = answerText(200);
  const answerOf = (i: number) => ({ id: i, text: `${filler} (${i})` });

  const memoryStore = new MemoryStore({
    maxEntries: maxEntries + 1000,
    maxBytes: 2 ** 40,
    sweepIntervalMs: 0,
  });
  const redisStore = new RedisStore({
    client,
    prefix: redis.prefix,
    maxIndexedEntries: maxEntries + 1000,
  });
  await redisStore.whenSynced();
  // Filling uses a long store timeout (thousands of writes in flight); lookups use the defaults.
  const fillers = {
    memory: createSemanticCache({ store: memoryStore }),
    redis: createSemanticCache({ store: redisStore, storeTimeoutMs: 30_000 }),
  };
  const lookups: Record<'memory' | 'redis', SemanticCache> = {
    memory: createSemanticCache({ store: memoryStore }),
    redis: createSemanticCache({ store: redisStore }),
  };
  const baseline = new KeysJaccardCache(baselineClient, { prefix: `${redis.prefix}baseline:` });

  const steps: SizeResult[] = [];
  let filled = 0;
  let baselineFilled = 0;
  const random = seededRandom(3);
  for (const entries of sizes) {
    const fillMicrosPerEntry: SizeResult['fillMicrosPerEntry'] = {};
    const added = entries - filled;
    process.stderr.write(`  semantic lookup: filling to ${count(entries)} entries…\n`);
    let started = performance.now();
    for (let i = filled; i < entries; i++) {
      await fillers.memory.store(userRequest(sentences[i] as string), {
        value: answerOf(i),
        finishReason: 'stop',
      });
    }
    fillMicrosPerEntry.memory = ((performance.now() - started) * 1000) / added;
    started = performance.now();
    await pool(added, 64, async (offset) => {
      const i = filled + offset;
      const stored = await fillers.redis.store(userRequest(sentences[i] as string), {
        value: answerOf(i),
        finishReason: 'stop',
      });
      if (!stored) throw new Error(`semantic bench: entry ${i} was not stored in Redis`);
    });
    fillMicrosPerEntry.redis = ((performance.now() - started) * 1000) / added;
    if (baselineSizes.has(entries)) {
      started = performance.now();
      for (let from = baselineFilled; from < entries; from += 1000) {
        const batch = baselineClient.pipeline();
        for (let i = from; i < Math.min(entries, from + 1000); i++) {
          const prompt = sentences[i] as string;
          batch.set(baseline.key(prompt), JSON.stringify({ prompt, answer: answerOf(i).text }));
        }
        await batch.exec();
      }
      fillMicrosPerEntry.baseline =
        ((performance.now() - started) * 1000) / (entries - baselineFilled);
      baselineFilled = entries;
    } else if (baselineFilled > 0) {
      await redis.clear(baselineClient);
      baselineFilled = 0;
    }
    filled = entries;
    gc();

    // Queries: each round runs one near-duplicate and one unrelated query on every system,
    // in rotating order; the baseline takes part in the first few rounds only (it takes seconds).
    const nearSources = Array.from({ length: queriesPerKind }, () =>
      Math.floor(random() * entries),
    );
    const near = nearSources.map((i) => perturb(sentences[i] as string, random));
    const inBaseline = baselineSizes.has(entries) ? baselineQueries(entries, options.quick) : 0;
    const samples: Record<System, Record<Kind, number[]>> = {
      memory: { near: [], fresh: [] },
      redis: { near: [], fresh: [] },
      baseline: { near: [], fresh: [] },
    };
    const outcomes: Record<System, Record<Kind, { correct: number; other: number }>> = {
      memory: { near: { correct: 0, other: 0 }, fresh: { correct: 0, other: 0 } },
      redis: { near: { correct: 0, other: 0 }, fresh: { correct: 0, other: 0 } },
      baseline: { near: { correct: 0, other: 0 }, fresh: { correct: 0, other: 0 } },
    };
    const errorsBefore = {
      memory: lookups.memory.stats().errors,
      redis: lookups.redis.stats().errors,
    };
    const warmup = 20;
    for (let round = -warmup; round < queriesPerKind; round++) {
      const at = Math.max(0, round);
      const tasks: { system: System; kind: Kind; text: string; source: number }[] = [];
      for (const system of ['memory', 'redis', 'baseline'] as const) {
        if (system === 'baseline' && (round < 0 || round >= inBaseline)) continue;
        tasks.push({
          system,
          kind: 'near',
          text: near[at] as string,
          source: nearSources[at] as number,
        });
        tasks.push({ system, kind: 'fresh', text: fresh[at] as string, source: -1 });
      }
      for (let t = 0; t < tasks.length; t++) {
        const task = tasks[(t + round + warmup) % tasks.length] as (typeof tasks)[number];
        let served: number | undefined;
        const begun = performance.now();
        if (task.system === 'baseline') {
          const found = await baseline.lookup(task.text);
          const elapsed = performance.now() - begun;
          if (round >= 0) samples.baseline[task.kind].push(elapsed);
          if (found.kind !== 'miss') served = Number(/\((\d+)\)$/.exec(found.answer)?.[1]);
        } else {
          const found = await lookups[task.system].lookup<{ id: number; text: string }>(
            userRequest(task.text),
          );
          const elapsed = performance.now() - begun;
          if (round >= 0) samples[task.system][task.kind].push(elapsed);
          if (found.kind !== 'miss') served = found.value.id;
        }
        if (round < 0 || served === undefined) continue;
        const outcome = outcomes[task.system][task.kind];
        if (served === task.source) outcome.correct++;
        else outcome.other++;
      }
    }
    const measured: SizeResult['measured'] = {};
    for (const system of ['memory', 'redis', 'baseline'] as const) {
      if (samples[system].near.length === 0) continue;
      const of = (kind: Kind): Measured => ({
        latency: summarize(samples[system][kind]),
        correct: outcomes[system][kind].correct,
        other: outcomes[system][kind].other,
        queries: samples[system][kind].length,
      });
      measured[system] = { near: of('near'), fresh: of('fresh') };
    }
    const step: SizeResult = {
      entries,
      fillMicrosPerEntry,
      measured,
      errors: {
        memory: lookups.memory.stats().errors - errorsBefore.memory,
        redis: lookups.redis.stats().errors - errorsBefore.redis,
      },
      redisUsedMemory: await redis.usedMemory(),
      processRss: process.memoryUsage().rss,
    };
    steps.push(step);
    process.stderr.write(
      `  ${count(entries)}: memory near ${ms(measured.memory?.near.latency.p50)}, redis near ${ms(measured.redis?.near.latency.p50)}, redis fresh ${ms(measured.redis?.fresh.latency.p50)}${measured.baseline ? `, baseline near ${ms(measured.baseline.near.latency.p50)}` : ''}\n`,
    );
  }

  await redis.clear(baselineClient);
  for (const cache of [...Object.values(fillers), ...Object.values(lookups)]) await cache.close();
  await redisStore.close();
  await memoryStore.close();
  await redis.stop();

  return report(steps, { quick: options.quick, queriesPerKind });
}

function report(
  steps: SizeResult[],
  context: { quick: boolean; queriesPerKind: number },
): SectionResult {
  const names: Record<System, string> = {
    memory: 'MemoryStore',
    redis: 'RedisStore',
    baseline: 'baseline (KEYS + Jaccard)',
  };
  const rows: string[][] = [];
  for (const step of steps) {
    for (const system of ['memory', 'redis', 'baseline'] as const) {
      const m = step.measured[system];
      if (!m) continue;
      rows.push([
        count(step.entries),
        names[system],
        ms(m.near.latency.p50),
        ms(m.near.latency.p99),
        `${percent(m.near.correct / m.near.queries)} / ${percent(m.near.other / m.near.queries)}`,
        ms(m.fresh.latency.p50),
        ms(m.fresh.latency.p99),
        percent(m.fresh.other / m.fresh.queries),
        String(m.near.queries),
        step.fillMicrosPerEntry[system] === undefined
          ? '—'
          : ms((step.fillMicrosPerEntry[system] as number) / 1000),
      ]);
    }
  }
  const latencyTable = table(
    [
      'entries',
      'system',
      'near-dup p50',
      'near-dup p99',
      'near-dup served own / other',
      'unrelated p50',
      'unrelated p99',
      'unrelated false hits',
      'queries per kind',
      'insert per entry',
    ],
    rows,
  );

  const at = (entries: number) => steps.find((step) => step.entries === entries);
  const ratioRows: string[][] = [];
  for (const step of steps) {
    const base = step.measured.baseline;
    const redis = step.measured.redis;
    if (!base || !redis) continue;
    ratioRows.push([
      count(step.entries),
      times(base.near.latency.p50 / redis.near.latency.p50),
      times(base.fresh.latency.p50 / redis.fresh.latency.p50),
      times(base.near.latency.p50 / (step.measured.memory?.near.latency.p50 ?? Number.NaN)),
      times(base.fresh.latency.p50 / (step.measured.memory?.fresh.latency.p50 ?? Number.NaN)),
    ]);
  }
  const ratioTable = table(
    [
      'entries',
      'RedisStore, near-dup',
      'RedisStore, unrelated',
      'MemoryStore, near-dup',
      'MemoryStore, unrelated',
    ],
    ratioRows,
  );
  const resourceTable = table(
    ['entries', 'Redis used_memory', 'bench process RSS', 'lookup errors (memory / redis)'],
    steps.map((step) => [
      count(step.entries),
      bytes(step.redisUsedMemory),
      bytes(step.processRss),
      `${step.errors.memory ?? 0} / ${step.errors.redis ?? 0}`,
    ]),
  );

  const targets: Target[] = [];
  const s50 = at(50_000);
  if (s50?.measured.baseline && s50.measured.redis) {
    const nearRatio = s50.measured.baseline.near.latency.p50 / s50.measured.redis.near.latency.p50;
    const freshRatio =
      s50.measured.baseline.fresh.latency.p50 / s50.measured.redis.fresh.latency.p50;
    targets.push({
      section: '2',
      name: 'RedisStore semantic lookup vs the KEYS + Jaccard baseline at 50k entries (p50, near-dup / unrelated)',
      goal: '≥ 500× faster',
      measured: `${times(nearRatio)} / ${times(freshRatio)}`,
      met: nearRatio >= 500 && freshRatio >= 500,
    });
  }
  for (const [entries, limit] of [
    [100_000, 2],
    [1_000_000, 10],
  ] as const) {
    const step = at(entries);
    const redis = step?.measured.redis;
    targets.push({
      section: '2',
      name: `RedisStore semantic lookup median at ${count(entries)} entries (near-dup / unrelated)`,
      goal: `< ${limit} ms`,
      measured: redis
        ? `${ms(redis.near.latency.p50)} / ${ms(redis.fresh.latency.p50)}`
        : 'not run (--quick)',
      met: redis ? redis.near.latency.p50 < limit && redis.fresh.latency.p50 < limit : undefined,
    });
  }

  const markdown = [
    `Every entry sits in ONE context partition (same model, parameters, no system prompt), so each lookup searches all of them. Texts: synthetic questions of 6–16 words drawn from a Zipf-distributed 20,000-word vocabulary (\`bench/src/synthetic-text.ts\`), every one distinct. Near-duplicate query = a stored question upper-cased, without its "?", one character deleted; unrelated query = a question from the same generator that was never stored. Latency is a whole \`cache.lookup()\` (exact GET, embedding with the default lexical embedder, index search, candidate fetch, guards) with the cache's defaults (threshold, guards). ${context.queriesPerKind} queries of each kind per size (plus 20 warm-up rounds), systems interleaved; the baseline (\`bench/baselines/keys-jaccard-cache.ts\`, its own Redis database on the same server) takes part in the first few rounds only, since one of its lookups takes seconds. "served own / other": share of near-duplicates answered with the entry they were made from / with another entry. "insert per entry": wall time to add that step's entries (MemoryStore sequentially, RedisStore 64 \`cache.store()\` in flight, baseline pipelined SETs).`,
    '',
    latencyTable,
    '',
    'Speed-up over the baseline (baseline p50 / semcache p50):',
    '',
    ratioTable,
    '',
    'Resources at each size:',
    '',
    resourceTable,
    '',
    '![semantic lookup latency against entries, log-log](semantic-lookup.svg)',
  ].join('\n');
  return {
    id: 'semantic-lookup',
    title: '2. Semantic lookup latency against entries in one partition',
    markdown,
    targets,
    results: { steps, queriesPerKind: context.queriesPerKind },
  };
}
