import { createSemanticCache } from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type CliIo, runCli } from './cli-run.js';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let prefix: string;
let run = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => client.once('ready', resolve));
}, 20_000);

afterAll(async () => {
  await server.stop();
});

beforeEach(async () => {
  prefix = `cli${++run}:`;
  const store = new RedisStore({ client, prefix, coordinator: false });
  const cache = createSemanticCache({ store, storeTimeoutMs: 1000 });
  for (const [text, model] of [
    ['first', 'm1'],
    ['second', 'm2'],
  ] as const) {
    await cache.getOrCompute(
      {
        model: { provider: 'test', id: model },
        messages: [{ role: 'user', content: [{ type: 'text', text }] }],
        scope: { namespace: 'docs' },
      },
      async () => ({ value: text, finishReason: 'stop' }),
    );
  }
  await store.close();
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

async function entryKeys(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*:e:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

async function entries(): Promise<number> {
  return (await entryKeys()).length;
}

describe('semcache stats', () => {
  test('prints a table of namespaces, and JSON with --json', async () => {
    const term = io();
    expect(await runCli(['stats', '--url', server.url, '--prefix', prefix], term)).toBe(0);
    expect(term.out()).toMatch(/^docs\s+\d+\s+2\s+0\s+2\s/m);
    expect(term.out()).toContain(`prefix "${prefix}"`);
    const json = io();
    expect(await runCli(['stats', '--url', server.url, '--prefix', prefix, '--json'], json)).toBe(
      0,
    );
    expect(JSON.parse(json.out())).toMatchObject({
      entries: 2,
      namespaces: [{ namespace: 'docs', entries: 2 }],
    });
  });

  test('uses REDIS_URL when --url is not given', async () => {
    const term = io({ env: { REDIS_URL: server.url } });
    expect(await runCli(['stats', '--prefix', prefix], term)).toBe(0);
  });

  test('an unreachable Redis is one line naming the URL, exit code 1', async () => {
    const term = io();
    expect(await runCli(['stats', '--url', 'redis://127.0.0.1:1'], term)).toBe(1);
    expect(term.err()).toMatch(
      /^semcache: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: .+\n$/,
    );
    expect(term.err().split('\n')).toHaveLength(2);
  });
});

describe('semcache clear', () => {
  test('asks before deleting, and deletes nothing when the answer is no', async () => {
    const questions: string[] = [];
    const term = io({
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });
    expect(
      await runCli(['clear', '--model', 'm1', '--url', server.url, '--prefix', prefix], term),
    ).toBe(1);
    expect(questions[0]).toContain('model "m1"');
    expect(await entries()).toBe(2);
  });

  test('refuses to delete without --yes when nobody can confirm', async () => {
    const term = io();
    expect(
      await runCli(['clear', '--namespace', 'docs', '--url', server.url, '--prefix', prefix], term),
    ).toBe(1);
    expect(term.err()).toContain('pass --yes');
    expect(await entries()).toBe(2);
  });

  test('deletes a model’s entries after a yes, showing progress on a terminal', async () => {
    const term = io({ confirm: async () => true, progressTty: true });
    expect(
      await runCli(['clear', '--model', 'm1', '--url', server.url, '--prefix', prefix], term),
    ).toBe(0);
    expect(term.out()).toBe(
      'Deleted 1 entries (the entries of model "m1" in every namespace; scanned 2 keys).\n',
    );
    expect(term.err()).toMatch(/\rscanned \d+ keys, matched \d+, deleted \d+/);
    expect(await entries()).toBe(1);
  });

  test('--yes clears a namespace without asking', async () => {
    const term = io();
    expect(
      await runCli(
        ['clear', '--namespace', 'docs', '--yes', '--url', server.url, '--prefix', prefix],
        term,
      ),
    ).toBe(0);
    expect(term.out()).toContain('Cleared namespace "docs"');
    expect(await entries()).toBe(0);
  });
});

describe('semcache inspect', () => {
  test('shows an entry found by its exact key; a missing key exits 1', async () => {
    const [redisKey] = await entryKeys();
    const exactKey = /\{(.*)\}$/.exec(redisKey as string)?.[1] as string;
    const term = io();
    expect(await runCli(['inspect', exactKey, '--url', server.url, '--prefix', prefix], term)).toBe(
      0,
    );
    expect(term.out()).toContain(redisKey);
    expect(term.out()).toContain('namespace "docs"');
    const missing = io();
    expect(
      await runCli(['inspect', 'nope', '--url', server.url, '--prefix', prefix], missing),
    ).toBe(1);
    expect(missing.out()).toContain('No entry');
  });
});

describe('usage errors', () => {
  test.each([
    [['frobnicate'], 'unknown command'],
    [['clear', '--url', 'redis://x'], 'clear needs'],
    [['stats', '--bogus'], "Unknown option '--bogus'"],
    [['inspect'], 'exactly one key'],
  ])('%j exits 2 with a hint', async (argv, hint) => {
    const term = io();
    expect(await runCli(argv, term)).toBe(2);
    expect(term.err()).toContain(hint);
  });

  test('--help prints usage and exits 0', async () => {
    const term = io();
    expect(await runCli(['--help'], term)).toBe(0);
    expect(term.out()).toContain('Usage: semcache');
  });
});
