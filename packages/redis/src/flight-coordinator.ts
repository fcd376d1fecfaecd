import { randomUUID } from 'node:crypto';
import type { FlightCoordinator } from '@semcache/core';
import { withTimeout } from '@semcache/core/internal';
import type { CommandGate } from './command-gate.js';
import type { Generations } from './generations.js';
import type { KeyLayout } from './key-layout.js';
import { luaScript, type RedisClient, runScript } from './redis-client.js';

/**
 * Takes the lease unless the entry is already stored (returns 0: the caller then waits, finds
 * no lease and reads the entry) or another process holds it (-1). Lease and entry share the
 * exact key's hash tag, so this is one slot in a Cluster.
 */
const acquireScript = luaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return -1
`);

/** Compare-and-delete: only the holder's token releases the lease; waiters hear it at once. */
const releaseScript = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0
`);

/** Compare-and-expire: only the holder's token extends the lease. */
const renewScript = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** Options of {@link RedisFlightCoordinator}. */
export interface RedisFlightCoordinatorOptions {
  client: RedisClient;
  gate: CommandGate;
  layout: KeyLayout;
  generations: Generations;
  /** A connection of the coordinator's own for SUBSCRIBE. */
  subscriber: RedisClient;
  /** Longest pause between two checks of a lease while subscribed. Default `1000`. */
  maxCheckIntervalMs?: number;
  /** A lease check that takes longer than this counts as "Redis unavailable": stop waiting. Default `250`. */
  checkTimeoutMs?: number;
  /**
   * Time to live of a lease in Redis. The holder renews it every third of this while it works, up
   * to the `leaseMs` it asked for, so a lease whose holder died, or whose release or grant got
   * lost in a timeout, holds its waiters at most this long. Default `3000`.
   */
  leaseTtlMs?: number;
}

/**
 * Distributed single-flight over Redis. A lease is `SET lease token NX PX leaseTtlMs`, renewed by
 * its holder while it works (up to `leaseMs` in all); release is a compare-and-delete script that
 * also publishes the release. Waiters hear the release on pub/sub, and also re-check the lease
 * when it is due to expire, so a leader that died, or a lease nobody holds any more, keeps them
 * waiting no longer than `leaseTtlMs`. Any doubt (Redis unreachable, slow, a check failing) ends
 * the wait: the caller then computes itself, which is always safe.
 */
export class RedisFlightCoordinator implements FlightCoordinator {
  readonly #options: Required<RedisFlightCoordinatorOptions>;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #renewals = new Set<() => void>();
  #subscribed = false;
  #closed = false;

  constructor(options: RedisFlightCoordinatorOptions) {
    this.#options = { maxCheckIntervalMs: 1000, checkTimeoutMs: 250, leaseTtlMs: 3000, ...options };
    const { subscriber, layout } = this.#options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === layout.flights) this.#wake(message);
    });
    // ioredis re-subscribes after a reconnect; until then waiters fall back to short polls.
    subscriber.on('ready', () => void this.#subscribe());
    subscriber.on('close', () => {
      this.#subscribed = false;
    });
    void this.#subscribe();
  }

  async tryAcquire(
    namespace: string,
    key: string,
    leaseMs: number,
  ): Promise<(() => Promise<void>) | undefined> {
    const { client, gate, layout, generations, leaseTtlMs } = this.#options;
    const generation = generations.known(namespace) ?? (await generations.current(namespace));
    const lease = layout.lease(namespace, key);
    const token = randomUUID();
    const endsAt = Date.now() + leaseMs;
    const result = await gate.run('lease', () =>
      runScript(
        client,
        acquireScript,
        [lease, layout.entry(namespace, generation, key)],
        [token, Math.max(1, Math.ceil(Math.min(leaseMs, leaseTtlMs)))],
      ),
    );
    if (Number(result) !== 1) return undefined;
    const stopRenewing = this.#renew(lease, token, endsAt);
    let released = false;
    // A release that failed may be sent again; once one succeeded, later calls do nothing.
    return async () => {
      if (released) return;
      stopRenewing();
      await gate.run('release', () =>
        runScript(client, releaseScript, [lease], [token, layout.flights]),
      );
      released = true;
    };
  }

  /** Extends the lease every third of its TTL until `endsAt`, the lease is lost, or stop. */
  #renew(lease: string, token: string, endsAt: number): () => void {
    const { client, gate, leaseTtlMs } = this.#options;
    const everyMs = Math.max(1, Math.floor(leaseTtlMs / 3));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      clearTimeout(timer);
      this.#renewals.delete(stop);
    };
    const schedule = () => {
      timer = setTimeout(tick, everyMs);
      timer.unref?.();
    };
    const tick = async () => {
      const ttlMs = Math.min(leaseTtlMs, endsAt - Date.now());
      if (ttlMs < 1) return stop();
      try {
        const renewed = await withTimeout(
          gate.run('lease renew', () =>
            runScript(client, renewScript, [lease], [token, Math.ceil(ttlMs)]),
          ),
          everyMs,
          'Redis lease renewal',
        );
        // 0: the lease expired or was taken over; renewing it now could extend someone else's.
        if (Number(renewed) !== 1) return stop();
      } catch {
        // Redis is slow or away: try again next time, the lease expires by itself meanwhile.
      }
      if (this.#renewals.has(stop)) schedule();
    };
    this.#renewals.add(stop);
    schedule();
    return stop;
  }

  waitForRelease(namespace: string, key: string, timeoutMs: number): Promise<void> {
    const { client, gate, layout, maxCheckIntervalMs, checkTimeoutMs } = this.#options;
    const lease = layout.lease(namespace, key);
    return new Promise<void>((resolve) => {
      let done = false;
      let checkTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(checkTimer);
        clearTimeout(deadline);
        const set = this.#waiters.get(lease);
        set?.delete(finish);
        if (set?.size === 0) this.#waiters.delete(lease);
        resolve();
      };
      const deadline = setTimeout(finish, Math.max(0, timeoutMs));
      deadline.unref?.();
      if (this.#closed) return finish();
      let set = this.#waiters.get(lease);
      if (!set) {
        set = new Set();
        this.#waiters.set(lease, set);
      }
      set.add(finish);
      const check = async () => {
        if (done) return;
        let remainingMs: number;
        try {
          remainingMs = Number(
            await withTimeout(
              gate.run('lease check', () => client.pttl(lease)),
              checkTimeoutMs,
              'Redis PTTL',
            ),
          );
        } catch {
          return finish();
        }
        // -2: no lease (released or expired); -1: a key without expiry is no lease of ours.
        if (remainingMs < 0) return finish();
        const interval = this.#subscribed ? maxCheckIntervalMs : 100;
        checkTimer = setTimeout(check, Math.min(remainingMs + 2, interval));
        checkTimer.unref?.();
      };
      void check();
    });
  }

  /** Ends every wait, stops renewing held leases (they expire by themselves) and closes the subscriber connection. */
  close(): void {
    this.#closed = true;
    for (const stop of [...this.#renewals]) stop();
    for (const set of [...this.#waiters.values()]) for (const finish of [...set]) finish();
    this.#options.subscriber.disconnect();
  }

  async #subscribe(): Promise<void> {
    const { subscriber, layout } = this.#options;
    if (this.#closed || subscriber.status !== 'ready') return;
    try {
      await subscriber.subscribe(layout.flights);
      this.#subscribed = true;
    } catch {
      this.#subscribed = false;
    }
  }

  #wake(lease: string): void {
    const set = this.#waiters.get(lease);
    if (set) for (const finish of [...set]) finish();
  }
}
