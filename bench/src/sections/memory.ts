// Section 5: memory per entry for ~1 KB answers. Redis: `used_memory` delta / N for the same
// entries stored as raw strings, as RedisStore entries without and with a vector; the change
// stream and the in-process index replica are measured on their own. MemoryStore: heap + array
// buffer delta / N after a forced GC (the runner starts sections with --expose-gc).
import { createHash } from 'node:crypto';
import { MemoryStore, type StoreRecord } from '@semcache/core';
import { encodeEntry, lexicalVector, VectorIndex } from '@semcache/core/internal';
import { RedisStore } from '@semcache/redis';
import { answerText } from '../lib/fixtures.ts';
import { bytes, count, table, times } from '../lib/format.ts';
import { openRedis } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { pool } from '../stats.ts';
import { makeSentences } from '../synthetic-text.ts';

const dimensions = 512;
const ttlMs = 3_600_000;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('memory bench: run node with --expose-gc (the runner does)');
  collect();
  collect();
}

/**
 * Heap plus array buffers (vectors live in Float32Array arenas), after full GCs. Freed array
 * buffers leave the count a little after the GC that found them dead, hence the pause and the
 * second round.
 */
async function processBytes(): Promise<number> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Holds what {@link retainedBytes} measures until its second reading. */
const retained: unknown[] = [];

/**
 * Bytes still reachable from what `build` returns: process bytes after − before. V8 frees
 * objects a suspended function no longer uses, even while they are in scope, so the object is
 * pinned here until the second reading and released (unreachable) when this returns.
 */
async function retainedBytes(build: () => Promise<unknown>): Promise<number> {
  const before = await processBytes();
  retained.push(await build());
  const after = await processBytes();
  retained.length = 0;
  return after - before;
}

export async function memory(_options: SectionOptions): Promise<SectionResult> {
  // The same N in both modes: bytes per entry depend a little on N (the LSH bucket heads are a
  // fixed 3 MiB per index, the per-entry LSH arrays grow by 1.25×).
  const n = 50_000;
  const redis = await openRedis('memory');
  const client = await redis.client();
  const questions = makeSentences(n, 21);
  const answers = Array.from({ length: 16 }, (_, i) => answerText(1000, 100 + i));
  const createdAt = Date.now();
  // The payload is what the core cache hands a store: its encoded entry (key, model, times,
  // question, answer, usage), about 1.3 KB for a 1,000-character answer. Records are built anew
  // for every store, so a store's memory holds its own strings, as in an app.
  const recordOf = (i: number): StoreRecord => {
    const question = questions[i] as string;
    const key = createHash('sha256').update(question).digest('hex');
    return {
      key,
      payload: encodeEntry({
        key,
        value: { text: `${answers[i % answers.length]} (${i})` },
        modelId: 'gpt-4.1',
        createdAt,
        expiresAt: createdAt + ttlMs,
        text: question,
        usage: { inputTokens: 20, outputTokens: 250 },
      }),
      ttlMs,
      labels: { modelId: 'gpt-4.1' },
    };
  };
  const vectors = questions.map((question) => lexicalVector(question, dimensions));
  let payloadTotal = 0;
  for (let i = 0; i < n; i++) payloadTotal += Buffer.byteLength(recordOf(i).payload);
  const payloadBytes = payloadTotal / n;
  const keyBytes = 64;
  const vectorBytes = dimensions * 4;
  const withVector = (i: number): StoreRecord => ({
    ...recordOf(i),
    index: { partition: 'bench-partition', vector: vectors[i] as Float32Array },
  });

  // Redis: each variant on an empty database, used_memory before and after.
  const redisRows: { name: string; perEntry: number }[] = [];
  const measureRedis = async (
    name: string,
    fill: () => Promise<void>,
  ): Promise<{ perEntry: number }> => {
    await redis.clear();
    const before = await redis.usedMemory();
    await fill();
    const after = await redis.usedMemory();
    const perEntry = (after - before) / n;
    redisRows.push({ name, perEntry });
    return { perEntry };
  };
  await measureRedis(
    'raw `SET key payload PX ttl` (payload as UTF-8, not compressed)',
    async () => {
      await pool(n, 64, async (i) => {
        const record = recordOf(i);
        await client.set(`${redis.prefix}raw:${record.key}`, record.payload, 'PX', ttlMs);
      });
    },
  );
  const storeWithout = await measureRedis('RedisStore entry, no vector', async () => {
    const store = new RedisStore({ client, prefix: redis.prefix });
    await store.whenSynced();
    await pool(n, 64, (i) => store.set('default', recordOf(i)));
    await store.close();
  });
  let replicaPerEntry = Number.NaN;
  let streamBytes = 0;
  let streamLength = 0;
  const storeWith = await measureRedis(
    'RedisStore entry with its int8 vector (default), change stream included',
    async () => {
      const store = new RedisStore({ client, prefix: redis.prefix });
      await store.whenSynced();
      const processBefore = await processBytes();
      await pool(n, 64, (i) => store.set('default', withVector(i)));
      replicaPerEntry = ((await processBytes()) - processBefore) / n;
      const streamKey = `${redis.prefix}!changes`;
      streamBytes = Number(await client.call('MEMORY', 'USAGE', streamKey, 'SAMPLES', '0'));
      streamLength = await client.xlen(streamKey);
      await store.close();
    },
  );
  const storeFloat = await measureRedis(
    'RedisStore entry with a float32 vector (`vectorEncoding: "float32"`)',
    async () => {
      const store = new RedisStore({ client, prefix: redis.prefix, vectorEncoding: 'float32' });
      await store.whenSynced();
      await pool(n, 64, (i) => store.set('default', withVector(i)));
      await store.close();
    },
  );
  const redisVersion = await redis.version();
  await redis.clear();
  await redis.stop();

  // MemoryStore and the index alone, in this process. Each is built inside `retainedBytes`, so
  // nothing of the previous one is still reachable when the next one's baseline is taken.
  const memoryRows: { name: string; perEntry: number }[] = [];
  for (const indexed of [false, true]) {
    memoryRows.push({
      name: indexed ? 'MemoryStore entry with its float32 vector' : 'MemoryStore entry, no vector',
      perEntry:
        (await retainedBytes(async () => {
          const store = new MemoryStore({
            maxEntries: n + 1,
            maxBytes: 2 ** 40,
            sweepIntervalMs: 0,
          });
          for (let i = 0; i < n; i++) {
            await store.set('default', indexed ? withVector(i) : recordOf(i));
          }
          return store;
        })) / n,
    });
  }
  const memoryWith = memoryRows[1]?.perEntry ?? Number.NaN;
  // The index alone: vector arena and id maps (exact scan), then with the LSH tables.
  const indexRows: { name: string; perEntry: number }[] = [];
  for (const [name, flatLimit] of [
    ['core `VectorIndex` alone, exact scan only (vector arena + id maps)', n + 1],
    ['core `VectorIndex` alone, with its LSH tables (defaults: 48 bands × 14 bits)', undefined],
  ] as const) {
    const perEntry =
      (await retainedBytes(async () => {
        const index = new VectorIndex({
          dimensions,
          ...(flatLimit === undefined ? {} : { flatLimit }),
        });
        for (let i = 0; i < n; i++) {
          const key = createHash('sha256')
            .update(questions[i] as string)
            .digest('hex');
          index.add(key, vectors[i] as Float32Array);
        }
        return index;
      })) / n;
    indexRows.push({ name, perEntry });
  }
  // The arena grows in chunks of 256 KiB: 128 vectors of 512 dimensions.
  const arenaSlots = Math.ceil(n / 128) * 128;

  const intrinsic = payloadBytes + vectorBytes;
  const targets: Target[] = [
    {
      section: '5',
      name: 'Redis bytes per entry (RedisStore, default int8 vector) vs payload + float32 vector',
      goal: '≤ 1.5×',
      measured: `${bytes(storeWith.perEntry)} = ${times(storeWith.perEntry / intrinsic)}`,
      met: storeWith.perEntry <= 1.5 * intrinsic,
    },
    {
      section: '5',
      name: 'MemoryStore heap bytes per entry vs payload + float32 vector',
      goal: '≤ 1.5×',
      measured: `${bytes(memoryWith)} = ${times(memoryWith / intrinsic)}`,
      met: memoryWith <= 1.5 * intrinsic,
    },
  ];
  const split = [
    ['payload (+ key and Redis per-key overhead)', storeWithout.perEntry],
    [
      'vector (int8 + scale, in the entry)',
      storeWith.perEntry - storeWithout.perEntry - streamBytes / n,
    ],
    ['change stream (capped, amortised over these entries)', streamBytes / n],
  ] as const;
  const memoryNote = `MemoryStore and the replica keep float32 vectors in an arena per partition that grows in chunks of 256 KiB, so at most one chunk is partly empty: at ${count(n)} entries it has room for ${arenaSlots.toLocaleString('en-US')} vectors (${bytes((arenaSlots * vectorBytes) / n)} per entry for ${bytes(vectorBytes)} of vector). The LSH tables are, per band, a typed array of bucket heads (2^14 slots; 3 MiB for the 48 bands whatever N) and, per entry and band, a 32-bit link to the next entry of its bucket and its 16-bit band code (288 B per entry), in arrays that grow by 1.25×.`;
  const markdown = [
    `${count(n)} entries; answers of 1,000 characters of text; payload = the core's encoded entry (key, model, times, question, answer, usage) = ${bytes(payloadBytes)} on average as UTF-8; vector = ${dimensions}-dimension lexical embedding = ${bytes(vectorBytes)} as float32. Redis ${redisVersion}: \`used_memory\` after − before, divided by N, each variant on an emptied database; MemoryStore: V8 heap used + array buffers after a forced GC, before and after, divided by N. Target reference (payload + float32 vector): ${bytes(intrinsic)}.`,
    '',
    table(
      ['what', 'bytes per entry', 'vs payload + vector'],
      [
        ...redisRows.map((row) => [
          `Redis: ${row.name}`,
          bytes(row.perEntry),
          times(row.perEntry / intrinsic),
        ]),
        ...[...memoryRows, ...indexRows].map((row) => [
          row.name,
          bytes(row.perEntry),
          times(row.perEntry / intrinsic),
        ]),
        [
          'RedisStore index replica in each app process (heap + array buffers)',
          bytes(replicaPerEntry),
          times(replicaPerEntry / intrinsic),
        ],
      ],
    ),
    '',
    memoryNote,
    '',
    `Redis bytes per RedisStore entry, split (stored with deflate above 1 KiB; change stream: ${streamLength.toLocaleString('en-US')} records, ${bytes(streamBytes)} in all, capped at about 10,000 records whatever the cache size):`,
    '',
    table(
      ['part', 'bytes per entry'],
      [
        ...split.map(([name, value]) => [name, bytes(value)]),
        ['total (RedisStore with vector)', bytes(storeWith.perEntry)],
        [
          'for comparison: a float32 vector instead of int8',
          bytes(storeFloat.perEntry - storeWithout.perEntry - streamBytes / n),
        ],
      ],
    ),
  ].join('\n');
  return {
    id: 'memory',
    title: '5. Memory per entry',
    markdown,
    targets,
    results: {
      entries: n,
      payloadBytes,
      keyBytes,
      vectorBytes,
      redis: redisRows,
      memoryStore: memoryRows,
      vectorIndex: indexRows,
      arenaSlots,
      replicaPerEntry,
      streamBytes,
      streamLength,
    },
  };
}
