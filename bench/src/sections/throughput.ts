// Section 3: exact hits per second at concurrency 1, 16 and 64 in one process — MemoryStore,
// RedisStore with and without ioredis auto-pipelining — against raw ioredis GETs of the same bytes
// through the same client. Variants take turns in short windows (rotating order), several rounds.
import { createSemanticCache, MemoryStore, type SemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import type { Redis } from 'ioredis';
import { answerText, userRequest } from '../lib/fixtures.ts';
import { int, percent, table } from '../lib/format.ts';
import { openRedis, recommendedClientOptions, scanKeys } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { median } from '../stats.ts';

const distinctEntries = 1000;
const concurrencies = [1, 16, 64] as const;

/** Calls `operation(i)` from `concurrency` loops for `windowMs`; returns completed calls per second. */
async function opsPerSecond(
  concurrency: number,
  windowMs: number,
  operation: (i: number) => Promise<unknown>,
): Promise<number> {
  let done = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + windowMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation(next++ % distinctEntries);
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - started);
}

export async function throughput(options: SectionOptions): Promise<SectionResult> {
  const rounds = options.quick ? 7 : 12;
  const windowMs = options.quick ? 400 : 800;
  const redis = await openRedis('throughput');
  const pipelined = await redis.client({ ...recommendedClientOptions, enableAutoPipelining: true });
  const plain = await redis.client({ ...recommendedClientOptions, enableAutoPipelining: false });

  const answer = answerText(1000);
  const questions = Array.from(
    { length: distinctEntries },
    (_, i) => `Question number ${i}: ${answer.slice(i % 500, (i % 500) + 60)}?`,
  );
  const redisStores = {
    pipelined: new RedisStore({ client: pipelined, prefix: `${redis.prefix}p:` }),
    plain: new RedisStore({ client: plain, prefix: `${redis.prefix}n:` }),
  };
  await Promise.all(Object.values(redisStores).map((store) => store.whenSynced()));
  const caches: Record<'memory' | 'pipelined' | 'plain', SemanticCache> = {
    memory: createSemanticCache({ store: new MemoryStore() }),
    pipelined: createSemanticCache({ store: redisStores.pipelined }),
    plain: createSemanticCache({ store: redisStores.plain }),
  };
  for (const cache of Object.values(caches)) {
    for (const question of questions) {
      await cache.store(userRequest(question), { value: { text: answer }, finishReason: 'stop' });
    }
  }
  // Raw GET keys hold byte-for-byte copies of the RedisStore entries.
  const rawKeys: string[] = [];
  const entryKeys = await scanKeys(pipelined, `${redis.prefix}p:*:e:*`);
  for (const [i, key] of entryKeys.entries()) {
    const rawKey = `${redis.prefix}raw:${i}`;
    await pipelined.set(rawKey, (await pipelined.getBuffer(key)) as Buffer);
    rawKeys.push(rawKey);
  }
  const checkHits = async (cache: SemanticCache) => {
    for (const question of questions.slice(0, 20)) {
      const found = await cache.lookup(userRequest(question));
      if (found.kind !== 'exact') throw new Error('throughput bench: expected exact hits');
    }
  };
  for (const cache of Object.values(caches)) await checkHits(cache);

  const rawGet = (client: Redis) => (i: number) => client.getBuffer(rawKeys[i] as string);
  const lookup = (cache: SemanticCache) => (i: number) =>
    cache.lookup(userRequest(questions[i] as string));
  const variants = {
    rawPipelined: rawGet(pipelined),
    storePipelined: lookup(caches.pipelined),
    rawPlain: rawGet(plain),
    storePlain: lookup(caches.plain),
    memory: lookup(caches.memory),
  };
  type Variant = keyof typeof variants;
  const names = Object.keys(variants) as Variant[];
  const results: Record<number, Record<Variant, number[]>> = {};
  for (const concurrency of concurrencies) {
    const perVariant = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
      Variant,
      number[]
    >;
    await opsPerSecond(concurrency, 100, variants.storePipelined); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length] as Variant;
        perVariant[name].push(await opsPerSecond(concurrency, windowMs, variants[name]));
      }
    }
    results[concurrency] = perVariant;
  }
  const errors = Object.fromEntries(
    Object.entries(caches).map(([name, cache]) => [name, cache.stats().errors]),
  );

  const rows: string[][] = [];
  const targets: Target[] = [];
  for (const concurrency of concurrencies) {
    const r = results[concurrency] as Record<Variant, number[]>;
    const m = Object.fromEntries(names.map((name) => [name, median(r[name])])) as Record<
      Variant,
      number
    >;
    rows.push([
      String(concurrency),
      int(m.rawPlain),
      int(m.storePlain),
      percent(m.storePlain / m.rawPlain),
      int(m.rawPipelined),
      int(m.storePipelined),
      percent(m.storePipelined / m.rawPipelined),
      int(m.memory),
    ]);
    for (const [label, store, raw] of [
      ['without auto-pipelining', m.storePlain, m.rawPlain],
      ['with auto-pipelining', m.storePipelined, m.rawPipelined],
    ] as const) {
      targets.push({
        section: '3',
        name: `RedisStore exact hits/s vs raw GET/s, concurrency ${concurrency}, ${label}`,
        goal: '≥ 50 %',
        measured: percent(store / raw),
        met: store >= 0.5 * raw,
      });
    }
  }
  const top = results[64] as Record<Variant, number[]>;
  const cpuMicros = (name: Variant) => `${(1e6 / median(top[name])).toFixed(1)} µs`;
  const markdown = [
    `Exact hits through the core engine (\`cache.lookup()\` on a fresh request object each call, as the adapters make them) over ${distinctEntries.toLocaleString('en-US')} stored entries with 1,000-character answers; raw GETs read byte-for-byte copies of the RedisStore entries through the same ioredis client. ${rounds} rounds; in each, every variant runs for ${windowMs} ms at the given concurrency (that many loops awaiting one call after another), variants in rotating order; the table shows the median of the rounds in calls per second. One Node process; redis-server on the same machine${redis.server.owned ? ' (private, loopback)' : ' (REDIS_URL)'}. Store errors during the run: ${JSON.stringify(errors)}.`,
    '',
    table(
      [
        'concurrency',
        'raw GET/s (no auto-pipelining)',
        'RedisStore hits/s',
        'share',
        'raw GET/s (auto-pipelining)',
        'RedisStore hits/s',
        'share',
        'MemoryStore hits/s',
      ],
      rows,
    ),
    '',
    `At concurrency 64 the Node process is the bottleneck (2 cores, shared with redis-server), so 1 s / calls per second is roughly the process's CPU time per call: raw GET ${cpuMicros('rawPipelined')} (auto-pipelining) / ${cpuMicros('rawPlain')} (without), RedisStore hit ${cpuMicros('storePipelined')} / ${cpuMicros('storePlain')}, MemoryStore hit ${cpuMicros('memory')} (the engine alone: request validation, canonical JSON + SHA-256 keys, entry decode). For RedisStore to reach 50 % of raw GET throughput, a whole hit would have to cost at most twice a raw GET's client-side CPU.`,
  ].join('\n');

  for (const cache of Object.values(caches)) await cache.close();
  for (const store of Object.values(redisStores)) await store.close();
  await redis.stop();
  return {
    id: 'throughput',
    title: '3. Throughput of exact hits',
    markdown,
    targets,
    results: { rounds, windowMs, distinctEntries, opsPerSecond: results, errors },
  };
}
