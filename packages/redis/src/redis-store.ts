import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type CacheStore,
  type FlightCoordinator,
  type OutcomeBin,
  SemcacheError,
  type StoreGetOptions,
  type StoreMatch,
  type StoreRecord,
  type StoreSearch,
} from '@semcache/core';
import { rejectUnknown, type VectorIndexOptions } from '@semcache/core/internal';
import { ChangeFeed, type ChangeRecord, changeFields } from './change-feed.js';
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
import { IndexReplica, type IndexReplicaStats, type ReplicaMode } from './index-replica.js';
import { IndexSync } from './index-sync.js';
import { type KeyLayout, keyLayout } from './key-layout.js';
import { outcomesTag, readOutcomes, recordOutcome } from './outcome-store.js';
import { appendPartitionRecord, encodePartitionRecord, readPartition } from './partition-list.js';
import { duplicateConnection, isCluster, type RedisClient } from './redis-client.js';
import { type VectorSetCandidate, VectorSetIndex } from './vector-set-index.js';
import { isUnknownCommand, VectorSetSupport } from './vector-set-support.js';

/**
 * Where semantic search runs, see {@link RedisStoreOptions.semanticIndex}: `'vector-set'` (Redis 8
 * vector sets on the server), `'replica'` (each process's in-process replica), `'both'`, or
 * `'auto'` (vector sets when the server has them, else the replica).
 */
export type SemanticIndexMode = 'auto' | 'vector-set' | 'replica' | 'both';

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
 * | `semanticIndex` | `'auto'` (Redis 8 vector sets when every master has them, else the in-process replica) |
 * | `replica` | `'on-demand'` (load each partition on its first search; `'full'` also loads every entry at start) |
 * | `maxIndexedEntries` | `1_000_000` entries in this process's replica of the index |
 * | `maxPartitionEntries` | `100_000` newest vectors kept per partition for on-demand loads |
 * | `connectWaitMs` | `1000` (how long calls wait for the client's first connection) |
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
  /**
   * Where semantic search runs.
   *
   * - `'vector-set'`: on the server, in Redis 8 vector sets (one per namespace, generation and
   *   partition; `VADD` on store, `VSIM` on lookup). No replica in this process: nothing to load at
   *   start or on a partition's first search, no memory that grows with the entries, and every
   *   process sees an entry the moment it is stored. A lookup costs one `VSIM` round trip.
   * - `'replica'`: each process's in-process replica (see {@link replica}), kept current from the
   *   change stream: the behaviour before vector sets, and the only one on Redis < 8.
   * - `'both'`: writes both; a lookup uses the replica once this process loaded the partition,
   *   `VSIM` before that (and loads the partition in the background): vector sets for cold
   *   starts, the replica as a local accelerator in long-lived processes.
   * - `'auto'`: `'vector-set'` when the server (every master of a Cluster) has vector sets, probed
   *   once per connection, else `'replica'`.
   *
   * A server without vector sets never breaks a call: every mode falls back to the replica there.
   * Processes sharing a prefix should use the same choice (or `'both'`): one that writes only
   * vector sets is not seen by another's replica, and the other way round.
   *
   * @default 'auto' — on Redis 8 a long-lived process's lookup is a little slower on vector sets
   *   (1.35 against 0.73 ms p50 at 100,000 entries in one partition, measured), but a fresh process
   *   answers its first semantic lookup without loading anything (21 against 288 ms, 1.3 against
   *   106 MiB of memory at that size) and every process sees new entries at once; inserts cost
   *   more server CPU. See the package README's measurements. On Redis 7 it is the replica.
   */
  semanticIndex?: SemanticIndexMode;
  /**
   * What this process holds of the shared semantic index. `'on-demand'`: a partition (one model,
   * parameters and conversation context) is loaded from Redis the first time this process
   * searches it — a new process's first semantic lookup is answered without loading anything
   * else — and kept current from the change stream. `'full'`: also loads every entry at start (a
   * background SCAN), so a long-lived process never pays a partition load on a lookup.
   */
  replica?: ReplicaMode;
  /**
   * Entries held in this process's replica of the index; past it the least recently searched
   * partitions go (`'full'`: the oldest-added entries).
   */
  maxIndexedEntries?: number;
  /**
   * Newest vectors kept in each partition's list in Redis (what an on-demand load reads); older
   * ones are still found by processes that loaded the partition before, and by `'full'` loads.
   */
  maxPartitionEntries?: number;
  /**
   * How long store calls wait for the client's *first* connection (a new process, a cold start),
   * in milliseconds, counted from the store's creation: long enough for TLS to a managed Redis.
   * Past it, or after a connection was lost later, calls fail at once and go to the model.
   */
  connectWaitMs?: number;
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
  mode: ReplicaMode;
  /** The configured {@link RedisStoreOptions.semanticIndex}. */
  semanticIndex: SemanticIndexMode;
  /** Whether the server has vector sets, once probed on this connection; `undefined` before. */
  vectorSets: boolean | undefined;
  /** True once the first sync finished (stream positioned; `'full'`: every entry loaded). */
  synced: boolean;
  /** True while a sync runs. */
  syncing: boolean;
  /** Syncs run (the first, after a server restart or failover, after missed stream records). */
  syncs: number;
  /** Partitions loaded on demand so far. */
  partitionLoads: number;
  /** Id of the last change-stream record read. */
  streamPosition: string;
}

const streamBlockMs = 1000;
/** CPU per slice spent building LSH tables of large partitions in the background. */
const tableSliceMs = 4;

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
  readonly #mode: ReplicaMode;
  readonly #feed: ChangeFeed;
  readonly #sync: IndexSync;
  readonly #encoding: { compressAboveBytes: number; vectorEncoding: VectorEncoding };
  readonly #streamMaxLength: number;
  readonly #maxPartitionEntries: number;
  readonly #recordStats: boolean;
  readonly #onError: (error: SemcacheError) => void;
  readonly #now: () => number;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #digests = new Map<string, string>();
  /** Partition loads in flight, by `namespace \0 generation \0 partition`. */
  readonly #loads = new Map<string, Promise<void>>();
  readonly #semanticIndex: SemanticIndexMode;
  readonly #support: VectorSetSupport;
  readonly #vectors: VectorSetIndex;
  /** Resolves (once) when the first probe decided whether vector sets are used, or on close. */
  readonly #decided: Promise<boolean>;
  #decide: (vectorSets: boolean) => void = () => {};
  #replicaStarted = false;
  readonly #onClientReady = () => void this.#afterReady(true);
  #partitionLoads = 0;
  #building: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const { client } = options;
    if (!client || typeof client.get !== 'function') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        'RedisStore: pass an ioredis client, e.g. new RedisStore({ client: new Redis(process.env.REDIS_URL) }).',
      );
    }
    rejectUnknown('RedisStore', options, storeOptionNames);
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
      ['maxPartitionEntries', options.maxPartitionEntries, 1],
      ['changeStreamMaxLength', options.changeStreamMaxLength, 1],
      ['generationRefreshMs', options.generationRefreshMs, 1],
      ['maxPendingCommands', options.maxPendingCommands, 1],
      ['connectWaitMs', options.connectWaitMs, 0],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < min)) {
        throw new SemcacheError(
          'INVALID_OPTIONS',
          `RedisStore: ${name} must be an integer ≥ ${min}, got ${String(value)}.`,
        );
      }
    }
    const mode = options.replica ?? 'on-demand';
    if (mode !== 'on-demand' && mode !== 'full') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `RedisStore: replica must be 'on-demand' or 'full', got ${JSON.stringify(mode)}.`,
      );
    }
    const semanticIndex = options.semanticIndex ?? 'auto';
    if (!['auto', 'vector-set', 'replica', 'both'].includes(semanticIndex)) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `RedisStore: semanticIndex must be 'auto', 'vector-set', 'replica' or 'both', got ${JSON.stringify(semanticIndex)}.`,
      );
    }
    this.#semanticIndex = semanticIndex;
    this.#mode = mode;
    this.#client = client;
    this.#layout = keyLayout(options.prefix ?? 'semcache:');
    this.#gate = new CommandGate(
      client,
      options.maxPendingCommands ?? 10_000,
      options.connectWaitMs ?? 1000,
    );
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#support = new VectorSetSupport(client, this.#gate);
    this.#vectors = new VectorSetIndex({
      client,
      gate: this.#gate,
      now: this.#now,
      onError: (what, error) => this.#report(what, error),
    });
    this.#decided = new Promise<boolean>((resolve) => {
      this.#decide = resolve;
    });
    this.#encoding = {
      compressAboveBytes: options.compressAboveBytes ?? 1024,
      vectorEncoding: options.vectorEncoding ?? 'int8',
    };
    this.#streamMaxLength = options.changeStreamMaxLength ?? 10_000;
    this.#maxPartitionEntries = options.maxPartitionEntries ?? 100_000;
    this.#recordStats = options.recordStats ?? false;
    this.#replica = new IndexReplica({
      mode,
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
      // Opened when the replica first syncs: a store on vector sets never needs it.
      connection: () => duplicateConnection(client, 'semcache-changes'),
      stream: this.#layout.changes,
      blockMs: streamBlockMs,
      onRecords: (records) => this.#apply(records),
      onError: (error) => this.#report('reading the change stream', error),
    });
    this.#sync = new IndexSync({
      client,
      layout: this.#layout,
      replica: this.#replica,
      generations: this.#generations,
      feed: this.#feed,
      mode,
      onError: (what, error) => this.#report(what, error),
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
    if (client.status === 'ready') void this.#afterReady(false);

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
    every(5000, () => (this.#gate.open ? this.#sync.check() : undefined));
  }

  /**
   * While the client makes its first connection (a new process), a promise the cache waits on
   * (at most `connectWaitMs`) before its first store call; `undefined` otherwise.
   */
  whenReady(): Promise<void> | undefined {
    return this.#gate.whenReady();
  }

  async get(
    namespace: string,
    key: string,
    options?: StoreGetOptions,
  ): Promise<string | undefined> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const redisKey = this.#layout.entry(namespace, generation, key);
    const value = await this.#gate.run('get', () => this.#client.getBuffer(redisKey));
    // One count per request: the cache's second read of a key it just missed is not counted.
    if (this.#recordStats && !options?.recheck) this.#count(namespace, value ? 'hits' : 'misses');
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
    if (!index) {
      await this.#gate.run('set', () => this.#client.set(redisKey, value, 'PX', ttlMs));
      return;
    }
    const vectorSets = await this.#useVectorSets();
    const replicaWrites = !vectorSets || this.#semanticIndex === 'both';
    const header = encodeHeader({ expiresAt, index }, this.#encoding.vectorEncoding);
    // The entry, its vector in the partition's list (what a new process loads) and/or in the
    // partition's vector set, sent together.
    await Promise.all([
      this.#gate.run('set', () => this.#client.set(redisKey, value, 'PX', ttlMs)),
      replicaWrites
        ? appendPartitionRecord(
            this.#client,
            this.#gate,
            this.#layout.partition(namespace, generation, index.partition),
            encodePartitionRecord(record.key, header),
            this.#maxPartitionEntries,
            ttlMs,
          )
        : undefined,
      vectorSets
        ? this.#vectorCommand(() =>
            this.#vectors.add(
              this.#layout.vectorSet(namespace, generation, index.partition),
              record.key,
              index.vector,
              expiresAt,
            ),
          )
        : undefined,
    ]);
    if (!replicaWrites) return;
    this.#applyAdd(namespace, generation, record.key, header);
    this.#publish({ op: 'add', namespace, generation, key: record.key, header });
  }

  async delete(namespace: string, key: string): Promise<void> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const redisKey = this.#layout.entry(namespace, generation, key);
    if (this.#semanticIndex !== 'replica' && (await this.#useVectorSets())) {
      // The entry says which partition's vector set holds its vector.
      const value = await this.#gate.run('delete', () => this.#client.getdelBuffer(redisKey));
      const read = value ? readHeader(value, false) : undefined;
      const partition = read?.ok ? read.header.index?.partition : undefined;
      if (partition) {
        await this.#vectorCommand(() =>
          this.#vectors.remove(this.#layout.vectorSet(namespace, generation, partition), [key]),
        );
      }
      if (this.#semanticIndex !== 'both') return;
    } else {
      await this.#gate.run('delete', () => this.#client.unlink(redisKey));
    }
    this.#replica.remove(namespace, key, generation);
    this.#publish({ op: 'delete', namespace, generation, key });
  }

  async search(namespace: string, query: StoreSearch): Promise<StoreMatch[]> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const partition = this.#digest(query.partition);
    const vectorSets = await this.#useVectorSets();
    const replicaLoaded = this.#replica.isLoaded(
      namespace,
      generation,
      partition,
      this.#sync.complete,
    );
    const fromVectorSet = vectorSets && !(this.#semanticIndex === 'both' && replicaLoaded);
    const vectorSet = this.#layout.vectorSet(namespace, generation, partition);
    let candidates: VectorSetCandidate[];
    if (fromVectorSet) {
      candidates = await this.#vectorCommand(() =>
        this.#vectors.search(vectorSet, query.vector, {
          minSimilarity: query.minSimilarity,
          limit: query.limit,
        }),
      );
      // 'both': this process's replica takes over once it loaded the partition.
      if (this.#semanticIndex === 'both') {
        this.#loadPartition(namespace, generation, partition).catch((error: unknown) =>
          this.#report('loading a partition', error),
        );
      }
      this.#vectors
        .sweep(vectorSet, (element) => this.#layout.entry(namespace, generation, element))
        .catch((error: unknown) => this.#report('sweeping a vector set', error));
    } else {
      if (!replicaLoaded) await this.#loadPartition(namespace, generation, partition);
      candidates = this.#replica.search(namespace, generation, partition, query.vector, {
        minSimilarity: query.minSimilarity,
        limit: query.limit,
      });
      this.#buildTablesSoon();
    }
    if (candidates.length === 0) {
      if (this.#recordStats) this.#count(namespace, 'searchMisses');
      return [];
    }
    const redisKeys = candidates.map((match) =>
      this.#layout.entry(namespace, generation, match.id),
    );
    const values = await this.#gate.run('search', () => this.#fetch(redisKeys));
    const matches: StoreMatch[] = [];
    const gone: string[] = [];
    for (const [i, candidate] of candidates.entries()) {
      const value = values[i];
      if (!value) {
        // Deleted, evicted or expired in Redis: the replica learns it here.
        this.#replica.remove(namespace, candidate.id, generation);
        gone.push(candidate.id);
        continue;
      }
      const read = readHeader(value, false);
      if (read.ok && read.header.index?.partition !== partition) continue;
      const payload = await readPayload(value);
      if (payload !== undefined)
        matches.push({ key: candidate.id, payload, similarity: candidate.similarity });
    }
    if (fromVectorSet && gone.length > 0) {
      // Never served, and not found again.
      this.#vectors
        .remove(vectorSet, gone)
        .catch((error: unknown) => this.#report('removing vectors of missing entries', error));
    }
    if (this.#recordStats)
      this.#count(namespace, matches.length > 0 ? 'searchHits' : 'searchMisses');
    return matches;
  }

  async readOutcomes(
    namespace: string,
    keys: readonly string[],
  ): Promise<(OutcomeBin[] | undefined)[]> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    return readOutcomes(
      this.#client,
      this.#gate,
      keys.map((key) => this.#layout.outcomes(namespace, generation, outcomesTag(key))),
    );
  }

  async recordOutcome(
    namespace: string,
    key: string,
    outcome: { similarity: number; correct: boolean },
    ttlMs: number,
  ): Promise<void> {
    const generation =
      this.#generations.known(namespace) ?? (await this.#generations.current(namespace));
    const redisKey = this.#layout.outcomes(namespace, generation, outcomesTag(key));
    await recordOutcome(this.#client, this.#gate, redisKey, outcome, ttlMs);
  }

  async clear(namespace: string): Promise<void> {
    const generation = await this.#generations.bump(namespace);
    this.#publish({ op: 'generation', namespace, generation });
  }

  /**
   * Resolves once this process reads the change stream from a known position and, with
   * `replica: 'full'`, has loaded every entry; or when the store is closed. Not needed for
   * correctness: exact and semantic lookups work before it (a partition not loaded yet is read
   * from Redis on its first search). It waits as long as Redis is unreachable.
   */
  async whenSynced(): Promise<void> {
    if (this.#semanticIndex === 'replica' || this.#semanticIndex === 'both') {
      return this.#sync.whenSynced();
    }
    // Vector sets need no sync: only the replica a server without them falls back to does.
    const vectorSets = await this.#decided;
    if (!vectorSets && !this.#closed) await this.#sync.whenSynced();
  }

  /** Size and sync state of this process's replica of the index. */
  indexStats(): RedisIndexStats {
    return {
      ...this.#replica.stats(),
      mode: this.#mode,
      semanticIndex: this.#semanticIndex,
      vectorSets: this.#support.known,
      synced: this.#sync.synced,
      syncing: this.#sync.syncing,
      syncs: this.#sync.syncs,
      partitionLoads: this.#partitionLoads,
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
    this.#support.close();
    this.#decide(true);
    this.#coordinator?.close();
    await this.#sync.close();
    await this.#feed.stop();
    await Promise.allSettled([...this.#loads.values()]);
    await this.#building?.catch(() => {});
    this.#replica.clear();
  }

  /**
   * On every (re)connection: probes for vector sets (forgotten on reconnect) and starts or
   * resumes the replica's sync when the replica is used.
   */
  async #afterReady(reconnect: boolean): Promise<void> {
    if (this.#closed) return;
    let vectorSets = false;
    if (this.#semanticIndex !== 'replica') {
      try {
        vectorSets = await this.#support.supported();
      } catch (error) {
        // Calls probe again by themselves; the next connection re-runs this.
        if (this.#semanticIndex === 'both') this.#startReplica(reconnect);
        this.#report('probing for vector sets', error);
        return;
      }
    }
    if (this.#closed) return;
    this.#decide(vectorSets);
    if (!vectorSets || this.#semanticIndex === 'both') this.#startReplica(reconnect);
  }

  /** The first time, a sync of the replica; after that, what a reconnect needs. */
  #startReplica(reconnect: boolean): void {
    if (this.#replicaStarted) {
      if (reconnect) void this.#sync.reconnected();
      return;
    }
    this.#replicaStarted = true;
    this.#sync.schedule();
  }

  /**
   * Whether this call uses the server's vector sets: never with `'replica'`, else when the server
   * has them (cached probe). A server without them starts the replica this call falls back to.
   */
  async #useVectorSets(): Promise<boolean> {
    if (this.#semanticIndex === 'replica') return false;
    const supported = this.#support.known ?? (await this.#support.supported());
    if (!supported) this.#startReplica(false);
    return supported;
  }

  /** Runs a vector-set command; `unknown command` (a server swapped for an older one) re-probes. */
  async #vectorCommand<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isUnknownCommand(error)) this.#support.invalidate();
      throw error;
    }
  }

  /**
   * Loads one partition's vectors from its list in Redis (once per process, however many
   * callers ask), after the change stream is positioned so nothing written meanwhile is lost.
   */
  #loadPartition(namespace: string, generation: number, partition: string): Promise<void> {
    const id = `${namespace}\u0000${generation}\u0000${partition}`;
    let load = this.#loads.get(id);
    if (!load) {
      load = (async () => {
        await this.#sync.positioned();
        if (this.#closed) return;
        this.#replica.beginLoad(namespace, generation, partition);
        let packed: Awaited<ReturnType<typeof readPartition>> | undefined;
        try {
          packed = await readPartition(
            this.#client,
            this.#gate,
            this.#layout.partition(namespace, generation, partition),
            this.#now(),
          );
          this.#partitionLoads++;
        } finally {
          this.#replica.finishLoad(namespace, generation, partition, packed);
        }
      })().finally(() => this.#loads.delete(id));
      this.#loads.set(id, load);
    }
    return load;
  }

  /** Builds the LSH tables of large partitions in the background, a few milliseconds at a time. */
  #buildTablesSoon(): void {
    if (this.#building || this.#closed) return;
    this.#building = (async () => {
      while (!this.#closed && !this.#replica.buildTables(tableSliceMs)) await yieldToEventLoop();
    })().finally(() => {
      this.#building = undefined;
    });
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
}

const storeOptionNames = [
  'client',
  'prefix',
  'compressAboveBytes',
  'vectorEncoding',
  'index',
  'semanticIndex',
  'replica',
  'maxIndexedEntries',
  'maxPartitionEntries',
  'changeStreamMaxLength',
  'generationRefreshMs',
  'maxPendingCommands',
  'connectWaitMs',
  'coordinator',
  'leaseTtlMs',
  'recordStats',
  'onError',
  'now',
];
