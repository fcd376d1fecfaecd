// One fresh process of the "fresh process" benchmark: it builds a RedisStore-backed cache the way
// the Redis README shows and makes ONE lookup at once (no wait for `ready` or `whenSynced()`), as
// a serverless cold start does; it prints the lookup's time and result, its memory, and exits.
//   node fresh-process-worker.ts <redis url> <prefix> <request json> <replica mode>
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { Redis } from 'ioredis';
import { recommendedClientOptions } from '../lib/redis.ts';

const [url, prefix, requestJson, replica] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const client = new Redis(url as string, recommendedClientOptions);
client.on('error', () => {});
const store = new RedisStore({
  client,
  prefix: prefix as string,
  replica: replica === 'full' ? 'full' : 'on-demand',
  maxIndexedEntries: 2_000_000,
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
