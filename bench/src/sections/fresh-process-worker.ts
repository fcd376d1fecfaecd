// One fresh process of the fresh-process and vector-set benchmarks: it builds a RedisStore-backed
// cache the way the Redis README shows and makes ONE lookup at once (no wait for `ready` or
// `whenSynced()`), as a serverless cold start does; it prints the lookup's time and result, its
// memory, and exits. Started by `freshLookup` (bench/src/lib/fresh-lookup.ts):
//   node fresh-process-worker.ts <redis url> <prefix> <request json> <store options json>
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { Redis } from 'ioredis';
import type { FreshStoreOptions } from '../lib/fresh-lookup.ts';
import { recommendedClientOptions } from '../lib/redis.ts';

const [url, prefix, requestJson, storeJson] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const client = new Redis(url as string, recommendedClientOptions);
client.on('error', () => {});
const store = new RedisStore({
  client,
  prefix: prefix as string,
  maxIndexedEntries: 2_000_000,
  ...(JSON.parse(storeJson ?? '{}') as FreshStoreOptions),
});
const cache = createSemanticCache({ store });
const errors: string[] = [];
cache.on('error', ({ error }) => errors.push(error.message));
const lookupStarted = performance.now();
const found = await cache.lookup(JSON.parse(requestJson as string));
const lookupMs = performance.now() - lookupStarted;
process.stdout.write(
  `${JSON.stringify({
    kind: found.kind,
    reason: found.kind === 'miss' ? found.reason : undefined,
    value: found.kind === 'miss' ? null : found.value,
    lookupMs,
    sinceStartMs: performance.now() - started,
    rssGrowth: process.memoryUsage().rss - rssBefore,
    replicaEntries: store.indexStats().entries,
    errors,
  })}\n`,
);
await store.close();
client.disconnect();
process.exit(0);
