import type { CacheStore } from './cache-store.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { describeValue, SemcacheError } from './errors.js';
import type { CacheEventEmitter } from './events.js';
import { type LoopDelay, useLoopDelay } from './loop-delay.js';
import { withTimeout } from './with-timeout.js';

/** The result of a store call: its value, or `ok: false` when it failed (already reported). */
export type StoreOutcome<T> = { ok: true; value: T } | { ok: false };

/** Options of {@link StoreCalls}. */
export interface StoreCallsOptions {
  store: CacheStore;
  events: CacheEventEmitter;
  storeTimeoutMs: number;
  circuitBreaker: CircuitBreakerOptions;
  overloadDelayMs: number;
  writeConcurrency: number;
  maxQueuedWrites: number;
  /** Counts and emits an error (the cache's `reportError`). */
  report: (operation: string, error: unknown) => void;
}

/**
 * Every call from the cache to its store, failing open: a store call that rejects or does not
 * answer in time is reported and becomes `ok: false`, never an exception.
 *
 * - Timeouts bound the wait for the store only: event-loop delay during the wait is not counted
 *   (see `withTimeout`), and an in-process store (`store.inProcess`) has none at all.
 * - The circuit breaker counts store faults only (rejections, replies late while the loop was
 *   free) and announces each change as a `circuit` event.
 * - Writes go through a queue with bounded concurrency: queued writes wait without a timer, so a
 *   burst never turns into timeouts; past `maxQueuedWrites` new writes are dropped (`shed`).
 * - {@link flush} waits for every queued and running write and every tracked piece of work.
 */
export class StoreCalls {
  readonly #options: StoreCallsOptions;
  readonly #breaker: CircuitBreaker;
  readonly #delay: LoopDelay;
  readonly #queue: (() => void)[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  #writing = 0;

  constructor(options: StoreCallsOptions) {
    this.#options = options;
    this.#breaker = new CircuitBreaker(options.circuitBreaker);
    this.#delay = useLoopDelay();
  }

  /** True while the event loop runs later than `overloadDelayMs`: optional work is skipped. */
  get overloaded(): boolean {
    return this.#delay.recentMs() > this.#options.overloadDelayMs;
  }

  /** The loop delay that made {@link overloaded} true, for messages. */
  get recentDelayMs(): number {
    return this.#delay.recentMs();
  }

  /** Writes queued or running. */
  get pendingWrites(): number {
    return this.#writing + this.#queue.length;
  }

  /**
   * Runs one store operation behind the breaker and the timeout. `timeoutMs` overrides the
   * default budget (lease commands get a longer one).
   */
  async run<T>(
    operation: string,
    send: () => Promise<T>,
    timeoutMs = this.#options.storeTimeoutMs,
  ): Promise<StoreOutcome<T>> {
    const { store } = this.#options;
    const ready = store.whenReady?.();
    if (ready) {
      // The store's first connection: it bounds this wait itself (not the per-call budget).
      try {
        await ready;
      } catch (error) {
        this.#failed(operation, error);
        return { ok: false };
      }
    }
    if (!this.#breaker.allow()) return { ok: false };
    try {
      const value = store.inProcess
        ? await send()
        : await withTimeout(send(), timeoutMs, `${store.name} store ${operation}`, this.#delay);
      if (this.#breaker.succeeded()) {
        this.#options.events.emit('circuit', {
          state: 'closed',
          reason: `${store.name} store answered a ${operation} again; the cache is in use again.`,
        });
      }
      return { ok: true, value };
    } catch (error) {
      this.#failed(operation, error);
      return { ok: false };
    }
  }

  /**
   * Runs a command that must not be skipped by an open breaker (releasing a lease: one left behind
   * stalls other callers), with a timeout; a failure is reported and the command is sent once more.
   */
  async always(operation: string, send: () => Promise<void>, timeoutMs: number): Promise<void> {
    const { store } = this.#options;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await withTimeout(send(), timeoutMs, `${store.name} store ${operation}`, this.#delay);
        return;
      } catch (error) {
        this.#options.report(operation, error);
      }
    }
  }

  /**
   * Queues a write: it starts when fewer than `writeConcurrency` writes run, then runs like
   * {@link run}. Resolves `{ ok: false }` (reported as `shed`) when the queue is full.
   */
  write(key: string, operation: string, send: () => Promise<void>): Promise<StoreOutcome<void>> {
    const { writeConcurrency, maxQueuedWrites, events } = this.#options;
    if (this.#writing >= writeConcurrency && this.#queue.length >= maxQueuedWrites) {
      events.emit('shed', {
        key,
        operation: 'write',
        reason: `${this.#queue.length} writes are queued (maxQueuedWrites); this answer was not stored.`,
      });
      return Promise.resolve({ ok: false });
    }
    const startNow = this.#writing < writeConcurrency;
    if (startNow) this.#writing++;
    const started = startNow
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.#queue.push(resolve));
    const done = started
      .then(() => this.run(operation, send))
      .finally(() => {
        // Hand this write's slot to the next queued one, or give it back.
        const next = this.#queue.shift();
        if (next) next();
        else this.#writing--;
      });
    return this.track(done);
  }

  /** Keeps `work` in {@link flush}'s view until it settles; returns it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => this.#pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves when every tracked piece of work (writes included) has settled. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending]);
    }
  }

  /** Stops the loop-delay probe this instance uses. */
  close(): void {
    this.#delay.release();
  }

  #failed(operation: string, error: unknown): void {
    const { store, events, report } = this.#options;
    report(operation, error);
    if (this.#breaker.failed()) {
      const { failureThreshold, cooldownMs } = this.#options.circuitBreaker;
      events.emit('circuit', {
        state: 'open',
        reason: `${failureThreshold} ${store.name} store operations in a row failed (last: ${operation}: ${error instanceof Error ? error.message : describeValue(error)}); calls skip the store for ${cooldownMs} ms, then try again.`,
      });
    }
  }
}

/** Wraps a non-SemcacheError store failure into one that names the store and the operation. */
export function storeFailure(storeName: string, operation: string, error: unknown): SemcacheError {
  return error instanceof SemcacheError
    ? error
    : new SemcacheError(
        'STORE_UNAVAILABLE',
        `${storeName} store: ${operation} failed: ${error instanceof Error ? error.message : describeValue(error)}. The call went on without the cache.`,
        { cause: error },
      );
}
