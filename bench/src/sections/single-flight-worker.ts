// One process of the multi-process single-flight benchmark: a RedisStore-backed AI SDK middleware
// over a model that answers after 300 ms. Protocol on stdin/stdout (JSON lines):
//   → {"ready":true}                                   once connected and synced
//   ← {"trial":n,"prompt":"…","startAt":<epoch ms>}    fire `calls` identical calls at startAt
//   → {"trial":n,"upstream":k,"latencies":[ms…]}       when they have all returned
//   ← {"exit":true}
import { createInterface } from 'node:readline';
import { semanticCacheMiddleware } from '@semcache/ai-sdk';
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { generateText, wrapLanguageModel } from 'ai';
import { Redis } from 'ioredis';
import { benchModel } from '../lib/fixtures.ts';
import { recommendedClientOptions } from '../lib/redis.ts';

const [url, prefix, callsArg, latencyArg] = process.argv.slice(2);
const calls = Number(callsArg);
const modelLatencyMs = Number(latencyArg);
const client = new Redis(url as string, recommendedClientOptions);
client.on('error', () => {});
await new Promise((resolve) => client.once('ready', resolve));
const store = new RedisStore({ client, prefix: prefix as string });
await store.whenSynced();
const cache = createSemanticCache({ store });
const errors: Record<string, number> = {};
cache.on('error', ({ operation }) => {
  errors[operation] = (errors[operation] ?? 0) + 1;
});
const model = benchModel('Paris has been the capital of France since 987.', modelLatencyMs);
const wrapped = wrapLanguageModel({ model, middleware: semanticCacheMiddleware({ cache }) });
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
send({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  const message = JSON.parse(line) as {
    exit?: boolean;
    trial: number;
    prompt: string;
    startAt: number;
  };
  if (message.exit) break;
  const before = model.calls;
  for (const operation of Object.keys(errors)) delete errors[operation];
  const wait = message.startAt - (performance.timeOrigin + performance.now());
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const burstStart = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: calls }, async () => {
      const started = performance.now();
      await generateText({ model: wrapped, prompt: message.prompt });
      return performance.now() - started;
    }),
  );
  send({
    trial: message.trial,
    upstream: model.calls - before,
    latencies,
    modelCalledAfterMs: model.callTimes.slice(before).map((at) => at - burstStart),
    errors,
  });
}
await store.close();
client.disconnect();
