import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  type CacheEventName,
  type CacheRequest,
  createSemanticCache,
  type EncryptionOptions,
  type SemanticCache,
} from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliIo, runCli } from './cli-run.js';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

/**
 * What Redis holds and says (issue 7, items 2 and 3), seen from outside the store:
 *
 * - the Redis password never appears in a cache event, a store error or CLI output — while Redis
 *   is up, down, restarted, or refuses the password;
 * - with `encryption` on, no prompt or answer text is in any Redis value or command (SCAN +
 *   MONITOR); entries written before a key rotation are read after it by another process; a
 *   tampered or truncated value is a miss, counted and reported, never an exception, and the app
 *   gets the model's answer.
 */

const password = 'plantedRedisPassw0rd-6Tb1Yu4';
const allEvents: CacheEventName[] = ['hit', 'miss', 'veto', 'store', 'coalesced', 'error'];

function recordEvents(cache: SemanticCache): string[] {
  const seen: string[] = [];
  for (const name of allEvents) {
    cache.on(name, (payload) => {
      seen.push(`${name} ${inspect(payload, { depth: 20, showHidden: true })}`);
    });
  }
  return seen;
}

function ask(text: string, tenant = 'tenant-a'): CacheRequest {
  return {
    model: { provider: 'openai.chat', id: 'gpt-4.1' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    scope: { tenant },
  };
}

function cliIo(): CliIo & { output: () => string } {
  let output = '';
  return {
    stdout: { write: (text: string) => (output += text) },
    stderr: { write: (text: string) => (output += text) },
    env: {},
    output: () => output,
  };
}

function waitReady(client: Redis): Promise<void> {
  return new Promise((resolve) => {
    if (client.status === 'ready') resolve();
    else client.once('ready', () => resolve());
  });
}

/** Every key under `prefix` with its raw value (strings, streams, hashes), as text. */
async function scanAll(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      found.push(key);
      const type = await client.type(key);
      if (type === 'string') {
        const value = await client.getBuffer(key);
        found.push(value?.toString('latin1') ?? '', value?.toString('utf8') ?? '');
      } else if (type === 'stream') {
        found.push(JSON.stringify(await client.xrange(key, '-', '+')));
      } else if (type === 'hash') {
        found.push(JSON.stringify(await client.hgetall(key)));
      }
    }
  } while (cursor !== '0');
  return found;
}

describe('the Redis password never leaks', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer({ useEnvUrl: false, args: ['--requirepass', password] });
  }, 20_000);
  afterAll(async () => {
    await server.stop();
  });

  test('events and store errors, with Redis up, killed, restarted and given a wrong password', async () => {
    const client = server.client({
      password,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 20,
    });
    await waitReady(client);
    const storeErrors: string[] = [];
    const onError = (error: Error) => storeErrors.push(inspect(error, { depth: 20 }));
    const store = new RedisStore({ client, prefix: 'pw:', onError });
    await store.whenSynced();
    const cache = createSemanticCache({
      store,
      storeTimeoutMs: 2_000,
      circuitBreaker: { failureThreshold: 100, cooldownMs: 10 },
    });
    const events = recordEvents(cache);
    const compute = async () => ({ value: 'answer' });

    const wrongPassword = `${password}-wrong`;
    const wrong = server.client({
      password: wrongPassword,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    const wrongStore = new RedisStore({ client: wrong, prefix: 'pw:', onError });
    const wrongCache = createSemanticCache({ store: wrongStore, storeTimeoutMs: 500 });
    const wrongEvents = recordEvents(wrongCache);
    try {
      expect((await cache.getOrCompute(ask('first question'), compute)).kind).toBe('miss');
      expect((await cache.getOrCompute(ask('first question'), compute)).kind).toBe('exact');
      // A wrong password: the cache answers from the model and reports, naming no password.
      expect((await wrongCache.getOrCompute(ask('first question'), compute)).value).toBe('answer');
      expect(wrongEvents.some((event) => event.startsWith('error'))).toBe(true);

      await server.kill();
      expect((await cache.getOrCompute(ask('while down'), compute)).value).toBe('answer');
      await server.restart();
      await waitReady(client);
      await store.whenSynced();
      expect((await cache.getOrCompute(ask('after restart'), compute)).kind).toBe('miss');

      expect(events.some((event) => event.startsWith('error'))).toBe(true);
      const everything = [...events, ...wrongEvents, ...storeErrors].join('\n');
      expect(everything).not.toContain(password);
      expect(everything).not.toContain(encodeURIComponent(password));
    } finally {
      await Promise.all([store.close(), wrongStore.close()]);
      client.disconnect();
      wrong.disconnect();
    }
  }, 30_000);

  test('the CLI never prints the password of --url or REDIS_URL', async () => {
    const url = (secretPart: string, port = server.port) =>
      `redis://default:${secretPart}@127.0.0.1:${port}`;
    const outputs: string[] = [];
    // Right password, wrong password, unreachable port; --url and REDIS_URL.
    for (const [argv, env] of [
      [['stats', '--url', url(password)], {}],
      [['stats', '--url', url(`${password}-wrong`)], {}],
      [['stats', '--url', url(password, 1)], {}],
      [['stats'], { REDIS_URL: url(password, 1) }],
      [['clear', '--namespace', 'x', '--yes', '--url', url(`${password}-wrong`)], {}],
    ] as const) {
      const io = { ...cliIo(), env };
      const code = await runCli(argv, io);
      outputs.push(`${code} ${io.output()}`);
    }
    expect(outputs[0]).toMatch(/^0 /);
    expect(outputs.slice(1).every((output) => output.startsWith('1 '))).toBe(true);
    expect(outputs.join('\n')).not.toContain(password);
  }, 30_000);
});

describe('encryption at rest, seen in Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let run = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
    await waitReady(admin);
  }, 20_000);
  afterAll(async () => {
    await server.stop();
  });

  /** A cache on its own RedisStore (one "process"), on a shared prefix. */
  async function processOn(prefix: string, encryption?: EncryptionOptions) {
    const client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await waitReady(client);
    const store = new RedisStore({ client, prefix });
    await store.whenSynced();
    const cache = createSemanticCache({
      store,
      storeTimeoutMs: 2_000,
      ...(encryption ? { encryption } : {}),
    });
    const events = recordEvents(cache);
    return {
      cache,
      events,
      close: async () => {
        await store.close();
        client.disconnect();
      },
    };
  }

  const prompt = 'What is the diagnosis code for patient Zebulon Quarry?';
  const answer = 'Confidential: Zebulon Quarry has condition K-7731.';

  test('no prompt or answer text in any Redis value or command; without encryption the same scan finds them', async () => {
    for (const encrypted of [true, false]) {
      const prefix = `enc${++run}:`;
      const monitor = await server.monitor();
      const { commands } = monitor;
      const one = await processOn(prefix, encrypted ? { key: randomBytes(32) } : undefined);
      try {
        await one.cache.store(ask(prompt), { value: { text: answer } });
        expect(await one.cache.lookup(ask(prompt))).toMatchObject({
          kind: 'exact',
          value: { text: answer },
        });
        expect(
          await one.cache.lookup(ask('what is the diagnosis code for patient zebulon quarry')),
        ).toMatchObject({ kind: 'semantic', value: { text: answer } });
        // MONITOR delivers asynchronously: wait until it has shown every command sent so far.
        await monitor.settle();
        const seen = [...(await scanAll(admin, prefix)), ...commands].join('\n');
        for (const text of ['Zebulon', 'Quarry', 'K-7731', 'diagnosis']) {
          if (encrypted) expect(seen).not.toContain(text);
          else expect(seen).toContain(text);
        }
      } finally {
        await one.close();
        monitor.close();
      }
    }
  }, 30_000);

  test('keys rotate across processes: old entries stay readable, exact and semantic', async () => {
    const prefix = `rot${++run}:`;
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32).toString('base64');
    const before = await processOn(prefix, { key: oldKey });
    // First step of a rotation: every process accepts the new key before any writes with it.
    const accepting = await processOn(prefix, { key: [oldKey, newKey] });
    const after = await processOn(prefix, { key: [newKey, oldKey] });
    try {
      await before.cache.store(ask(prompt), { value: 'written with the old key' });
      await after.cache.store(ask('How do I reset my password?'), {
        value: 'written with the new key',
      });
      for (const reader of [accepting, after]) {
        expect(await reader.cache.lookup(ask(prompt))).toMatchObject({
          kind: 'exact',
          value: 'written with the old key',
        });
        expect(await reader.cache.lookup(ask('How do I reset my password?'))).toMatchObject({
          kind: 'exact',
          value: 'written with the new key',
        });
      }
      // Semantic hits need the other process's index replica to have caught up (milliseconds).
      await until(
        async () =>
          (await after.cache.lookup(ask('what is the diagnosis code for patient zebulon quarry')))
            .kind === 'semantic',
      );
      for (const reader of [before, accepting, after]) {
        expect(reader.cache.stats().corruptEntries).toBe(0);
      }
    } finally {
      await Promise.all([before.close(), accepting.close(), after.close()]);
    }
  }, 30_000);

  test('a process without the key sees a miss, counted and reported — never an exception', async () => {
    const prefix = `nokey${++run}:`;
    const writer = await processOn(prefix, { key: randomBytes(32) });
    const stranger = await processOn(prefix, { key: randomBytes(32) });
    try {
      await writer.cache.store(ask(prompt), { value: answer });
      const result = await stranger.cache.getOrCompute(ask(prompt), async () => ({
        value: 'fresh from the model',
      }));
      expect(result).toMatchObject({ kind: 'miss', value: 'fresh from the model' });
      expect(stranger.cache.stats().corruptEntries).toBe(1);
      expect(stranger.events.some((event) => event.includes('CORRUPT_ENTRY'))).toBe(true);
    } finally {
      await Promise.all([writer.close(), stranger.close()]);
    }
  }, 30_000);

  test.each([
    ['a flipped ciphertext byte', flipCiphertextByte],
    ['a truncated value', (value: Buffer) => value.subarray(0, value.length - 7)],
    ['the authentication tag of another entry', swapTag],
  ])(
    '%s in Redis is a miss, counted, and the app gets the model answer',
    async (_name, tamper) => {
      const prefix = `tamper${++run}:`;
      const key = randomBytes(32);
      const one = await processOn(prefix, { key });
      try {
        await one.cache.store(ask(prompt), { value: answer });
        await one.cache.store(ask('another question entirely'), { value: 'other' });
        const [entryKey, otherKey] = (await entryKeys(admin, prefix, [
          one.cache.keys(ask(prompt)).exactKey,
          one.cache.keys(ask('another question entirely')).exactKey,
        ])) as [string, string];
        const value = (await admin.getBuffer(entryKey)) as Buffer;
        const other = (await admin.getBuffer(otherKey)) as Buffer;
        const ttl = await admin.pttl(entryKey);
        await admin.set(entryKey, tamper(value, other), 'PX', ttl);

        const semantic = await one.cache.lookup(
          ask('what is the diagnosis code for patient zebulon quarry'),
        );
        expect(semantic.kind).toBe('miss');
        const result = await one.cache.getOrCompute(ask(prompt), async () => ({
          value: 'fresh from the model',
        }));
        expect(result).toMatchObject({ kind: 'miss', value: 'fresh from the model' });
        expect(one.cache.stats().corruptEntries).toBe(1);
        expect(one.events.some((event) => event.includes('CORRUPT_ENTRY'))).toBe(true);
        // The fresh answer replaced the tampered entry.
        expect(await one.cache.lookup(ask(prompt))).toMatchObject({
          kind: 'exact',
          value: 'fresh from the model',
        });
      } finally {
        await one.close();
      }
    },
    30_000,
  );
});

describe('wiping', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  }, 20_000);
  afterAll(async () => {
    await server.stop();
  });

  test('wiping every key under the prefix leaves nothing to serve and nothing to scan', async () => {
    const prefix = `wipe${process.pid}:`;
    const admin = server.client();
    await waitReady(admin);
    const processes = await Promise.all(
      [0, 1].map(async () => {
        const client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        await waitReady(client);
        const store = new RedisStore({ client, prefix });
        await store.whenSynced();
        return { client, store, cache: createSemanticCache({ store, storeTimeoutMs: 2_000 }) };
      }),
    );
    const [first, second] = processes as [(typeof processes)[0], (typeof processes)[0]];
    try {
      for (const [i, tenant] of ['tenant-a', 'tenant-b'].entries()) {
        await first.cache.store(ask('How do I reset my password?', tenant), { value: `a${i}` });
        await first.cache.store(
          {
            ...ask('What is the capital of France?', tenant),
            scope: { tenant, namespace: 'docs' },
          },
          { value: `b${i}` },
        );
      }
      await until(
        async () =>
          (await second.cache.lookup(ask('how do i reset my password', 'tenant-b'))).kind ===
          'semantic',
      );
      expect((await scanAll(admin, prefix)).length).toBeGreaterThan(0);

      // The documented wipe: SCAN the prefix, UNLINK every key (entries, generations, stream).
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');

      expect(await scanAll(admin, prefix)).toEqual([]);
      for (const { cache } of processes) {
        for (const tenant of ['tenant-a', 'tenant-b']) {
          for (const text of ['How do I reset my password?', 'how do i reset my password']) {
            expect((await cache.lookup(ask(text, tenant))).kind).toBe('miss');
          }
          const docs = {
            ...ask('what is the capital of france', tenant),
            scope: { tenant, namespace: 'docs' },
          };
          expect((await cache.lookup(docs)).kind).toBe('miss');
        }
      }
    } finally {
      for (const { store, client } of processes) {
        await store.close();
        client.disconnect();
      }
      admin.disconnect();
    }
  }, 30_000);
});

/** The Redis keys of these exact keys (one each). */
async function entryKeys(client: Redis, prefix: string, exactKeys: string[]): Promise<string[]> {
  return Promise.all(
    exactKeys.map(async (exactKey) => {
      const [, keys] = await client.scan(
        '0',
        'MATCH',
        `${prefix}*:e:{${exactKey}}`,
        'COUNT',
        10_000,
      );
      expect(keys).toHaveLength(1);
      return keys[0] as string;
    }),
  );
}

/** Changes one base64 character of the ciphertext field (`"c":"…"`) of an encrypted payload. */
function flipCiphertextByte(value: Buffer): Buffer {
  const copy = Buffer.from(value);
  const at = copy.indexOf('"c":"') + 6;
  expect(at).toBeGreaterThan(5);
  copy[at] = copy[at] === 0x41 ? 0x42 : 0x41; // 'A' ↔ 'B'
  return copy;
}

/** Puts the authentication tag (`"t":"…"`) of `other` into `value`. */
function swapTag(value: Buffer, other: Buffer): Buffer {
  const tagOf = (buffer: Buffer) => /"t":"([^"]+)"/.exec(buffer.toString('latin1'))?.[1] ?? '';
  const mine = tagOf(value);
  const theirs = tagOf(other);
  expect(mine).not.toBe('');
  expect(theirs).not.toBe(mine);
  return Buffer.from(value.toString('latin1').replace(mine, theirs), 'latin1');
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
