// A separate process sharing one Redis with the tests (see multi-process.test.ts). It runs the
// sources directly: node --conditions=@semcache/source --import ../scripts/source-hooks.mjs
import { type CacheRequest, type ComputedResponse, createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { Redis } from 'ioredis';

interface WorkerTask {
  url: string;
  prefix: string;
  /** `store`: store one answer; `flight`: concurrent identical calls; `hang`: take the lease and hang. */
  mode: 'store' | 'flight' | 'hang';
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
const client = new Redis(task.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
client.on('error', () => {});
await new Promise<void>((resolve) => client.once('ready', () => resolve()));
const store = new RedisStore({ client, prefix: task.prefix });
await store.whenSynced();
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

if (task.mode === 'store') {
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
