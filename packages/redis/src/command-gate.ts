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

  constructor(client: RedisClient, maxPending: number) {
    this.#client = client;
    this.#maxPending = maxPending;
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
    const status = this.#client.status;
    if (status !== 'ready') {
      throw new SemcacheError(
        'STORE_UNAVAILABLE',
        `RedisStore ${operation}: the Redis connection is ${status}, not ready; the call went on without the cache and caching resumes once the client reconnects.`,
      );
    }
    if (this.#pending >= this.#maxPending) {
      throw new SemcacheError(
        'STORE_UNAVAILABLE',
        `RedisStore ${operation}: ${this.#pending} commands are waiting for Redis (maxPendingCommands); the call went on without the cache. Redis is slow or frozen: check its health.`,
      );
    }
  }
}
