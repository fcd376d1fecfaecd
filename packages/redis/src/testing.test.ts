import { isSemcacheError } from '@semcache/core/internal';
import { afterAll, describe, expect, test } from 'vitest';
import {
  findRedis8Server,
  redis8SkipReason,
  startRedisCluster,
  startRedisServer,
} from './testing.js';

const redis8 = findRedis8Server();

describe('startRedisServer', () => {
  test('starts a private server that answers, survives kill + restart, and stops', async () => {
    const server = await startRedisServer({ useEnvUrl: false });
    try {
      expect(server.owned).toBe(true);
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      const client = server.client({ maxRetriesPerRequest: 1, retryStrategy: () => 20 });
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');

      await server.kill();
      await expect(client.get('k')).rejects.toThrow();

      await server.restart();
      await waitUntil(() => client.status === 'ready');
      expect(await client.get('k')).toBeNull();
    } finally {
      await server.stop();
    }
    const probe = server.client({ lazyConnect: true, retryStrategy: () => null });
    await expect(probe.connect()).rejects.toThrow();
  });

  test('pause freezes the server until resume', async () => {
    const server = await startRedisServer({ useEnvUrl: false });
    try {
      const client = server.client();
      await client.ping();
      server.pause();
      let answered = false;
      const reply = client.ping().then(() => {
        answered = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(answered).toBe(false);
      server.resume();
      await reply;
      expect(answered).toBe(true);
    } finally {
      await server.stop();
    }
  });

  test('monitor records every command of a busy server, across kill + restart, and never raises an error', async () => {
    // ioredis's monitor() failed this way: the first monitored command arriving in the same read
    // as MONITOR's OK became an unhandled "Command queue state error" (CI runs on a busy machine).
    const server = await startRedisServer({ useEnvUrl: false });
    const busy = server.client({ maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    let traffic = true;
    let sent = 0;
    const load = (async () => {
      while (traffic) {
        await Promise.all(
          Array.from({ length: 50 }, () => busy.set(`busy-${sent++}`, 'v').catch(() => {})),
        );
      }
    })();
    try {
      await busy.ping();
      for (let round = 0; round < 10; round++) {
        const monitor = await server.monitor();
        await busy.set(`mark-${round}`, 'x');
        await monitor.settle();
        expect(monitor.commands).toContain(`set mark-${round} x`);
        monitor.close();
      }
      const monitor = await server.monitor();
      await server.kill();
      await server.restart();
      await waitUntil(() => busy.status === 'ready');
      await busy.set('after-restart', 'caf\u00e9 "quoted"');
      await monitor.settle();
      expect(monitor.commands).toContain('set after-restart caf\u00e9 "quoted"');
      expect(monitor.commands.some((command) => command.startsWith('set busy-'))).toBe(true);
      monitor.close();
    } finally {
      traffic = false;
      await load;
      await server.stop();
    }
  }, 30_000);

  test('a missing redis-server is a one-line instruction', async () => {
    const path = process.env.PATH;
    const url = process.env.REDIS_URL;
    process.env.PATH = '/nonexistent';
    delete process.env.REDIS_URL;
    try {
      const error = await startRedisServer().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSemcacheError(error, 'STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toBe(
        'redis-server not found on PATH: install it (apt-get install redis-server) or set REDIS_URL.',
      );
      expect((error as Error).stack).not.toContain('\n');
    } finally {
      process.env.PATH = path;
      if (url !== undefined) process.env.REDIS_URL = url;
    }
  });
});

describe('startRedisCluster', () => {
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => stop?.());

  test('forms a 3-master cluster that routes keys to every node', async () => {
    const cluster = await startRedisCluster();
    stop = cluster.stop;
    expect(cluster.nodes).toHaveLength(3);
    const client = cluster.client();
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((key) => client.set(key, key)));
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys);
    const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(sizes).toHaveLength(3);
    for (const size of sizes) expect(size).toBeGreaterThan(0);
  }, 30_000);
});

describe.skipIf(!redis8)(`Redis 8 binary (${redis8 ? redis8 : redis8SkipReason})`, () => {
  test('startRedisServer({ binary }) runs that binary, which has vector sets', async () => {
    const server = await startRedisServer({ useEnvUrl: false, binary: redis8 });
    try {
      const client = server.client();
      expect(String(await client.info('server'))).toMatch(/redis_version:8\./);
      expect(await client.call('VADD', 'vs', 'VALUES', '2', '1', '0', 'a')).toBe(1);
      expect(await client.call('VCARD', 'vs')).toBe(1);
    } finally {
      await server.stop();
    }
  });

  test('startRedisCluster({ binary }) forms a Redis 8 cluster', async () => {
    const cluster = await startRedisCluster({ binary: redis8 });
    try {
      const client = cluster.client();
      await client.call('VADD', '{t}vs', 'VALUES', '2', '1', '0', 'a');
      for (const node of client.nodes('master')) {
        expect(String(await node.info('server'))).toMatch(/redis_version:8\./);
      }
      expect(await client.call('VCARD', '{t}vs')).toBe(1);
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});

test('findRedis8Server reads SEMCACHE_REDIS8_SERVER and ignores a path that is not executable', () => {
  const saved = process.env.SEMCACHE_REDIS8_SERVER;
  try {
    process.env.SEMCACHE_REDIS8_SERVER = '/nonexistent/redis-server';
    const found = findRedis8Server();
    expect(found).not.toBe('/nonexistent/redis-server');
  } finally {
    if (saved === undefined) delete process.env.SEMCACHE_REDIS8_SERVER;
    else process.env.SEMCACHE_REDIS8_SERVER = saved;
  }
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
