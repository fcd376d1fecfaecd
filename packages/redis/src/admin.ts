import { SemcacheError } from '@semcache/core';
import { type CacheEntry, decodeEntry } from '@semcache/core/internal';
import { Cluster, Redis } from 'ioredis';
import { changeFields } from './change-feed.js';
import { isIndexedValue, readHeader, readLabels, readPayload } from './entry-format.js';
import { bumpGeneration } from './generations.js';
import { keyLayout } from './key-layout.js';
import { isCluster, masters, type RedisClient, scanKeys } from './redis-client.js';

/** Options shared by the admin functions. */
export interface AdminOptions {
  /** Key prefix of the store. Default `'semcache:'`. */
  prefix?: string;
  /** Called after every SCAN batch, for a progress display. */
  onProgress?: (progress: ScanProgress) => void;
}

/** How far a scan has got. */
export interface ScanProgress {
  /** Keys looked at. */
  scanned: number;
  /** Keys that matched the filter. */
  matched: number;
  /** Keys deleted. */
  deleted: number;
}

/** Numbers of one namespace, from {@link collectStats}. */
export interface NamespaceStats {
  namespace: string;
  /** Current generation; `undefined` when the namespace has none (every entry is stale). */
  generation: number | undefined;
  /** Entries of the current generation. */
  entries: number;
  /** Entries of older generations, waiting for their TTL (or for `clear`). */
  staleEntries: number;
  /** Current entries that can be matched semantically. */
  indexed: number;
  /** Bytes of the current entries' values. */
  bytes: number;
  /** Redis 8 vector sets of the current generation (one per partition searched on the server). */
  vectorSets: number;
  /** Vectors in those sets. */
  vectors: number;
  /** Counters kept by stores created with `recordStats: true`. */
  counters: Record<string, number>;
}

/** Result of {@link collectStats}. */
export interface StoreStats {
  namespaces: NamespaceStats[];
  entries: number;
  staleEntries: number;
  bytes: number;
  /** `used_memory` summed over the masters. */
  usedMemory: number;
  /** Records in the change stream. */
  streamLength: number;
  /**
   * Redis 8 vector sets under the prefix (any generation): how many, their vectors (`VCARD`) and
   * their memory (`MEMORY USAGE`). Zeros on a server without them.
   */
  vectorSets: { sets: number; vectors: number; bytes: number };
  /** Masters scanned (1 for a standalone server). */
  nodes: number;
}

/** Which entries {@link clearEntries} deletes; the fields given must all match. */
export interface ClearFilter {
  namespace?: string;
  modelId?: string;
  tenant?: string;
}

/** Result of {@link clearEntries}. */
export interface ClearResult extends ScanProgress {
  /**
   * False when nothing was there to clear: a namespace without entries is left as it was (no new
   * generation, no stats row), and a model or tenant filter matched nothing.
   */
  changed: boolean;
}

/** One stored entry, from {@link inspectEntry}. */
export interface InspectedEntry {
  redisKey: string;
  namespace: string;
  generation: number;
  /** False for an entry of an older generation (cleared, never served). */
  current: boolean;
  /** Milliseconds left; `undefined` without expiry. */
  ttlMs: number | undefined;
  /** Bytes of the stored value. */
  bytes: number;
  /**
   * `semcache` for this package's layout, `foreign` for anything else, `corrupt` when unreadable,
   * `unsupported` for a newer layout version.
   */
  format: 'semcache' | 'foreign' | 'corrupt' | 'unsupported';
  deflated: boolean;
  modelId: string | undefined;
  tenant: string | undefined;
  /** Partition digest and vector length of a semantically indexed entry. */
  index: { partition: string; dimensions: number } | undefined;
  /** The decoded entry, or why it could not be decoded. */
  entry: CacheEntry | { error: string };
}

/**
 * Connects to the Redis at `url` for administration (a Cluster is detected and connected to
 * as one). Fails fast instead of retrying.
 *
 * @throws {SemcacheError} `STORE_UNAVAILABLE` naming the URL (without password) when Redis
 *   cannot be reached.
 */
export async function connectRedis(
  url: string,
  options: { timeoutMs?: number } = {},
): Promise<RedisClient> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const shown = redactUrl(url);
  const unreachable = (error: unknown) =>
    new SemcacheError(
      'STORE_UNAVAILABLE',
      `cannot connect to Redis at ${shown}: ${describe(error)}. Start Redis there or pass --url (or set REDIS_URL).`,
      { cause: error },
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
      throw new Error(`unsupported scheme ${parsed.protocol}`);
  } catch (error) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `"${shown}" is not a Redis URL (${describe(error)}); use redis://host:port or rediss://host:port.`,
    );
  }
  const common = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    // A frozen server (connection up, nothing answers) fails each command instead of hanging.
    commandTimeout: Math.max(timeoutMs, 5000),
    retryStrategy: () => null,
    // A socket that failed to connect never emits "close"; don't keep the process up for it.
    disconnectTimeout: 100,
  };
  // connect() rejects with a generic "Connection is closed"; the cause comes as an error event.
  let cause: unknown;
  const single = new Redis(url, common);
  single.on('error', (error) => {
    cause ??= error;
  });
  try {
    // connectTimeout covers the TCP connect only; a frozen server never finishes the ready check.
    await withDeadline(single.connect(), timeoutMs, shown);
  } catch (error) {
    if (single.status !== 'end') single.disconnect();
    throw unreachable(cause ?? error);
  }
  let clusterEnabled = false;
  try {
    clusterEnabled = /cluster_enabled:1/.test(await single.info('cluster'));
  } catch {
    // INFO may be renamed or denied; then treat the server as standalone.
  }
  if (!clusterEnabled) return single;
  single.disconnect();
  const redisOptions = {
    ...common,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const cluster = new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    redisOptions,
  });
  cluster.on('error', (error) => {
    cause ??= error;
  });
  try {
    await withDeadline(cluster.connect(), timeoutMs, shown);
  } catch (error) {
    cluster.disconnect();
    throw unreachable(cause ?? error);
  }
  return cluster;
}

/** Entries, bytes and namespaces under the prefix, with counters when recorded. Uses SCAN only. */
export async function collectStats(
  client: RedisClient,
  options: AdminOptions = {},
): Promise<StoreStats> {
  const layout = keyLayout(options.prefix);
  const namespaces = new Map<string, NamespaceStats>();
  const namespaceStats = (namespace: string) => {
    let stats = namespaces.get(namespace);
    if (!stats) {
      stats = {
        namespace,
        generation: undefined,
        entries: 0,
        staleEntries: 0,
        indexed: 0,
        bytes: 0,
        vectorSets: 0,
        vectors: 0,
        counters: {},
      };
      namespaces.set(namespace, stats);
    }
    return stats;
  };
  for await (const { node, keys } of scanKeys(client, layout.allGenerations)) {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.get(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const namespace = layout.parseGeneration(key);
      const value = replies[i]?.[1];
      if (namespace !== undefined && typeof value === 'string')
        namespaceStats(namespace).generation = Number(value);
    });
  }
  const progress: ScanProgress = { scanned: 0, matched: 0, deleted: 0 };
  for await (const { node, keys } of scanKeys(client, layout.allEntries, 1000)) {
    progress.scanned += keys.length;
    const parsed = keys.map((key) => layout.parseEntry(key));
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.strlen(key).getrangeBuffer(key, 0, 2);
    const replies = (await pipeline.exec()) ?? [];
    parsed.forEach((entry, i) => {
      if (!entry) return;
      const stats = namespaceStats(entry.namespace);
      if (entry.generation !== stats.generation) {
        stats.staleEntries++;
        return;
      }
      progress.matched++;
      stats.entries++;
      stats.bytes += Number(replies[2 * i]?.[1] ?? 0);
      const head = replies[2 * i + 1]?.[1];
      if (Buffer.isBuffer(head) && isIndexedValue(head)) stats.indexed++;
    });
    options.onProgress?.({ ...progress });
  }
  const vectorSets = { sets: 0, vectors: 0, bytes: 0 };
  for await (const { node, keys } of scanKeys(client, layout.allVectorSets, 1000)) {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.call('VCARD', key).memory('USAGE', key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [cardError, card] = replies[2 * i] ?? [];
      // A key of this pattern that is not a vector set (or already gone) is not counted.
      if (cardError || card === null || card === undefined) return;
      const vectors = Number(card);
      vectorSets.sets++;
      vectorSets.vectors += vectors;
      vectorSets.bytes += Number(replies[2 * i + 1]?.[1] ?? 0);
      const parsed = layout.parseVectorSet(key);
      if (!parsed) return;
      const stats = namespaceStats(parsed.namespace);
      if (parsed.generation !== stats.generation) return;
      stats.vectorSets++;
      stats.vectors += vectors;
    });
  }
  for (const stats of namespaces.values()) {
    const counters = await client.hgetall(layout.stats(stats.namespace));
    for (const [field, value] of Object.entries(counters)) stats.counters[field] = Number(value);
  }
  let usedMemory = 0;
  for (const node of masters(client)) {
    const match = /used_memory:(\d+)/.exec(await node.info('memory'));
    usedMemory += Number(match?.[1] ?? 0);
  }
  const list = [...namespaces.values()].sort((a, b) => a.namespace.localeCompare(b.namespace));
  return {
    namespaces: list,
    entries: list.reduce((sum, s) => sum + s.entries, 0),
    staleEntries: list.reduce((sum, s) => sum + s.staleEntries, 0),
    bytes: list.reduce((sum, s) => sum + s.bytes, 0),
    usedMemory,
    streamLength: await client.xlen(layout.changes),
    vectorSets,
    nodes: masters(client).length,
  };
}

/**
 * Deletes entries. With only `namespace`, the namespace first moves to a new generation (every
 * process stops serving it at once, as `cache.clear()` does) and then the older generations'
 * keys — entries and Redis 8 vector sets — are deleted to free memory. With `modelId` and/or
 * `tenant` (optionally inside one namespace), every entry is checked by its labels and the
 * matching ones are deleted, with their vectors (`VREM`); processes drop them from their replica
 * through the change stream. A namespace that has no entries (of any generation) is not touched:
 * the result says `changed: false`.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` when the filter is empty.
 */
export async function clearEntries(
  client: RedisClient,
  filter: ClearFilter,
  options: AdminOptions = {},
): Promise<ClearResult> {
  const { namespace, modelId, tenant } = filter;
  if (namespace === undefined && modelId === undefined && tenant === undefined) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'clear: pass a namespace, a model or a tenant to choose what to delete.',
    );
  }
  const layout = keyLayout(options.prefix);
  const progress: ScanProgress = { scanned: 0, matched: 0, deleted: 0 };
  const publish = (fields: (string | Buffer)[]) => client.xadd(layout.changes, '*', ...fields);

  if (namespace !== undefined && modelId === undefined && tenant === undefined) {
    if (!(await hasEntries(client, layout, namespace))) return { ...progress, changed: false };
    const generation = await bumpGeneration(client, layout, namespace);
    await publish(changeFields({ op: 'generation', namespace, generation }));
    for await (const { node, keys } of scanKeys(client, layout.namespaceEntries(namespace), 1000)) {
      progress.scanned += keys.length;
      const doomed = keys.filter((key) => {
        const entry = layout.parseEntry(key);
        return (
          entry !== undefined && entry.namespace === namespace && entry.generation < generation
        );
      });
      progress.matched += doomed.length;
      progress.deleted += await unlinkEach(node, doomed);
      options.onProgress?.({ ...progress });
    }
    for await (const { node, keys } of scanKeys(client, layout.namespaceVectorSets(namespace))) {
      const doomed = keys.filter((key) => {
        const set = layout.parseVectorSet(key);
        return set !== undefined && set.namespace === namespace && set.generation < generation;
      });
      await unlinkEach(node, doomed);
    }
    return { ...progress, changed: true };
  }

  const pattern = namespace === undefined ? layout.allEntries : layout.namespaceEntries(namespace);
  for await (const { node, keys } of scanKeys(client, pattern, 1000)) {
    progress.scanned += keys.length;
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.getrangeBuffer(key, 0, 511);
    const replies = (await pipeline.exec()) ?? [];
    const doomed: string[] = [];
    /** Vector sets and elements of the doomed entries that were indexed. */
    const vectors: [string, string][] = [];
    for (const [i, key] of keys.entries()) {
      const entry = layout.parseEntry(key);
      if (!entry || (namespace !== undefined && entry.namespace !== namespace)) continue;
      const head = replies[i]?.[1];
      if (!Buffer.isBuffer(head)) continue;
      let labels = readLabels(head);
      if (!labels.ok && labels.reason === 'truncated') {
        const whole = await node.getBuffer(key);
        if (!whole) continue;
        labels = readLabels(whole);
      }
      if (!labels.ok) continue;
      if (modelId !== undefined && labels.modelId !== modelId) continue;
      if (tenant !== undefined && labels.tenant !== tenant) continue;
      doomed.push(key);
      let header = readHeader(head, false);
      if (!header.ok && header.reason === 'truncated') {
        const whole = await node.getBuffer(key);
        if (whole) header = readHeader(whole, false);
      }
      if (header.ok && header.header.index) {
        vectors.push([
          layout.vectorSet(entry.namespace, entry.generation, header.header.index.partition),
          entry.key,
        ]);
      }
    }
    progress.matched += doomed.length;
    progress.deleted += await unlinkEach(node, doomed);
    // In a Cluster a vector set may live on another master: the client routes each VREM.
    await Promise.all(
      vectors.map(([set, element]) => client.call('VREM', set, element).catch(() => 0)),
    );
    for (const key of doomed) {
      const entry = layout.parseEntry(key);
      if (entry) await publish(changeFields({ op: 'delete', ...entry }));
    }
    options.onProgress?.({ ...progress });
  }
  return { ...progress, changed: progress.deleted > 0 };
}

/** True when `namespace` has at least one entry key, of any generation (stops at the first). */
async function hasEntries(
  client: RedisClient,
  layout: ReturnType<typeof keyLayout>,
  namespace: string,
): Promise<boolean> {
  for await (const { keys } of scanKeys(client, layout.namespaceEntries(namespace), 1000)) {
    if (keys.some((key) => layout.parseEntry(key)?.namespace === namespace)) return true;
  }
  return false;
}

/**
 * Finds the entries stored under `key`: a full Redis key, or an exact key (the SHA-256 the cache
 * derives) looked up in every namespace and generation (or in `namespace`).
 */
export async function inspectEntry(
  client: RedisClient,
  key: string,
  options: AdminOptions & { namespace?: string } = {},
): Promise<InspectedEntry[]> {
  const layout = keyLayout(options.prefix);
  const redisKeys: string[] = [];
  if (layout.parseEntry(key)) {
    redisKeys.push(key);
  } else {
    for await (const batch of scanKeys(client, layout.keyEntries(key, options.namespace), 1000)) {
      redisKeys.push(...batch.keys);
    }
  }
  const found: InspectedEntry[] = [];
  for (const redisKey of [...new Set(redisKeys)]) {
    const entryKey = layout.parseEntry(redisKey);
    if (!entryKey) continue;
    const [value, pttl, generation] = await Promise.all([
      client.getBuffer(redisKey),
      client.pttl(redisKey),
      client.get(layout.generation(entryKey.namespace)),
    ]);
    if (!value) continue;
    const read = readHeader(value);
    const payload = await readPayload(value);
    let entry: InspectedEntry['entry'];
    try {
      entry =
        payload === undefined
          ? { error: 'written by a newer version of @semcache/redis' }
          : decodeEntry(payload);
    } catch (error) {
      entry = { error: describe(error) };
    }
    found.push({
      redisKey,
      namespace: entryKey.namespace,
      generation: entryKey.generation,
      current: generation !== null && Number(generation) === entryKey.generation,
      ttlMs: pttl >= 0 ? pttl : undefined,
      bytes: value.length,
      format: read.ok
        ? 'semcache'
        : read.reason === 'foreign' || read.reason === 'unsupported'
          ? read.reason
          : 'corrupt',
      deflated: read.ok && read.header.deflated,
      modelId: read.ok ? read.header.modelId : undefined,
      tenant: read.ok ? read.header.tenant : undefined,
      index:
        read.ok && read.header.index
          ? { partition: read.header.index.partition, dimensions: read.header.index.vector.length }
          : undefined,
      entry,
    });
  }
  return found;
}

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** A one-line description of the connection, e.g. for a CLI header. */
export function describeConnection(client: RedisClient): string {
  return isCluster(client) ? `cluster of ${masters(client).length} masters` : 'standalone';
}

async function unlinkEach(node: Redis, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  // One key per command: several keys in one UNLINK must share a slot in a Cluster.
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.unlink(key);
  const replies = (await pipeline.exec()) ?? [];
  return replies.reduce((sum, [error, count]) => sum + (error ? 0 : Number(count)), 0);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.$/, '');
}

/** Rejects when `promise` has not settled within `ms`, naming the server that did not answer. */
function withDeadline<T>(promise: Promise<T>, ms: number, shown: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${ms} ms (is ${shown} frozen or overloaded?)`)),
      ms,
    );
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
