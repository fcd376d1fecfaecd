// One fresh process of the "Redis 8 vector sets" benchmark: a RedisStore-backed cache with the
// given semanticIndex makes ONE lookup at once (no wait for `ready` or `whenSynced()`), as a
// serverless cold start does; it prints the lookup's time, result and memory growth, and exits.
//   node vector-sets-worker.ts <redis url> <prefix> <request json> <semanticIndex>
import { createSemanticCache } from '@semcache/core';
import { RedisStore, type SemanticIndexMode } from '@semcache/redis';
import { Redis } from 'ioredis';
import { recommendedClientOptions } from '../lib/redis.ts';

const [url, prefix, requestJson, semanticIndex] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const client = new Redis(url as string, recommendedClientOptions);
client.on('error', () => {});
const store = new RedisStore({
  client,
  prefix: prefix as string,
  semanticIndex: semanticIndex as SemanticIndexMode,
  maxIndexedEntries: 2_000_000,
  maxPartitionEntries: 2_000_000,
});
const cache = createSemanticCache({ store });
const errors: string[] = [];
cache.on('error', ({ error }) => errors.push(error.message));
const started = performance.now();
const found = await cache.lookup(JSON.parse(requestJson as string));
const lookupMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    kind: found.kind,
    value: found.kind === 'miss' ? null : found.value,
    lookupMs,
    rssGrowth: process.memoryUsage().rss - rssBefore,
    replicaEntries: store.indexStats().entries,
    errors,
  })}\n`,
);
await store.close();
client.disconnect();
process.exit(0);
