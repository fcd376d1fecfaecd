import { createSemanticCache } from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { clearEntries, collectStats } from './admin.js';
import { type CliIo, runCli } from './cli-run.js';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
const prefix = 'nothing:';

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => client.once('ready', resolve));
  await storeEntry('docs', 'kept question');
}, 20_000);

async function storeEntry(namespace: string, text: string): Promise<void> {
  const store = new RedisStore({ client, prefix, coordinator: false });
  const cache = createSemanticCache({ store, storeTimeoutMs: 1000 });
  await cache.getOrCompute(
    {
      model: { provider: 'test', id: 'm1' },
      messages: [{ role: 'user', content: [{ type: 'text', text }] }],
      scope: { namespace },
    },
    async () => ({ value: `answer to ${text}`, finishReason: 'stop' }),
  );
  await store.close();
}

afterAll(async () => {
  await server.stop();
});

function io(options: Partial<CliIo> = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
    out: () => out,
    err: () => err,
    ...options,
  };
}

async function allKeys(): Promise<string[]> {
  return (await client.keys(`${prefix}*`)).sort();
}

test('clear --namespace of a namespace without entries says so and changes nothing', async () => {
  const before = await allKeys();
  const statsBefore = await collectStats(client, { prefix });
  const term = io();
  expect(
    await runCli(
      ['clear', '--namespace', 'nosuch', '--yes', '--url', server.url, '--prefix', prefix],
      term,
    ),
  ).toBe(0);
  expect(term.out()).toBe(
    `Namespace "nosuch" has no entries (prefix "${prefix}"): nothing to clear, nothing changed.\n`,
  );
  // No generation bump, no change record, no "nosuch" row in stats.
  expect(await allKeys()).toEqual(before);
  const statsAfter = await collectStats(client, { prefix });
  expect(statsAfter.streamLength).toBe(statsBefore.streamLength);
  expect(statsAfter.namespaces.map((s) => s.namespace)).toEqual(['docs']);
  expect(await clearEntries(client, { namespace: 'nosuch' }, { prefix })).toEqual({
    scanned: 0,
    matched: 0,
    deleted: 0,
    changed: false,
  });
});

test('the progress line of a read-only scan (stats) does not mention deletions; clear’s does', async () => {
  const stats = io({ progressTty: true });
  expect(await runCli(['stats', '--url', server.url, '--prefix', prefix], stats)).toBe(0);
  expect(stats.err()).toMatch(/^\rscanned 1 keys, matched 1\W/);
  expect(stats.err()).not.toContain('deleted');
  const clear = io({ progressTty: true });
  expect(
    await runCli(
      ['clear', '--model', 'm1', '--yes', '--url', server.url, '--prefix', prefix],
      clear,
    ),
  ).toBe(0);
  expect(clear.err()).toMatch(/^\rscanned 1 keys, matched 1, deleted 1\W/);
});

test('clear --namespace of a namespace with entries still clears it', async () => {
  await storeEntry('other', 'another question');
  const result = await clearEntries(client, { namespace: 'other' }, { prefix });
  expect(result).toMatchObject({ deleted: 1, changed: true });
});
