// A separate process sharing one Redis with the tests (see multi-process.test.ts). It runs the
// sources directly: node --conditions=@semcache/source --import ../scripts/source-hooks.mjs
import { type CacheRequest, type ComputedResponse, createSemanticCache } from '@semcache/core';
import { RedisStore, type SemanticIndexMode } from '@semcache/redis';
import { Cluster, Redis } from 'ioredis';

interface WorkerTask {
  url: string;
  prefix: string;
  /**
   * `store`: store one answer; `flight`: concurrent identical calls; `hang`: take the lease and
   * hang; `lookup`: one lookup as soon as the store exists (no waiting for a sync), printing
   * `RESULT {kind, value, ms, stats}`.
   */
  mode: 'store' | 'flight' | 'hang' | 'lookup';
  /** Connect to the Cluster of these nodes instead of `url`. */
  cluster?: { host: string; port: number }[];
  semanticIndex?: SemanticIndexMode;
  text: string;
  value?: string;
  concurrency?: number;
  computeMs?: number;
  leaseMs?: number;
  counterKey?: string;
  /** Wait until this key exists before starting (a start line for several workers). */
  startKey?: string;
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const started = performance.now();
const client = task.cluster
  ? new Cluster(task.cluster, {
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1 },
    })
  : new Redis(task.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
client.on('error', () => {});
if (task.mode !== 'lookup') {
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
}
const store = new RedisStore({
  client,
  prefix: task.prefix,
  // A busy CI machine: the first connection (a Cluster's above all) may take a while.
  connectWaitMs: 10_000,
  ...(task.semanticIndex ? { semanticIndex: task.semanticIndex } : {}),
});
if (task.mode !== 'lookup') await store.whenSynced();
const cache = createSemanticCache({
  store,
  storeTimeoutMs: 2000,
  coalesceTimeoutMs: task.leaseMs ?? 10_000,
});
const request: CacheRequest = {
  model: { provider: 'test', id: 'worker-model' },
  messages: [{ role: 'user', content: [{ type: 'text', text: task.text }] }],
};

process.stdout.write('READY\n');
if (task.startKey) {
  while ((await client.exists(task.startKey)) === 0) await new Promise((r) => setTimeout(r, 5));
}

if (task.mode === 'lookup') {
  // A cold start: the first call waits only for the connection (connectWaitMs).
  const found = await cache.lookup(request);
  const ms = performance.now() - started;
  process.stdout.write(
    `RESULT ${JSON.stringify({
      kind: found.kind,
      value: found.kind === 'miss' ? null : found.value,
      ms,
      stats: store.indexStats(),
    })}\n`,
  );
} else if (task.mode === 'store') {
  await cache.store(request, { value: task.value ?? task.text, finishReason: 'stop' });
} else if (task.mode === 'hang') {
  void cache.getOrCompute(request, () => {
    process.stdout.write('COMPUTING\n');
    return new Promise<ComputedResponse>(() => {});
  });
  await new Promise(() => {});
} else {
  const results = await Promise.all(
    Array.from({ length: task.concurrency ?? 1 }, () =>
      cache.getOrCompute(request, async () => {
        if (task.counterKey) await client.incr(task.counterKey);
        await new Promise((r) => setTimeout(r, task.computeMs ?? 0));
        return { value: task.value ?? 'computed', finishReason: 'stop' };
      }),
    ),
  );
  process.stdout.write(
    `RESULT ${JSON.stringify({
      values: [...new Set(results.map((r) => r.value))],
      kinds: results.map((r) => r.kind),
      errors: cache.stats().errors,
    })}\n`,
  );
}
await store.close();
client.disconnect();
