import type { OutcomeBin } from './verification.js';

/** What a store keeps for one entry. `payload` is opaque to the store (encoded by the codec). */
export interface StoreRecord {
  /** The entry's exact key. */
  key: string;
  /** Encoded entry. */
  payload: string;
  /** Time to live in milliseconds; the store must never return the record after it. */
  ttlMs: number;
  /** Present when the entry can be matched semantically. */
  index?: { partition: string; vector: Float32Array };
  /** Plain labels for administration (clear by model or tenant); never secret. */
  labels?: { modelId?: string; tenant?: string };
}

/** One semantic candidate returned by {@link CacheStore.search}. */
export interface StoreMatch {
  key: string;
  payload: string;
  /** Cosine similarity in [0, 1]. */
  similarity: number;
}

/** Nearest-neighbour query inside one partition. */
export interface StoreSearch {
  partition: string;
  vector: Float32Array;
  /** Only candidates with at least this similarity are returned. */
  minSimilarity: number;
  /** At most this many candidates, best first. */
  limit: number;
}

/** Lets several processes agree on which one calls the model for a key. */
export interface FlightCoordinator {
  /**
   * Tries to become the one caller for `key`. Returns a release function when acquired (call it
   * after storing the result, or on failure; the cache calls it again if it rejects, so it must
   * be safe to repeat), `undefined` when another process holds the lease.
   */
  tryAcquire(
    namespace: string,
    key: string,
    leaseMs: number,
  ): Promise<(() => Promise<void>) | undefined>;
  /** Resolves when the holder releases `key`, or after `timeoutMs`, whichever comes first. */
  waitForRelease(namespace: string, key: string, timeoutMs: number): Promise<void>;
}

/** Options of {@link CacheStore.get}. */
export interface StoreGetOptions {
  /**
   * True when the cache reads the key once more for a request whose lookup it has already made
   * (the check a cross-process leader makes before calling the model, and the read after waiting
   * for another process's lease), so a store that counts lookups counts each request once.
   */
  recheck?: boolean;
}

/**
 * Where entries live. Implementations: `MemoryStore` (core), `RedisStore` (@semcache/redis).
 * Every method may reject; the cache treats a rejection or a timeout as a miss (fail open).
 */
export interface CacheStore {
  /** Short name used in events and errors, e.g. `'memory'` or `'redis'`. */
  readonly name: string;
  /**
   * The entry stored under `key`. `options.recheck` is true when the cache reads it again for a
   * request it has already looked up (see {@link StoreGetOptions}).
   */
  get(namespace: string, key: string, options?: StoreGetOptions): Promise<string | undefined>;
  set(namespace: string, record: StoreRecord): Promise<void>;
  delete(namespace: string, key: string): Promise<void>;
  /** Nearest neighbours of `query.vector` in one partition, best first. */
  search(namespace: string, query: StoreSearch): Promise<StoreMatch[]>;
  /** Drops every entry of `namespace`. */
  clear(namespace: string): Promise<void>;
  /** Present on stores shared by several processes. */
  readonly coordinator?: FlightCoordinator;
  /**
   * True for a store in this process's memory (no I/O): its calls get no timeout, since there is
   * nothing to wait for.
   */
  readonly inProcess?: boolean;
  /**
   * While the store is still making its *initial* connection, a promise that resolves once it can
   * take commands (or rejects when it gave up, within a bound the store documents); otherwise
   * `undefined`, and calls go ahead at once. Lets a new process's first call use the store instead
   * of missing. A store that lost its connection later must fail fast instead.
   */
  whenReady?(): Promise<void> | undefined;
  /**
   * Verified-caching outcomes (see `verify` in the cache options) of `keys`, by similarity bin; an
   * entry without any gives `undefined`. Optional: without these two methods outcomes live in
   * this process only. Keys may name entries or a pool (`\u0000verify-pool:<embedder id>`).
   */
  readOutcomes?(namespace: string, keys: readonly string[]): Promise<(OutcomeBin[] | undefined)[]>;
  /** Adds one outcome to `key`'s bins, kept at least `ttlMs` (an entry's: as long as it lives). */
  recordOutcome?(
    namespace: string,
    key: string,
    outcome: { similarity: number; correct: boolean },
    ttlMs: number,
  ): Promise<void>;
  /** Releases timers and connections the store owns. */
  close(): Promise<void>;
}
