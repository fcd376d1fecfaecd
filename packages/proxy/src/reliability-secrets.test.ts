import { inspect } from 'node:util';
import { inspectEntry } from '@semcache/redis';
import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ask, type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';

/**
 * No key reaches Redis, the log or the metrics: the proxy runs on a real redis-server with its
 * upstream key, two client keys and a tenant secret planted, answers hits, misses, streams,
 * passthrough calls, wrong keys and upstream errors (also while Redis is down); then every
 * Redis key and value (SCAN, entries decoded), every command Redis received (MONITOR), every log
 * line, `/metrics`, `/stats` and every response body are searched for each secret in clear,
 * base64 and URL-encoded form. A proxy without an upstream key, whose clients' own keys go
 * upstream, is checked the same way.
 */
const secret = {
  upstreamKey: 'sk-plantedUpstreamKey-4Rt8Yp2Wq',
  clientA: 'sk-plantedClientKeyA-7Hn3Vb6Xc',
  clientB: 'sk-plantedClientKeyB-1Jm9Kd4Sf',
  tenantSecret: 'plantedTenantSecret-5Gh2Lz8Pa',
  ownKey: 'sk-plantedForwardedKey-3Qw7Er1Ty',
} as const;

function forms(): string[] {
  const found = new Set<string>();
  for (const value of Object.values(secret)) {
    found.add(value);
    found.add(encodeURIComponent(value));
    found.add(Buffer.from(value).toString('base64').replace(/=+$/, ''));
  }
  return [...found];
}

/** Each place in `texts` where a secret shows, in any form. */
function leaks(texts: Iterable<string>): string[] {
  const all = forms();
  const found: string[] = [];
  for (const text of texts) {
    for (const form of all) if (text.includes(form)) found.push(`${form} in ${text.slice(0, 200)}`);
  }
  return found;
}

/** Every key of the server with its value as text, and the decoded semcache entries. */
async function everythingIn(client: Redis): Promise<string[]> {
  const texts: string[] = [];
  for (const key of await client.keys('*')) {
    texts.push(key);
    const type = await client.type(key);
    if (type === 'string') {
      const raw = await client.getBuffer(key);
      texts.push(raw?.toString('latin1') ?? '', raw?.toString('utf8') ?? '');
      if (key.includes(':e:{')) {
        texts.push(JSON.stringify(await inspectEntry(client, key)));
      }
    } else if (type === 'stream') texts.push(JSON.stringify(await client.xrange(key, '-', '+')));
    else if (type === 'hash') texts.push(JSON.stringify(await client.hgetall(key)));
  }
  return texts;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer({ useEnvUrl: false });
}, 20_000);
afterAll(async () => redis.stop());

/** Runs the calls of one scenario; returns every response body and header the clients saw. */
async function exercise(f: ProxyFixture, key: string, canary: string): Promise<string[]> {
  const seen: string[] = [];
  const auth = { authorization: `Bearer ${key}` };
  const record = async (response: Response) => {
    seen.push(JSON.stringify([...response.headers]), await response.text());
    return response;
  };
  await record(await f.chat(ask('How do I reset my password?'), auth));
  await record(await f.chat(ask('How do I reset my password?'), auth));
  await record(await f.chat(ask('how do i reset my password'), auth));
  await record(await f.chat(ask('Explain caching in one line.', { stream: true }), auth));
  await record(await f.chat(ask('Explain caching in one line.', { stream: true }), auth));
  await record(await f.chat(ask(`Remember ${canary}`), auth));
  await record(await fetch(`${f.url}/models`, { headers: auth }));
  await record(await f.chat(ask('Wrong key?'), { authorization: 'Bearer sk-not-a-key-at-all' }));
  f.mock.failNext({ status: 500 });
  await record(await f.chat(ask('Upstream fails?'), auth));
  await f.running.proxy.cache.flush();
  return seen;
}

describe('no key reaches Redis, the log or the metrics', () => {
  test('with an upstream key and client keys; also while Redis is down', async () => {
    await redis.restart();
    const monitor = await redis.monitor();
    const f = await startFixture(
      {
        redisUrl: redis.url,
        upstreamKey: secret.upstreamKey,
        clientKeys: [secret.clientA, secret.clientB],
        tenantSecret: secret.tenantSecret,
        cacheOptions: {
          storeTimeoutMs: 2000,
          circuitBreaker: { failureThreshold: 100, cooldownMs: 10 },
        },
      },
      { apiKey: secret.upstreamKey },
    );
    const admin = redis.client();
    try {
      const seen = await exercise(f, secret.clientA, 'canary-keyed-5521');
      seen.push(...(await exercise(f, secret.clientB, 'canary-keyed-b-7730')));
      await redis.kill();
      const down = await f.chat(ask('Is Redis down?'), {
        authorization: `Bearer ${secret.clientA}`,
      });
      expect(down.status).toBe(200);
      seen.push(await down.text());
      await redis.restart();
      // Caching resumes once the client reconnected: a repeat is a hit again.
      const back = { authorization: `Bearer ${secret.clientA}` };
      await until(async () => {
        await (await f.chat(ask('Back up?'), back)).text();
        return (await f.chat(ask('Back up?'), back)).headers.get('x-semcache') === 'exact';
      });
      seen.push(...(await exercise(f, secret.clientA, 'canary-keyed-5521')));
      const stored = await everythingIn(admin);
      seen.push(await (await fetch(new URL('/metrics', f.url))).text());
      seen.push(await (await fetch(new URL('/stats', f.url))).text());
      await monitor.settle();

      // The scans read what was stored: the canary (user content) is there.
      expect(stored.some((text) => text.includes('canary-keyed-5521'))).toBe(true);
      expect(monitor.commands.some((command) => command.includes('canary-keyed-5521'))).toBe(true);
      expect(f.logs.some((line) => line.includes('cache-error') || line.includes('redis-'))).toBe(
        true,
      );
      // The keys did travel: the upstream saw its key.
      expect(JSON.stringify(f.mock.log.map((entry) => entry.headers))).toContain(
        secret.upstreamKey,
      );
      expect(leaks([...stored, ...monitor.commands, ...f.logs, ...seen])).toEqual([]);
    } finally {
      monitor.close();
      await f.close();
    }
  }, 60_000);

  test("without an upstream key: the client's own key goes upstream and nowhere else", async () => {
    await redis.restart();
    const monitor = await redis.monitor();
    const f = await startFixture({ redisUrl: redis.url, cacheOptions: { storeTimeoutMs: 2000 } });
    const admin = redis.client();
    try {
      const seen = await exercise(f, secret.ownKey, 'canary-open-8841');
      const stored = await everythingIn(admin);
      seen.push(await (await fetch(new URL('/metrics', f.url))).text());
      await monitor.settle();
      expect(stored.some((text) => text.includes('canary-open-8841'))).toBe(true);
      expect(JSON.stringify(f.mock.log.map((entry) => entry.headers))).toContain(secret.ownKey);
      expect(leaks([...stored, ...monitor.commands, ...f.logs, ...seen])).toEqual([]);
      // Logs and errors in the proxy's own log stay plain records.
      for (const line of f.logs) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      monitor.close();
      await f.close();
    }
  }, 60_000);
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`not in time: ${inspect(error)}`);
    }
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
