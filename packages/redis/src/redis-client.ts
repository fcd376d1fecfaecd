import { createHash } from 'node:crypto';
import { SemcacheError } from '@semcache/core';
import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a standalone (or Sentinel-managed) `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** True for a `Cluster` client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster === true;
}

/** The connections to scan: the client itself, or every master of a cluster. */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * A connection of the store's own (a change-stream reader or a pub/sub subscriber) with the
 * client's address and credentials, but: no command timeout (it blocks on purpose), no offline
 * queue and no retry of an interrupted command (the store waits for `ready` itself), and
 * RESP2-shaped replies. An `error` listener is attached so connection trouble never becomes an
 * unhandled `error` event; the store notices through the connection's status instead.
 */
export function duplicateConnection(client: RedisClient, name: string): RedisClient {
  const overrides = {
    lazyConnect: false,
    enableOfflineQueue: false,
    commandTimeout: undefined,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    replyMapping: 'legacy' as const,
    connectionName: name,
  };
  const connection: RedisClient = isCluster(client)
    ? client.duplicate([], {
        lazyConnect: false,
        enableOfflineQueue: false,
        redisOptions: { ...client.options.redisOptions, ...overrides },
      })
    : client.duplicate(overrides);
  connection.on('error', () => {});
  return connection;
}

/** Resolves when `connection` is `ready`, or rejects after `timeoutMs`. */
export function waitForReady(connection: RedisClient, timeoutMs: number): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      reject(
        new SemcacheError(
          'STORE_UNAVAILABLE',
          `Redis did not become ready within ${timeoutMs} ms.`,
        ),
      );
    }, timeoutMs);
    timer.unref?.();
    connection.once('ready', onReady);
  });
}

/** A Lua script run by SHA with a fallback to its source. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** Wraps Lua source as a {@link LuaScript}. */
export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs `script` with `EVALSHA`, loading it with `EVAL` when the server does not know it yet
 * (first use, or after a restart). In a Cluster every key must share one slot.
 */
export async function runScript(
  client: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** One batch of keys found by {@link scanKeys}, with the connection of the node that holds them. */
export interface ScanBatch {
  node: Redis;
  keys: string[];
}

/**
 * Every key matching `pattern` on every master (SCAN, never KEYS), in batches. A key may appear
 * twice, as SCAN allows.
 */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  count = 500,
): AsyncGenerator<ScanBatch> {
  for (const node of masters(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== '0');
  }
}
