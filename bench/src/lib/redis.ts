import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import type { Redis, RedisOptions } from 'ioredis';

/** The client options the @semcache/redis README recommends; every Redis side of a comparison uses them. */
export const recommendedClientOptions: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: true,
};

/** A Redis for one section: a private redis-server on loopback, or the one at `REDIS_URL`. */
export interface BenchRedis {
  server: RedisServer;
  /** Prefix of every key this section writes (so a shared server can be cleaned up). */
  prefix: string;
  /** A ready client; closed by {@link BenchRedis.stop}. */
  client(options?: RedisOptions): Promise<Redis>;
  version(): Promise<string>;
  usedMemory(): Promise<number>;
  /** Deletes every key under {@link prefix} (every key when the server is private). */
  clear(client?: Redis): Promise<void>;
  stop(): Promise<void>;
}

/** Every key matching `pattern`, with SCAN (the benchmarks never block a shared server with KEYS). */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Starts (or connects to) the Redis of one section. */
export async function openRedis(section: string): Promise<BenchRedis> {
  const server = await startRedisServer();
  const prefix = `semcache-bench:${section}:${process.pid}:`;
  let admin: Redis | undefined;
  const client = async (options: RedisOptions = recommendedClientOptions) => {
    const made = server.client({ ...options, lazyConnect: false });
    if (made.status !== 'ready') await new Promise((resolve) => made.once('ready', resolve));
    return made;
  };
  const adminClient = async () => {
    admin ??= await client({});
    return admin;
  };
  const clear = async (target?: Redis) => {
    const redis = target ?? (await adminClient());
    if (server.owned) {
      await redis.flushdb();
      return;
    }
    const keys = await scanKeys(redis, `${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
  };
  return {
    server,
    prefix,
    client,
    version: async () =>
      /redis_version:(\S+)/.exec(await (await adminClient()).info('server'))?.[1] ?? 'unknown',
    usedMemory: async () =>
      Number(/used_memory:(\d+)/.exec(await (await adminClient()).info('memory'))?.[1]),
    clear,
    stop: async () => {
      if (!server.owned) await clear().catch(() => {});
      await server.stop();
    },
  };
}
