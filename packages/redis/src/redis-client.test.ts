import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  duplicateConnection,
  isCluster,
  luaScript,
  masters,
  runScript,
  scanKeys,
  waitForReady,
} from './redis-client.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let impatient: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  client = server.client();
  impatient = server.client({ commandTimeout: 50 });
  await Promise.all([client.ping(), impatient.ping()]);
}, 20_000);
afterAll(async () => server.stop());

describe('redis-client helpers', () => {
  test('a script runs by SHA, and is loaded again after the server forgot it', async () => {
    const script = luaScript(`return ARGV[1] .. redis.call('GET', KEYS[1])`);
    await client.set('rc:k', 'v');
    expect(await runScript(client, script, ['rc:k'], ['x'])).toBe('xv');
    await client.script('FLUSH');
    expect(await runScript(client, script, ['rc:k'], ['y'])).toBe('yv');
  });

  test('an own connection may block longer than the client’s command timeout', async () => {
    const connection = duplicateConnection(impatient, 'rc-test');
    try {
      await waitForReady(connection, 5000);
      // With the client's 50 ms command timeout this would reject instead of answering null.
      expect(await connection.xread('BLOCK', 200, 'STREAMS', 'rc:nothing', '$')).toBeNull();
    } finally {
      connection.disconnect();
    }
  });

  test('scanKeys finds every matching key, in batches, never with KEYS', async () => {
    await Promise.all(Array.from({ length: 1200 }, (_, i) => client.set(`rc:scan:${i}`, '1')));
    const found = new Set<string>();
    let batches = 0;
    for await (const batch of scanKeys(client, 'rc:scan:*', 100)) {
      batches++;
      for (const key of batch.keys) found.add(key);
    }
    expect(found.size).toBe(1200);
    expect(batches).toBeGreaterThan(1);
  });

  test('a standalone client is its own only master', () => {
    expect(isCluster(client)).toBe(false);
    expect(masters(client)).toEqual([client]);
  });
});
