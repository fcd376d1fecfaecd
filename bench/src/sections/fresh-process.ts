// Section 7: fresh processes. A new process (a serverless cold start, a redeployed replica, a
// script) makes its first lookup at once, without waiting for `ready` or `whenSynced()`: is it a
// hit, how long does it take, and how much memory does the cold path cost — next to the same
// lookups in a warm process that has the partition loaded.
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { bytes, count, ms, table } from '../lib/format.ts';
import {
  type FreshLookup,
  freshLookup,
  partitionedRequest as requestOf,
} from '../lib/fresh-lookup.ts';
import { openRedis } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { pool, type Summary, summarize } from '../stats.ts';
import { makeSentences, seededRandom } from '../synthetic-text.ts';

interface Layout {
  name: string;
  entries: number;
  partitions: number;
}

interface Row {
  layout: string;
  lookup: 'exact' | 'semantic';
  cold: Summary;
  coldHits: number;
  warmHits: number;
  trials: number;
  warm: Summary;
  rssGrowth: Summary;
  errors: string[];
}

export async function freshProcess(options: SectionOptions): Promise<SectionResult> {
  const trials = options.quick ? 10 : 24;
  const big = options.quick ? 20_000 : 100_000;
  const layouts: Layout[] = [
    { name: '1,000 entries, one partition', entries: 1000, partitions: 1 },
    { name: `${count(big)} entries, one partition`, entries: big, partitions: 1 },
    {
      name: `${count(big)} entries in ${count(big / 100)} partitions of 100`,
      entries: big,
      partitions: big / 100,
    },
  ];
  const redis = await openRedis('fresh');
  const client = await redis.client();
  const rows: Row[] = [];
  const random = seededRandom(11);
  try {
    for (const [layoutIndex, layout] of layouts.entries()) {
      const prefix = `${redis.prefix}${layoutIndex}:`;
      process.stderr.write(`  fresh process: storing ${layout.name}…\n`);
      const sentences = makeSentences(layout.entries, 20 + layoutIndex);
      const writer = createSemanticCache({
        store: new RedisStore({ client, prefix, maxIndexedEntries: 10 }),
        storeTimeoutMs: 30_000,
      });
      await pool(layout.entries, 64, async (i) => {
        const request = requestOf(sentences[i] as string, i % layout.partitions, layout.partitions);
        if (!(await writer.store(request, { value: { answer: i }, finishReason: 'stop' }))) {
          throw new Error(`fresh-process bench: entry ${i} was not stored`);
        }
      });
      await writer.close();
      await writer.cacheStore.close();
      // A warm process: the same lookups, each partition searched once before timing.
      const warmStore = new RedisStore({ client, prefix, maxIndexedEntries: 2_000_000 });
      const warm = createSemanticCache({ store: warmStore });
      for (const lookup of ['exact', 'semantic'] as const) {
        const picks = Array.from({ length: trials }, () => Math.floor(random() * layout.entries));
        const requestFor = (i: number) =>
          requestOf(
            lookup === 'exact'
              ? (sentences[i] as string)
              : (sentences[i] as string).toUpperCase().replace('?', ''),
            i % layout.partitions,
            layout.partitions,
          );
        const cold: FreshLookup[] = [];
        for (const i of picks)
          cold.push(
            await freshLookup(redis.server.url, prefix, requestFor(i), { replica: 'on-demand' }),
          );
        const warmTimes: number[] = [];
        let warmHits = 0;
        for (const i of picks) if ((await warm.lookup(requestFor(i))).kind === lookup) warmHits++;
        // Timed once the partitions' indexes are built (a long-lived process's steady state).
        for (
          let waited = 0;
          warmStore.indexStats().partitionsBuilding > 0 && waited < 600;
          waited++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        for (let round = 0; round < 5; round++) {
          for (const i of picks) {
            const request = requestFor(i);
            const started = performance.now();
            await warm.lookup(request);
            warmTimes.push(performance.now() - started);
          }
        }
        rows.push({
          layout: layout.name,
          lookup,
          cold: summarize(cold.map((result) => result.lookupMs)),
          coldHits: cold.filter((result) => result.kind === lookup).length,
          warmHits,
          trials,
          warm: summarize(warmTimes),
          rssGrowth: summarize(cold.map((result) => result.rssGrowth)),
          errors: [...new Set(cold.flatMap((result) => result.errors))].slice(0, 3),
        });
        process.stderr.write(
          `  fresh process: ${layout.name}, ${lookup}: ${rows.at(-1)?.coldHits}/${trials} hits\n`,
        );
      }
      await warm.close();
      await warmStore.close();
    }
  } finally {
    client.disconnect();
    await redis.stop();
  }

  const find = (layout: number, lookup: 'exact' | 'semantic') =>
    rows.find((row) => row.layout === layouts[layout]?.name && row.lookup === lookup);
  const allHit = rows.every((row) => row.coldHits === row.trials);
  const manySmall = find(2, 'semantic');
  const oneBig = find(1, 'semantic');
  const targets: Target[] = [
    {
      section: '7',
      name: "a fresh process's first lookup is a hit (every layout, exact and semantic)",
      goal: '100 % of trials',
      measured: rows.map((row) => `${row.coldHits}/${row.trials}`).join(', '),
      met: allHit,
    },
    {
      section: '7',
      name: `first semantic lookup of a fresh process, ${layouts[2]?.name} (p50)`,
      goal: '≤ 50 ms',
      measured: ms(manySmall?.cold.p50),
      met: options.quick ? undefined : (manySmall?.cold.p50 ?? Number.POSITIVE_INFINITY) <= 50,
    },
    {
      section: '7',
      name: `first semantic lookup of a fresh process, ${layouts[1]?.name} (p50)`,
      goal: '≤ 250 ms',
      measured: ms(oneBig?.cold.p50),
      met: options.quick ? undefined : (oneBig?.cold.p50 ?? Number.POSITIVE_INFINITY) <= 250,
    },
  ];
  const markdown = [
    table(
      [
        'entries',
        'first lookup',
        'fresh process p50 / p99',
        'hits',
        'warm process p50 / p99',
        'fresh / warm (p50)',
        'rss growth of the fresh process (p50)',
      ],
      rows.map((row) => [
        row.layout,
        row.lookup,
        `${ms(row.cold.p50)} / ${ms(row.cold.p99)}`,
        `${row.coldHits}/${row.trials} / ${row.warmHits}/${row.trials}`,
        `${ms(row.warm.p50)} / ${ms(row.warm.p99)}`,
        `${(row.cold.p50 / row.warm.p50).toFixed(0)}×`,
        bytes(row.rssGrowth.p50),
      ]),
    ),
    '',
    `Each fresh process is a new \`node\` that creates an ioredis client and a \`RedisStore\` (default \`replica: 'on-demand'\`) and calls \`cache.lookup()\` at once — no wait for \`ready\`, no \`whenSynced()\`; the time is that one call, from before it to its result, so it includes the connection, the namespace generation read and (semantic) loading the partition's vectors from its Redis list. ${trials} processes per row, one after another; "warm": the same requests in one long-lived process that has searched each partition before. Entries: synthetic questions (\`bench/src/synthetic-text.ts\`); semantic queries are stored questions upper-cased without their question mark (another exact key, a semantic hit in a warm process); partitions differ by system prompt. "rss growth": resident memory of the fresh process after its lookup minus at its start (the loaded partition, the client, code). Store errors seen by the fresh processes: ${JSON.stringify([...new Set(rows.flatMap((row) => row.errors))])}.`,
  ].join('\n');
  return { id: 'fresh-process', title: '7. Fresh processes', markdown, targets, results: { rows } };
}
