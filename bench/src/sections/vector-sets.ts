// Section 12: Redis 8 vector sets (issue 14) next to the in-process replica, on ONE Redis 8 server:
// semantic lookup latency at several sizes and partition layouts, a fresh process's first
// semantic lookup, insert cost and Redis bytes per entry, and lookups while writes arrive at
// 1,000/s. The KEYS + Jaccard baseline takes part at 1,000 entries (it takes seconds beyond).
import { createSemanticCache, type SemanticCache } from '@semcache/core';
import { RedisStore, type SemanticIndexMode } from '@semcache/redis';
import { findRedis8Server, startRedisServer } from '@semcache/redis/testing';
import type { Redis } from 'ioredis';
import { KeysJaccardCache } from '../../baselines/keys-jaccard-cache.ts';
import { bytes, count, int, ms, table } from '../lib/format.ts';
import { freshLookup, partitionedRequest as requestOf } from '../lib/fresh-lookup.ts';
import { recommendedClientOptions } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { pool, type Summary, summarize } from '../stats.ts';
import { makeSentences, perturb, seededRandom } from '../synthetic-text.ts';

const title = '10. Redis 8 vector sets';
type Mode = Extract<SemanticIndexMode, 'vector-set' | 'replica'>;
const modes: readonly Mode[] = ['vector-set', 'replica'];

interface Layout {
  name: string;
  entries: number;
  partitions: number;
}

interface LayoutRow {
  layout: string;
  mode: Mode | 'baseline';
  near: Summary;
  unrelated: Summary;
  nearHits: number;
  nearOwn: number;
  unrelatedHits: number;
  queries: number;
  insertMicros: number;
  bytesPerEntry: number;
}

interface ColdRow {
  mode: Mode;
  layout: string;
  lookup: Summary;
  hits: number;
  trials: number;
  rssGrowth: Summary;
  errors: string[];
}

interface WriteRow {
  mode: Mode;
  writesPerSecond: number;
  lookup: Summary;
  hits: number;
  queries: number;
  writeErrors: number;
}

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
}

/** The fresh-process worker's store options for one index (every entry of a partition kept). */
const fresh = (mode: SemanticIndexMode) => ({
  semanticIndex: mode,
  maxPartitionEntries: 2_000_000,
});

export async function vectorSets(options: SectionOptions): Promise<SectionResult> {
  const binary = findRedis8Server();
  if (!binary) {
    return {
      id: 'vector-sets',
      title,
      markdown:
        'Skipped: no Redis 8 `redis-server` (set `SEMCACHE_REDIS8_SERVER`, or run `.ci/run`, which builds it).',
      targets: [],
      results: { skipped: true },
    };
  }
  const big = options.quick ? 20_000 : 100_000;
  const layouts: Layout[] = [
    { name: '1k entries, one partition', entries: 1000, partitions: 1 },
    { name: `${count(big)} entries, one partition`, entries: big, partitions: 1 },
    ...(options.quick
      ? []
      : [{ name: '1M entries, one partition', entries: 1_000_000, partitions: 1 }]),
    {
      name: `${count(big)} entries in ${count(big / 100)} partitions`,
      entries: big,
      partitions: big / 100,
    },
  ];
  const queries = options.quick ? 200 : 500;
  const coldTrials = options.quick ? 6 : 12;
  const server = await startRedisServer({ useEnvUrl: false, binary });
  const connect = async (db = 0) => {
    const made = server.client({ ...recommendedClientOptions, db });
    if (made.status !== 'ready') await new Promise((resolve) => made.once('ready', resolve));
    return made;
  };
  const client = await connect();
  const admin = await connect();
  const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  const rows: LayoutRow[] = [];
  const cold: ColdRow[] = [];
  const writes: WriteRow[] = [];
  const random = seededRandom(12);
  try {
    for (const [layoutIndex, layout] of layouts.entries()) {
      const sentences = makeSentences(layout.entries + queries, 40 + layoutIndex);
      const unrelated = sentences.slice(layout.entries);
      const partitionOf = (i: number) => i % layout.partitions;
      const stored = (i: number) =>
        requestOf(sentences[i] as string, partitionOf(i), layout.partitions);
      const caches = new Map<Mode, { cache: SemanticCache; store: RedisStore; prefix: string }>();
      for (const mode of modes) {
        const prefix = `b${layoutIndex}-${mode}:`;
        process.stderr.write(`  vector sets: ${layout.name}, storing with '${mode}'…\n`);
        const store = new RedisStore({
          client,
          prefix,
          semanticIndex: mode,
          maxIndexedEntries: layout.entries + 10_000,
          maxPartitionEntries: Math.max(100_000, layout.entries),
        });
        await store.whenSynced();
        const cache = createSemanticCache({ store, storeTimeoutMs: 60_000 });
        const before = await usedMemory(admin);
        const started = performance.now();
        await pool(layout.entries, 64, async (i) => {
          if (!(await cache.store(stored(i), { value: { i }, finishReason: 'stop' }))) {
            throw new Error(`vector-sets bench: entry ${i} was not stored ('${mode}')`);
          }
        });
        const insertMicros = ((performance.now() - started) * 1000) / layout.entries;
        const bytesPerEntry = ((await usedMemory(admin)) - before) / layout.entries;
        caches.set(mode, { cache, store, prefix });
        rows.push({
          layout: layout.name,
          mode,
          near: summarize([]),
          unrelated: summarize([]),
          nearHits: 0,
          nearOwn: 0,
          unrelatedHits: 0,
          queries,
          insertMicros,
          bytesPerEntry,
        });
      }
      // A long-lived process: the replica has searched every partition once before timing.
      const replica = caches.get('replica');
      for (let p = 0; p < layout.partitions; p++) await replica?.cache.lookup(stored(p));
      for (let waited = 0; (replica?.store.indexStats().partitionsBuilding ?? 0) > 0; waited++) {
        if (waited > 1200) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      let baseline: KeysJaccardCache | undefined;
      let baselineClient: Redis | undefined;
      if (layout.entries <= 1000) {
        baselineClient = await connect(1);
        baseline = new KeysJaccardCache(baselineClient, { prefix: 'baseline:' });
        const batch = baselineClient.pipeline();
        for (let i = 0; i < layout.entries; i++) {
          const prompt = sentences[i] as string;
          batch.set(baseline.key(prompt), JSON.stringify({ prompt, answer: String(i) }));
        }
        const before = await usedMemory(admin);
        const started = performance.now();
        await batch.exec();
        rows.push({
          layout: layout.name,
          mode: 'baseline',
          near: summarize([]),
          unrelated: summarize([]),
          nearHits: 0,
          nearOwn: 0,
          unrelatedHits: 0,
          queries: 30,
          insertMicros: ((performance.now() - started) * 1000) / layout.entries,
          bytesPerEntry: ((await usedMemory(admin)) - before) / layout.entries,
        });
      }
      const samples = new Map<string, { near: number[]; unrelated: number[] }>();
      const sources = Array.from({ length: queries }, () => Math.floor(random() * layout.entries));
      const near = sources.map((i) => perturb(sentences[i] as string, random));
      const rowOf = (mode: Mode | 'baseline') =>
        rows.find((row) => row.layout === layout.name && row.mode === mode) as LayoutRow;
      for (let round = -10; round < queries; round++) {
        const at = Math.max(0, round);
        const source = sources[at] as number;
        const tasks: [Mode | 'baseline', 'near' | 'unrelated'][] = [];
        for (const mode of modes) tasks.push([mode, 'near'], [mode, 'unrelated']);
        if (baseline && round >= 0 && round < 30) tasks.push(['baseline', 'near']);
        for (let t = 0; t < tasks.length; t++) {
          const [mode, kind] = tasks[(t + round + 10) % tasks.length] as (typeof tasks)[number];
          const text = kind === 'near' ? (near[at] as string) : (unrelated[at] as string);
          const row = rowOf(mode);
          const started = performance.now();
          let served: number | undefined;
          if (mode === 'baseline') {
            const found = await (baseline as KeysJaccardCache).lookup(text);
            if (found.kind !== 'miss') served = Number(found.answer);
          } else {
            const found = await (caches.get(mode) as { cache: SemanticCache }).cache.lookup<{
              i: number;
            }>(requestOf(text, partitionOf(source), layout.partitions));
            if (found.kind !== 'miss') served = found.value.i;
          }
          const elapsed = performance.now() - started;
          if (round < 0) continue;
          const list = samples.get(mode) ?? { near: [], unrelated: [] };
          samples.set(mode, list);
          list[kind].push(elapsed);
          if (served === undefined) continue;
          if (kind === 'near') {
            row.nearHits++;
            if (served === source) row.nearOwn++;
          } else row.unrelatedHits++;
        }
      }
      for (const [mode, list] of samples) {
        const row = rowOf(mode as Mode | 'baseline');
        row.near = summarize(list.near);
        row.unrelated = summarize(list.unrelated);
        row.queries = list.near.length;
      }
      baselineClient?.disconnect();

      // Fresh processes at every layout past 1k; writes at 1,000/s into the one-partition layout
      // of the middle size (20k with --quick, 100k).
      if (layoutIndex === 0) {
        // The fixed cost of a new process's first call: a miss on an empty prefix.
        for (const mode of modes) {
          const results = [];
          for (let trial = 0; trial < coldTrials; trial++) {
            results.push(
              await freshLookup(
                server.url,
                `empty-${mode}:`,
                requestOf('nothing here', 0, 1),
                fresh(mode),
              ),
            );
          }
          cold.push({
            mode,
            layout: 'empty cache (a miss: connection and first-call cost only)',
            lookup: summarize(results.map((r) => r.lookupMs)),
            hits: 0,
            trials: coldTrials,
            rssGrowth: summarize(results.map((r) => r.rssGrowth)),
            errors: [...new Set(results.flatMap((r) => r.errors))].slice(0, 3),
          });
        }
      }
      if (layout.entries > 1000) {
        for (const mode of modes) {
          const prefix = caches.get(mode)?.prefix as string;
          const results = [];
          for (let trial = 0; trial < coldTrials; trial++) {
            const i = Math.floor(random() * layout.entries);
            const request = requestOf(
              perturb(sentences[i] as string, random),
              partitionOf(i),
              layout.partitions,
            );
            results.push(await freshLookup(server.url, prefix, request, fresh(mode)));
          }
          cold.push({
            mode,
            layout: layout.name,
            lookup: summarize(results.map((r) => r.lookupMs)),
            hits: results.filter((r) => r.kind === 'semantic').length,
            trials: coldTrials,
            rssGrowth: summarize(results.map((r) => r.rssGrowth)),
            errors: [...new Set(results.flatMap((r) => r.errors))].slice(0, 3),
          });
          process.stderr.write(
            `  vector sets: fresh process, ${layout.name}, '${mode}': ${cold.at(-1)?.hits}/${coldTrials} hits\n`,
          );
        }
      }
      if (layout.entries === big && layout.partitions === 1) {
        for (const mode of modes) {
          writes.push(await lookupsWhileWriting(mode, caches.get(mode)?.prefix as string));
        }
      }
      for (const { cache, store } of caches.values()) {
        await cache.close();
        await store.close();
      }
      await admin.flushall();
    }
  } finally {
    client.disconnect();
    admin.disconnect();
    await server.stop();
  }

  /** Lookups (near duplicates of stored entries) while another client stores 1,000 entries/s. */
  async function lookupsWhileWriting(mode: Mode, prefix: string): Promise<WriteRow> {
    const writerClient = await connect();
    const readerClient = await connect();
    const seconds = options.quick ? 4 : 10;
    const writerStore = new RedisStore({ client: writerClient, prefix, semanticIndex: mode });
    const readerStore = new RedisStore({
      client: readerClient,
      prefix,
      semanticIndex: mode,
      maxIndexedEntries: 2_000_000,
      maxPartitionEntries: 2_000_000,
    });
    const writer = createSemanticCache({ store: writerStore, storeTimeoutMs: 10_000 });
    const reader = createSemanticCache({ store: readerStore });
    const texts = makeSentences(seconds * 1000 + 1000, 99);
    let sent = 0;
    let written = 0;
    let writeErrors = 0;
    let running = true;
    try {
      const writing = (async () => {
        const begun = performance.now();
        const inFlight = new Set<Promise<void>>();
        while (running) {
          // 1,000 per second of wall time, up to 256 in flight (a slower server falls behind).
          const due = Math.floor(performance.now() - begun);
          while (sent < due && sent < texts.length && inFlight.size < 256) {
            const text = texts[sent++] as string;
            const write: Promise<void> = writer
              .store(requestOf(text, 0, 1), { value: { i: -1 }, finishReason: 'stop' })
              .then((ok) => {
                if (ok) written++;
                else writeErrors++;
              })
              .finally(() => inFlight.delete(write));
            inFlight.add(write);
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await Promise.all(inFlight);
      })();
      const times: number[] = [];
      let hits = 0;
      const started = performance.now();
      // The reader's first lookups load the partition (replica); not timed.
      await reader.lookup(requestOf('warm up', 0, 1));
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        // A near duplicate of an entry stored about half a second before (once ≥ 500 are).
        const source = texts[Math.max(0, written - 500)] as string;
        const begun = performance.now();
        const found = await reader.lookup(requestOf(perturb(source, random), 0, 1));
        times.push(performance.now() - begun);
        if (found.kind !== 'miss') hits++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      running = false;
      await writing;
      const elapsed = (performance.now() - started) / 1000;
      return {
        mode,
        writesPerSecond: written / elapsed,
        lookup: summarize(times),
        hits,
        queries: times.length,
        writeErrors,
      };
    } finally {
      await writer.close();
      await reader.close();
      await writerStore.close();
      await readerStore.close();
      writerClient.disconnect();
      readerClient.disconnect();
    }
  }

  const coldOf = (mode: Mode, layout: string | undefined) =>
    cold.find((row) => row.mode === mode && row.layout === layout);
  const single = layouts.filter((l) => l.partitions === 1);
  const at100k = coldOf('vector-set', single.find((l) => l.entries === 100_000)?.name);
  const at1M = coldOf('vector-set', single.find((l) => l.entries === 1_000_000)?.name);
  const vsCold = cold.filter((row) => row.mode === 'vector-set' && row.hits > 0);
  const targets: Target[] = [
    {
      section: '10',
      name: "vector sets: a fresh process's first semantic lookup, 100k entries in one partition (p50)",
      goal: '≤ 5 ms',
      measured: at100k ? ms(at100k.lookup.p50) : `not run (--quick: ${count(big)})`,
      met: at100k ? at100k.lookup.p50 <= 5 : undefined,
    },
    {
      section: '10',
      name: "vector sets: a fresh process's first semantic lookup, 1M entries in one partition (p50)",
      goal: '≤ 10 ms',
      measured: at1M ? ms(at1M.lookup.p50) : 'not run (--quick)',
      met: at1M ? at1M.lookup.p50 <= 10 : undefined,
    },
    {
      section: '10',
      name: 'vector sets: per-process memory does not grow with the entries (fresh process rss growth, p50)',
      goal: 'same at every size',
      measured: vsCold.map((row) => `${row.layout}: ${bytes(row.rssGrowth.p50)}`).join('; '),
      met:
        vsCold.length > 0 &&
        Math.max(...vsCold.map((row) => row.rssGrowth.p50)) -
          Math.min(...vsCold.map((row) => row.rssGrowth.p50)) <
          16 * 1024 ** 2,
    },
  ];
  const label = (mode: Mode | 'baseline') =>
    mode === 'baseline'
      ? 'KEYS + Jaccard baseline'
      : mode === 'vector-set'
        ? 'vector sets'
        : 'replica';
  const markdown = [
    table(
      [
        'entries',
        'index',
        'near-duplicate p50 / p99',
        'unrelated p50 / p99',
        'hits own / other (near)',
        'insert per entry',
        'Redis bytes per entry',
      ],
      rows.map((row) => [
        row.layout,
        label(row.mode),
        `${ms(row.near.p50)} / ${ms(row.near.p99)}`,
        row.mode === 'baseline' ? 'n/a' : `${ms(row.unrelated.p50)} / ${ms(row.unrelated.p99)}`,
        `${row.nearOwn}/${row.queries} / ${row.nearHits - row.nearOwn}`,
        ms(row.insertMicros / 1000),
        int(row.bytesPerEntry),
      ]),
    ),
    '',
    table(
      ['fresh process, first semantic lookup', 'index', 'p50 / p99', 'hits', 'rss growth (p50)'],
      cold.map((row) => [
        row.layout,
        label(row.mode),
        `${ms(row.lookup.p50)} / ${ms(row.lookup.p99)}`,
        `${row.hits}/${row.trials}`,
        bytes(row.rssGrowth.p50),
      ]),
    ),
    '',
    table(
      [
        'lookups while writing',
        'index',
        'writes/s reached',
        'lookup p50 / p99',
        'hits',
        'write failures',
      ],
      writes.map((row) => [
        `${count(big)} entries, one partition`,
        label(row.mode),
        int(row.writesPerSecond),
        `${ms(row.lookup.p50)} / ${ms(row.lookup.p99)}`,
        `${row.hits}/${row.queries}`,
        String(row.writeErrors),
      ]),
    ),
    '',
    `One Redis ${version} server (private, loopback, no persistence; \`findRedis8Server()\`), both indexes side by side: \`semanticIndex: 'vector-set'\` (VADD … Q8 CAS on store, VSIM on lookup) and \`'replica'\` (the in-process index, \`replica: 'on-demand'\`), each on its own prefix holding the same entries, default lexical embedder (512 dimensions). Latency is a whole \`cache.lookup()\` in a long-lived process (the replica has searched every partition once before timing); ${queries} near-duplicate (a stored question perturbed) and unrelated queries per row, indexes interleaved; the KEYS + Jaccard baseline (\`bench/baselines\`) runs 30 queries at 1k entries only. "insert per entry": wall time of storing the layout with 64 \`cache.store()\` in flight / entries; "Redis bytes per entry": \`used_memory\` growth / entries (entries + vector set, or entries + partition list + change stream). Fresh process: a new \`node\` that creates a client and a store and calls \`cache.lookup()\` at once (connection, generation read, then VSIM — or the partition load for the replica), ${coldTrials} per row. "lookups while writing": another client stores 1,000 entries/s into the partition of ${count(big)} entries while one process looks up near duplicates of entries stored about 0.5 s before (the replica learns them from the change stream, vector sets at once); writer and reader are two stores on two connections in the benchmark's process, the server shares the 2 cores.`,
  ].join('\n');
  return {
    id: 'vector-sets',
    title,
    markdown,
    targets,
    results: { version, rows, cold, writes },
  };
}
