import type { CacheStore } from './cache-store.js';
import type { StoreCalls } from './store-calls.js';
import { addOutcome, type OutcomeBin } from './verification.js';

/** How long pooled outcomes read from the store are reused before they are read again. */
const poolRefreshMs = 2000;
/** Entries whose outcomes this process keeps when the store keeps none. */
const maxLocalEntries = 50_000;
/** How long pooled outcomes live in the store after their last update. */
const poolTtlMs = 7 * 24 * 3600 * 1000;

/** The key under which a namespace's pooled outcomes of one embedder live, per kind of candidate. */
export function poolKey(embedderId: string, informed: boolean): string {
  return `\u0000verify-pool:${informed ? 'informed' : 'uninformed'}:${embedderId}`;
}

/**
 * Verified outcomes of entries and of their embedder as a whole, read from and written to the
 * store (so they survive restarts and are shared by every process), with this process's own copy
 * when the store keeps none. Never throws: store trouble is reported and leaves the local copy.
 */
export class OutcomeBook {
  readonly #store: CacheStore;
  readonly #calls: StoreCalls;
  readonly #local = new Map<string, OutcomeBin[]>();
  readonly #pools = new Map<
    string,
    { bins: OutcomeBin[]; readAt: number; reading?: Promise<void> }
  >();

  constructor(store: CacheStore, calls: StoreCalls) {
    this.#store = store;
    this.#calls = calls;
  }

  /** Outcomes of one entry (empty when none or when the store cannot answer). */
  async entry(namespace: string, key: string): Promise<OutcomeBin[]> {
    const store = this.#store;
    if (store.readOutcomes) {
      const read = await this.#calls.run('outcomes', () =>
        (store.readOutcomes as NonNullable<CacheStore['readOutcomes']>)(namespace, [key]),
      );
      if (read.ok && Array.isArray(read.value)) return read.value[0] ?? [];
    }
    return this.#local.get(`${namespace}\u0000${key}`) ?? [];
  }

  /**
   * The pooled outcomes of an embedder in a namespace: this process's copy, refreshed from the
   * store in the background at most every 2 s (a decision never waits for it).
   */
  pooled(
    namespace: string,
    embedderId: string,
  ): { uninformed: OutcomeBin[]; informed: OutcomeBin[] } {
    return {
      uninformed: this.#pool(namespace, embedderId, false),
      informed: this.#pool(namespace, embedderId, true),
    };
  }

  #pool(namespace: string, embedderId: string, informed: boolean): OutcomeBin[] {
    const key = poolKey(embedderId, informed);
    const id = `${namespace}\u0000${key}`;
    let pool = this.#pools.get(id);
    if (!pool) {
      pool = { bins: [], readAt: 0 };
      this.#pools.set(id, pool);
    }
    const store = this.#store;
    if (store.readOutcomes && !pool.reading && Date.now() - pool.readAt > poolRefreshMs) {
      const current = pool;
      current.reading = this.#calls
        .run('outcomes', () =>
          (store.readOutcomes as NonNullable<CacheStore['readOutcomes']>)(namespace, [key]),
        )
        .then((read) => {
          if (read.ok && Array.isArray(read.value?.[0])) current.bins = read.value[0];
        })
        .finally(() => {
          current.readAt = Date.now();
          current.reading = undefined;
        });
    }
    return pool.bins;
  }

  /** Records one verified outcome for the entry and for its embedder's pool. */
  async record(
    namespace: string,
    key: string,
    embedderId: string,
    informed: boolean,
    similarity: number,
    correct: boolean,
    entryTtlMs: number,
  ): Promise<void> {
    const localKey = `${namespace}\u0000${key}`;
    if (this.#local.size >= maxLocalEntries && !this.#local.has(localKey)) {
      const oldest = this.#local.keys().next().value;
      if (oldest !== undefined) this.#local.delete(oldest);
    }
    this.#local.set(localKey, addOutcome(this.#local.get(localKey) ?? [], similarity, correct));
    addOutcome(this.#pool(namespace, embedderId, informed), similarity, correct);
    const store = this.#store;
    const write = store.recordOutcome;
    if (!write) return;
    await Promise.all([
      this.#calls.run('outcomes', () =>
        write.call(store, namespace, key, { similarity, correct }, entryTtlMs),
      ),
      this.#calls.run('outcomes', () =>
        write.call(
          store,
          namespace,
          poolKey(embedderId, informed),
          { similarity, correct },
          poolTtlMs,
        ),
      ),
    ]);
  }
}
