/** What a caller of {@link PendingUpdates.claim} should do. */
export type Claim<V> =
  | {
      /** No identical call is running: this caller computes, then calls `settle` (or never does). */
      leader: true;
      /** Called when the flight ends (settled or expired); for releasing resources. */
      onEnd(cleanup: () => void): void;
    }
  | {
      leader: false;
      /** Token of the leader's call; waiting is pointless when it equals the caller's own. */
      leaderToken: object;
      /** The leader's value, or `undefined` when the leader did not settle in time. */
      wait(): Promise<V | undefined>;
    };

interface Flight<V> {
  token: object;
  tag: string | undefined;
  promise: Promise<V | undefined>;
  resolve(value: V | undefined): void;
  timer: ReturnType<typeof setTimeout>;
  cleanups: (() => void)[];
}

/** How a leader claims its key. */
export interface ClaimOptions {
  /** How long the leader may hold the key without settling. */
  timeoutMs: number;
  /** Names the leader's call for {@link PendingUpdates.abandonTagged}. */
  tag?: string;
}

/**
 * Lookup-to-update coalescing for LangChain's cache protocol (lookup, then the model call, then
 * update, with nothing in between the cache can see). The first caller that misses a key becomes
 * its leader; later callers of that key wait for the leader's `settle` instead of calling the
 * model too. A leader that never settles (its model call failed) holds the key for its
 * `timeoutMs` at most; then its waiters are released with `undefined` and the key is free for a
 * new leader.
 */
export class PendingUpdates<V> {
  readonly #flights = new Map<string, Flight<V>>();

  /** Number of keys with a running leader. */
  get size(): number {
    return this.#flights.size;
  }

  /** Becomes the leader of `key`, or joins its running leader. */
  claim(key: string, token: object, options: ClaimOptions): Claim<V> {
    const running = this.#flights.get(key);
    if (running) return { leader: false, leaderToken: running.token, wait: () => running.promise };
    let resolve!: (value: V | undefined) => void;
    const promise = new Promise<V | undefined>((done) => {
      resolve = done;
    });
    const flight: Flight<V> = {
      token,
      tag: options.tag,
      promise,
      resolve,
      timer: setTimeout(() => this.#end(key, flight, undefined), options.timeoutMs),
      cleanups: [],
    };
    flight.timer.unref?.();
    this.#flights.set(key, flight);
    return { leader: true, onEnd: (cleanup) => flight.cleanups.push(cleanup) };
  }

  /** Hands `value` to every caller waiting on `key` and frees the key. No-op without a leader. */
  settle(key: string, value: V): void {
    const flight = this.#flights.get(key);
    if (flight) this.#end(key, flight, value);
  }

  /** Releases every caller waiting on `key` without a value. No-op without a leader. */
  abandon(key: string): void {
    const flight = this.#flights.get(key);
    if (flight) this.#end(key, flight, undefined);
  }

  /** Releases the waiters of every leader claimed with `tag`, whose call is known to have failed. */
  abandonTagged(tag: string): void {
    for (const [key, flight] of [...this.#flights]) {
      if (flight.tag === tag) this.#end(key, flight, undefined);
    }
  }

  #end(key: string, flight: Flight<V>, value: V | undefined): void {
    if (this.#flights.get(key) !== flight) return;
    this.#flights.delete(key);
    clearTimeout(flight.timer);
    flight.resolve(value);
    for (const cleanup of flight.cleanups) {
      try {
        cleanup();
      } catch {
        // A failing cleanup must not keep waiters waiting.
      }
    }
  }
}
