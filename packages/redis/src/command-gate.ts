import { SemcacheError } from '@semcache/core';
import type { RedisClient } from './redis-client.js';

/**
 * Lets a command through only when the client is connected and fewer than `maxPending`
 * commands are waiting for a reply. Otherwise it rejects at once, so a store call never sits in
 * ioredis's offline queue while Redis is away, and a frozen server cannot make commands pile up
 * without bound.
 */
export class CommandGate {
  readonly #client: RedisClient;
  readonly #maxPending: number;
  #pending = 0;
  #closed = false;
  /** Until the first `ready` (or the bound): the initial connection callers may wait for. */
  #initial: Promise<void> | undefined;

  /**
   * @param connectWaitMs How long calls may wait for the client's *initial* connection, counted
   *   from now; `0` never waits.
   */
  constructor(client: RedisClient, maxPending: number, connectWaitMs = 0) {
    this.#client = client;
    this.#maxPending = maxPending;
    if (client.status !== 'ready' && connectWaitMs > 0) {
      const initial = new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', onReady);
          client.off('end', onEnd);
          if (this.#initial === initial) this.#initial = undefined;
        };
        const onReady = () => {
          done();
          resolve();
        };
        const onEnd = () => {
          done();
          reject(this.#refusal('connect'));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new SemcacheError(
              'STORE_UNAVAILABLE',
              `RedisStore: the first connection to Redis was not ready within ${connectWaitMs} ms (connectWaitMs); calls go on without the cache and caching starts once the client connects. Check REDIS_URL and that Redis is up.`,
            ),
          );
        }, connectWaitMs);
        timer.unref?.();
        client.on('ready', onReady);
        client.once('end', onEnd);
      });
      // Nobody may be waiting when it gives up; that is not an unhandled rejection.
      initial.catch(() => {});
      this.#initial = initial;
    }
  }

  /**
   * While the client makes its first connection (within the bound given to the constructor), a
   * promise that resolves when it is ready or rejects when the bound passed; otherwise
   * `undefined`: commands go (or fail) at once. A connection lost later never waits here.
   */
  whenReady(): Promise<void> | undefined {
    return this.#closed ? undefined : this.#initial;
  }

  /** Commands sent and not answered yet. */
  get pending(): number {
    return this.#pending;
  }

  /** True when a command would be let through now. */
  get open(): boolean {
    return !this.#closed && this.#client.status === 'ready' && this.#pending < this.#maxPending;
  }

  /** Refuses every later command. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Runs `send` when the client is ready and below the pending limit.
   *
   * @throws {SemcacheError} `STORE_UNAVAILABLE` right away when it is not.
   */
  async run<T>(operation: string, send: () => Promise<T>): Promise<T> {
    this.#check(operation);
    this.#pending++;
    try {
      return await send();
    } finally {
      this.#pending--;
    }
  }

  #check(operation: string): void {
    if (this.#closed) {
      throw new SemcacheError(
        'STORE_UNAVAILABLE',
        `RedisStore ${operation}: the store is closed; create a new RedisStore to use the cache again.`,
      );
    }
    if (this.#client.status !== 'ready') throw this.#refusal(operation);
    if (this.#pending >= this.#maxPending) {
      throw new SemcacheError(
        'STORE_UNAVAILABLE',
        `RedisStore ${operation}: ${this.#pending} commands are waiting for Redis (maxPendingCommands); the call went on without the cache. Redis is slow or frozen: check its health.`,
      );
    }
  }

  #refusal(operation: string): SemcacheError {
    return new SemcacheError(
      'STORE_UNAVAILABLE',
      `RedisStore ${operation}: the Redis connection is ${this.#client.status}, not ready; the call went on without the cache and caching resumes once the client reconnects.`,
    );
  }
}
