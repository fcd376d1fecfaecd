import type { SemcacheError } from './errors.js';

/** Why a lookup missed. */
export type MissReason =
  | 'not-found'
  | 'bypass'
  | 'refresh'
  | 'uncacheable'
  | 'too-large'
  | 'store-error'
  /** The exact lookup missed and the semantic search was skipped: the process was overloaded. */
  | 'shed'
  /**
   * Verified caching: a semantic candidate was not certain enough to serve, so the model is called
   * and its answer compared with the candidate's to learn.
   */
  | 'verifying';

/** Payload of each event, by name. */
export interface CacheEvents {
  hit: {
    kind: 'exact' | 'semantic';
    key: string;
    similarity: number;
    ageMs: number;
    savedUsd: number | undefined;
    latencyMs: number;
  };
  miss: { key: string; reason: MissReason; latencyMs: number };
  /** A semantic candidate above the threshold that a guard refused to serve. */
  veto: { key: string; candidateKey: string; similarity: number; reason: string };
  store: { key: string; bytes: number; ttlMs: number };
  /** A caller that waited for another caller's model call instead of making its own. */
  coalesced: { key: string; scope: 'process' | 'distributed' };
  /** A cache operation failed; the call went on without the cache. Never thrown to the app. */
  error: { operation: string; error: SemcacheError };
  /**
   * Cache work skipped because the process is overloaded (event-loop delay above
   * `overloadDelayMs`) or the write queue is full. `operation`: `'semantic-search'` or `'write'`.
   */
  shed: { key: string; operation: 'semantic-search' | 'write'; reason: string };
  /**
   * Verified caching: a candidate's answer was compared with the model's fresh one. `correct`:
   * serving it would have been right; `errorEstimate`: the bound that made the cache verify.
   */
  verify: {
    key: string;
    candidateKey: string;
    similarity: number;
    correct: boolean;
    errorEstimate: number;
  };
  /**
   * The circuit breaker opened (store faults: calls skip the store for a while) or closed again
   * (the store answered). `reason` says why, for an operator.
   */
  circuit: { state: 'open' | 'closed'; reason: string };
}

/** Name of a cache event. */
export type CacheEventName = keyof CacheEvents;

/** A listener of one event. */
export type CacheEventListener<E extends CacheEventName> = (payload: CacheEvents[E]) => void;

/**
 * A small typed event emitter whose listeners cannot break a call: a listener that throws is
 * reported on `onListenerError` (default: ignored) and the others still run.
 */
export class CacheEventEmitter {
  readonly #listeners = new Map<CacheEventName, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  /** True when someone listens to `event` (lets callers skip building payloads). */
  hasListeners(event: CacheEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; never throws. */
  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as CacheEventListener<E>)(payload);
      } catch (error) {
        try {
          this.#onListenerError(error);
        } catch {
          // A failing error handler must not break the call either.
        }
      }
    }
  }
}
