import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type CacheStore,
  type FlightCoordinator,
  SemcacheError,
  type StoreMatch,
  type StoreRecord,
  type StoreSearch,
} from '@semcache/core';
import type { VectorIndexOptions } from '@semcache/core/internal';
import {
  ChangeFeed,
  type ChangeRecord,
  changeFields,
  missedRecords,
  streamInfoField,
} from './change-feed.js';
import { CommandGate } from './command-gate.js';
import {
  encodeEntry,
  encodeHeader,
  partitionDigest,
  readHeader,
  readPayload,
  type VectorEncoding,
} from './entry-format.js';
import { RedisFlightCoordinator } from './flight-coordinator.js';
import { Generations } from './generations.js';
import { IndexReplica, type IndexReplicaStats } from './index-replica.js';
import { type KeyLayout, keyLayout } from './key-layout.js';
import {
  duplicateConnection,
  isCluster,
  type RedisClient,
  scanKeys,
  waitForReady,
} from './redis-client.js';

/**
 * Options of {@link RedisStore}. Only `client` is required; the defaults are listed here and
 * nowhere else:
 *
 * | option | default |
 * |---|---|
 * | `prefix` | `'semcache:'` |
 * | `compressAboveBytes` | `1024` (payloads above are deflated when that makes them smaller) |
 * | `vectorEncoding` | `'int8'` (1 byte per dimension plus a scale; `'float32'` keeps 4) |
 * | `index` | core `VectorIndex` defaults, except `bitsPerBand: 16` (see the README's measurements) |
 * | `maxIndexedEntries` | `1_000_000` entries in this process's replica of the index |
 * | `changeStreamMaxLength` | `10_000` records kept in the change stream (approximate trim) |
 * | `generationRefreshMs` | `1000` |
 * | `maxPendingCommands` | `10_000` |
 * | `coordinator` | `true` (distributed single-flight; one more connection) |
 * | `leaseTtlMs` | `3000` (renewed every third of it while the leader computes) |
 * | `recordStats` | `false` |
 */
export interface RedisStoreOptions {
  /**
   * The ioredis client: `new Redis(url, options)` (standalone or Sentinel) or
   * `new Redis.Cluster(nodes, options)`. The store never closes it. Recommended options are in
   * the package README (`enableOfflineQueue: false`, `maxRetriesPerRequest: 1`,
   * `commandTimeout`, `enableAutoPipelining: true`). Do not set ioredis's `keyPrefix`; use
   * {@link prefix}.
   */
  client: RedisClient;
  /** Prefix of every key and channel. */
  prefix?: string;
  /** Payloads of more UTF-8 bytes than this are deflated. */
  compressAboveBytes?: number;
  /** How vectors are stored in Redis. */
  vectorEncoding?: VectorEncoding;
  /** Options of each partition's in-process `VectorIndex`. */
  index?: Omit<VectorIndexOptions, 'dimensions'>;
  /** Entries held in this process's replica of the index; the oldest-added go first past it. */
  maxIndexedEntries?: number;
  /** Approximate length the change stream is trimmed to. */
  changeStreamMaxLength?: number;
  /** How often cached namespace generations are re-read (they also arrive on the change stream). */
  generationRefreshMs?: number;
  /** Commands waiting for a reply past which calls fail fast. */
  maxPendingCommands?: number;
  /** Distributed single-flight through Redis leases. */
  coordinator?: boolean;
  /**
   * Time to live of a single-flight lease in Redis. Its holder renews it while it computes (up to
   * the cache's `coalesceTimeoutMs`), so this bounds how long other processes wait on a lease
   * whose holder crashed or lost its release to a timeout.
   */
  leaseTtlMs?: number;
  /** Count hits and misses per namespace in Redis (one extra command per call, not awaited). */
  recordStats?: boolean;
  /** Receives errors of background work (index sync, stream reading); the calls themselves reject instead. */
  onError?: (error: SemcacheError) => void;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** State of the in-process replica of the shared index, from {@link RedisStore.indexStats}. */
export interface RedisIndexStats extends IndexReplicaStats {
  /** True once the first full sync from Redis finished. */
  synced: boolean;
  /** True while a full sync runs. */
  syncing: boolean;
  /** Full syncs run (the first, after reconnects, after missed stream records). */
  syncs: number;
  /** Id of the last change-stream record read. */
  streamPosition: string;
}

/** Bytes read per entry when syncing the index: enough for the header of a 1536-dimension int8 vector. */
const headerReadBytes = 2048;
const syncBatchKeys = 250;
const streamBlockMs = 1000;

/**
 * A {@link CacheStore} on Redis through ioredis, shared by every process that uses the same
 * Redis and prefix:
 *
 * - Entries are strings with a TTL (`PX`), compact binary: labels, vector (int8 by default)
 *   and payload (deflated above 1 KiB). An exact hit is one `GET`.
 * - A namespace has a generation in its keys; {@link clear} moves it to a new one in O(1).
 * - Semantic search runs on an in-process replica of the index (core `VectorIndex` per
 *   partition), loaded with SCAN at start and after reconnects and kept current from a Redis
 *   stream of changes; the candidates' payloads are then fetched in one round trip. An entry
 *   stored by one process is searchable in the others as soon as they read the stream
 *   (milliseconds).
 * - {@link coordinator} gives single-flight across processes (leases + pub/sub).
 * - Calls reject at once while the client is not ready, so the cache fails open instead of
 *   queueing; background work reports to `onError` and recovers by itself.
 *
 * ```ts
 * const cache = createSemanticCache({ store: new RedisStore({ client: new Redis(url) }) });
 * ```
 */
export class RedisStore implements CacheStore {
  readonly name = 'redis';
  /** Distributed single-flight through Redis leases; `undefined` with `coordinator: false`. */
  readonly coordinator: FlightCoordinator | undefined;
  readonly #coordinator: RedisFlightCoordinator | undefined;
  readonly #client: RedisClient;
  readonly #layout: KeyLayout;
  readonly #gate: CommandGate;
  readonly #generations: Generations;
  readonly #replica: IndexReplica;
  readonly #feed: ChangeFeed;
  readonly #encoding: { compressAboveBytes: number; vectorEncoding: VectorEncoding };
  readonly #streamMaxLength: number;
  readonly #recordStats: boolean;
  readonly #onError: (error: SemcacheError) => void;
  readonly #now: () => number;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #digests = new Map<string, string>();
  readonly #onClientReady = () => void this.#reconnected();
  /** `run_id` of the standalone server the replica was loaded from. */
  #serverRunId: string | undefined;
  #sync: Promise<void> | undefined;
  #syncAgain = false;
  #syncs = 0;
  #synced = false;
  #syncedWaiters: (() => void)[] = [];
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const { client } = options;
    if (!client || typeof client.get !== 'function') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        'RedisStore: pass an ioredis client, e.g. new RedisStore({ client: new Redis(process.env.REDIS_URL) }).',
      );
    }
    const keyPrefix = isCluster(client)
      ? (client.options.keyPrefix ?? client.options.redisOptions?.keyPrefix)
      : client.options.keyPrefix;
    if (keyPrefix) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `RedisStore: the client has ioredis keyPrefix "${keyPrefix}", which SCAN patterns and scripts do not see; remove it and pass { prefix: "${keyPrefix}" } to RedisStore instead.`,
      );
    }
    for (const [name, value, min] of [
      ['compressAboveBytes', options.compressAboveBytes, 0],
      ['maxIndexedEntries', options.maxIndexedEntries, 1],
      ['changeStreamMaxLength', options.changeStreamMaxLength, 1],
      ['generationRefreshMs', options.generationRefreshMs, 1],
      ['maxPendingCommands', options.maxPendingCommands, 1],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < min)) {
        throw new SemcacheError(
          'INVALID_OPTIONS',
          `RedisStore: ${name} must be an integer ≥ ${min}, got ${String(value)}.`,
        );
      }
    }
    this.#client = client;
    this.#layout = keyLayout(options.prefix ?? 'semcache:');
    this.#gate = new CommandGate(client, options.maxPendingCommands ?? 10_000);
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#encoding = {
      compressAboveBytes: options.compressAboveBytes ?? 1024,
      vectorEncoding: options.vectorEncoding ?? 'int8',
    };
    this.#streamMaxLength = options.changeStreamMaxLength ?? 10_000;
    this.#recordStats = options.recordStats ?? false;
    this.#replica = new IndexReplica({
      maxEntries: options.maxIndexedEntries ?? 1_000_000,
      now: this.#now,
      // Shared caches grow large: 16 bits per band keep lookups fast at 10^5–10^6 entries per
      // partition for no measurable recall loss at the default threshold (package README).
      index: { bitsPerBand: 16, ...options.index },
    });
    this.#generations = new Generations(client, this.#gate, this.#layout, (namespace, generation) =>
      this.#replica.useGeneration(namespace, generation),
    );
    this.#feed = new ChangeFeed({
      connection: duplicateConnection(client, 'semcache-changes'),
      stream: this.#layout.changes,
      blockMs: streamBlockMs,
      onRecords: (records) => this.#apply(records),
      onError: (error) => this.#report('reading the change stream', error),
    });
    this.#coordinator =
      options.coordinator === false
        ? undefined
        : new RedisFlightCoordinator({
            client,
            gate: this.#gate,
            layout: this.#layout,
            generations: this.#generations,
            subscriber: duplicateConnection(client, 'semcache-flights'),
            ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
          });
    this.coordinator = this.#coordinator;

    client.on('ready', this.#onClientReady);
    if (client.status === 'wait') client.connect().catch(() => {});
    if (client.status === 'ready') this.#scheduleSync();

    const every = (ms: number, task: () => void | Promise<void>) => {
      const timer = setInterval(() => {
        Promise.resolve()
          .then(task)
          .catch((error: unknown) => this.#report('background refresh', error));
      }, ms);
      timer.unref?.();
      this.#timers.push(timer);
    };
    every(1000, () => this.#replica.sweep());
    every(options.generationRefreshMs ?? 1000, () =>
      this.#gate.open ? this.#generations.refresh() : undefined,
    );
    every(5000, async () => {
      if (!this.#synced || this.#sync !== undefined || !this.#gate.open) return;
      const info = await this.#gate.run('stream check', () =>
        this.#client.call('XINFO', 'STREAM', this.#layout.changes).catch(() => undefined),
      );
      if (missedRecords(info, this.#feed.position)) this.#scheduleSync();
    });
  }

  async get(namespace: string, key: string): Promise<string | undefined> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const redisKey = this.#layout.entry(namespace, generation, key);
    const value = await this.#gate.run('get', () => this.#client.getBuffer(redisKey));
    if (this.#recordStats) this.#count(namespace, value ? 'hits' : 'misses');
    return value ? readPayload(value) : undefined;
  }

  async set(namespace: string, record: StoreRecord): Promise<void> {
    if (!(record.ttlMs > 0)) return;
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const redisKey = this.#layout.entry(namespace, generation, record.key);
    const expiresAt = this.#now() + record.ttlMs;
    const index = record.index
      ? { partition: this.#digest(record.index.partition), vector: record.index.vector }
      : undefined;
    const value = await encodeEntry(
      {
        expiresAt,
        payload: record.payload,
        modelId: record.labels?.modelId,
        tenant: record.labels?.tenant,
        index,
      },
      this.#encoding,
    );
    const ttlMs = Math.max(1, Math.ceil(record.ttlMs));
    await this.#gate.run('set', () => this.#client.set(redisKey, value, 'PX', ttlMs));
    if (!index) return;
    const header = encodeHeader({ expiresAt, index }, this.#encoding.vectorEncoding);
    this.#applyAdd(namespace, generation, record.key, header);
    this.#publish({ op: 'add', namespace, generation, key: record.key, header });
  }

  async delete(namespace: string, key: string): Promise<void> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    await this.#gate.run('delete', () =>
      this.#client.unlink(this.#layout.entry(namespace, generation, key)),
    );
    this.#replica.remove(namespace, key, generation);
    this.#publish({ op: 'delete', namespace, generation, key });
  }

  async search(namespace: string, query: StoreSearch): Promise<StoreMatch[]> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const partition = this.#digest(query.partition);
    const candidates = this.#replica.search(namespace, generation, partition, query.vector, {
      minSimilarity: query.minSimilarity,
      limit: query.limit,
    });
    if (candidates.length === 0) {
      if (this.#recordStats) this.#count(namespace, 'searchMisses');
      return [];
    }
    const redisKeys = candidates.map((match) =>
      this.#layout.entry(namespace, generation, match.id),
    );
    const values = await this.#gate.run('search', () => this.#fetch(redisKeys));
    const matches: StoreMatch[] = [];
    for (const [i, candidate] of candidates.entries()) {
      const value = values[i];
      if (!value) {
        // Deleted, evicted or expired in Redis: the replica learns it here.
        this.#replica.remove(namespace, candidate.id, generation);
        continue;
      }
      const read = readHeader(value, false);
      if (read.ok && read.header.index?.partition !== partition) continue;
      const payload = await readPayload(value);
      if (payload !== undefined)
        matches.push({ key: candidate.id, payload, similarity: candidate.similarity });
    }
    if (this.#recordStats)
      this.#count(namespace, matches.length > 0 ? 'searchHits' : 'searchMisses');
    return matches;
  }

  async clear(namespace: string): Promise<void> {
    const generation = await this.#generations.bump(namespace);
    this.#publish({ op: 'generation', namespace, generation });
  }

  /**
   * Resolves once the replica of the index has been loaded from Redis (the first full sync), or
   * when the store is closed. Searches before that only see entries stored since the store was
   * created. It waits as long as Redis is unreachable: race it with a timer if you must not.
   */
  whenSynced(): Promise<void> {
    if (this.#synced || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  /** Size and sync state of this process's replica of the index. */
  indexStats(): RedisIndexStats {
    return {
      ...this.#replica.stats(),
      synced: this.#synced,
      syncing: this.#sync !== undefined,
      syncs: this.#syncs,
      streamPosition: this.#feed.position,
    };
  }

  /** Stops background work and closes the store's own connections; the client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gate.close();
    for (const timer of this.#timers) clearInterval(timer);
    this.#client.off('ready', this.#onClientReady);
    this.#coordinator?.close();
    for (const resolve of this.#syncedWaiters.splice(0)) resolve();
    await this.#feed.stop();
    await this.#sync?.catch(() => {});
    this.#replica.clear();
  }

  #digest(partition: string): string {
    let digest = this.#digests.get(partition);
    if (digest === undefined) {
      digest = partitionDigest(partition);
      if (this.#digests.size >= 10_000) this.#digests.clear();
      this.#digests.set(partition, digest);
    }
    return digest;
  }

  /** Values of `keys` in one round trip: MGET, or in a Cluster one GET per key sent together. */
  #fetch(keys: string[]): Promise<(Buffer | null)[]> {
    if (isCluster(this.#client)) {
      const client = this.#client;
      return Promise.all(keys.map((key) => client.getBuffer(key)));
    }
    return this.#client.mgetBuffer(...keys);
  }

  #applyAdd(namespace: string, generation: number, key: string, header: Buffer): void {
    const read = readHeader(header);
    if (!read.ok || !read.header.index) return;
    const { index, expiresAt } = read.header;
    this.#replica.add(namespace, generation, key, index.partition, index.vector, expiresAt);
  }

  #apply(records: ChangeRecord[]): void {
    for (const record of records) {
      // Generations only grow and writers read theirs from Redis: a newer one is the truth.
      this.#generations.observe(record.namespace, record.generation);
      if (record.op === 'delete') {
        this.#replica.remove(record.namespace, record.key, record.generation);
      } else if (record.op === 'add') {
        this.#applyAdd(record.namespace, record.generation, record.key, record.header);
      }
    }
  }

  /** Appends a change to the stream without waiting: the local replica is already updated. */
  #publish(record: ChangeRecord): void {
    this.#gate
      .run('index update', () =>
        this.#client.xadd(
          this.#layout.changes,
          'MAXLEN',
          '~',
          this.#streamMaxLength,
          '*',
          ...changeFields(record),
        ),
      )
      .catch((error: unknown) => this.#report('publishing an index change', error));
  }

  #count(namespace: string, field: string): void {
    this.#gate
      .run('stats', () => this.#client.hincrby(this.#layout.stats(namespace), field, 1))
      .catch(() => {});
  }

  #report(what: string, error: unknown): void {
    if (this.#closed) return;
    try {
      this.#onError(
        error instanceof SemcacheError
          ? error
          : new SemcacheError(
              'STORE_UNAVAILABLE',
              `RedisStore: ${what} failed: ${error instanceof Error ? error.message : String(error)}. It is retried by itself.`,
              { cause: error },
            ),
      );
    } catch {
      // A throwing error handler must not stop background work.
    }
  }

  #scheduleSync(): void {
    if (this.#closed) return;
    if (this.#sync) {
      this.#syncAgain = true;
      return;
    }
    this.#sync = this.#runSync()
      .catch((error: unknown) => {
        this.#report('loading the index', error);
        if (!this.#closed) setTimeout(() => this.#scheduleSync(), 1000).unref?.();
      })
      .finally(() => {
        this.#sync = undefined;
        if (this.#syncAgain) {
          this.#syncAgain = false;
          this.#scheduleSync();
        }
      });
  }

  /**
   * Loads the replica from Redis: remembers the stream's last id, scans every entry (reading only
   * its header), then reads the stream from that id, so nothing written meanwhile is missed.
   */
  /**
   * After a reconnect to the same server whose stream still holds every record since our
   * position, reading the stream on is enough. A restarted or failed-over server (new run_id),
   * a trimmed stream or a Cluster means a full sync.
   */
  async #reconnected(): Promise<void> {
    if (!this.#synced || this.#serverRunId === undefined || this.#closed)
      return this.#scheduleSync();
    try {
      const [runId, info] = await Promise.all([
        this.#runId(),
        this.#client.call('XINFO', 'STREAM', this.#layout.changes).catch(() => undefined),
      ]);
      if (runId !== this.#serverRunId || missedRecords(info, this.#feed.position))
        this.#scheduleSync();
    } catch {
      this.#scheduleSync();
    }
  }

  async #runId(): Promise<string | undefined> {
    if (isCluster(this.#client)) return undefined;
    return /run_id:(\w+)/.exec(await this.#client.info('server'))?.[1];
  }

  async #runSync(): Promise<void> {
    await waitForReady(this.#client, 60_000);
    this.#serverRunId = await this.#runId();
    const client = this.#client;
    const info = await client
      .call('XINFO', 'STREAM', this.#layout.changes)
      .catch((error: unknown) => {
        if (String((error as Error)?.message).includes('no such key')) return undefined;
        throw error;
      });
    const tail = String(streamInfoField(info, 'last-generated-id') ?? '0-0');
    this.#generations.forget();
    this.#replica.clear();
    this.#feed.start(tail);
    this.#feed.moveTo(tail);
    const generations = new Map<string, number | undefined>();
    for await (const { node, keys } of scanKeys(client, this.#layout.allEntries, syncBatchKeys)) {
      if (this.#closed) return;
      const parsed = keys.map((key) => this.#layout.parseEntry(key));
      for (const entry of parsed) {
        if (entry && !generations.has(entry.namespace)) {
          generations.set(entry.namespace, await this.#generations.peek(entry.namespace));
          const generation = generations.get(entry.namespace);
          if (generation !== undefined) this.#generations.observe(entry.namespace, generation);
        }
      }
      const wanted = parsed.filter(
        (entry): entry is NonNullable<typeof entry> =>
          entry !== undefined && generations.get(entry.namespace) === entry.generation,
      );
      if (wanted.length === 0) continue;
      const pipeline = node.pipeline();
      for (const entry of wanted) {
        pipeline.getrangeBuffer(
          this.#layout.entry(entry.namespace, entry.generation, entry.key),
          0,
          headerReadBytes - 1,
        );
      }
      const replies = (await pipeline.exec()) ?? [];
      let sliceStarted = performance.now();
      for (const [i, entry] of wanted.entries()) {
        // Indexing costs CPU (~0.2 ms per entry): let requests through every few milliseconds.
        if (performance.now() - sliceStarted > 4) {
          await yieldToEventLoop();
          if (this.#closed) return;
          sliceStarted = performance.now();
        }
        const reply = replies[i];
        let value = reply && !reply[0] ? (reply[1] as Buffer) : undefined;
        if (value && value.length === headerReadBytes && readHeader(value).ok === false) {
          value =
            (await node.getBuffer(
              this.#layout.entry(entry.namespace, entry.generation, entry.key),
            )) ?? undefined;
        }
        if (!value) continue;
        const read = readHeader(value);
        if (!read.ok || !read.header.index) continue;
        const { index, expiresAt } = read.header;
        this.#replica.add(
          entry.namespace,
          entry.generation,
          entry.key,
          index.partition,
          index.vector,
          expiresAt,
        );
      }
      // Adding to the index costs CPU; let requests through between batches.
      await yieldToEventLoop();
    }
    this.#syncs++;
    this.#synced = true;
    for (const resolve of this.#syncedWaiters.splice(0)) resolve();
  }
}
