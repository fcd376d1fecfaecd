/**
 * One producer's items, delivered live to any number of consumers; a consumer that joins late
 * first receives what it missed. The producer is told (`onAbandoned`) when every consumer has
 * left before the end, so it can stop.
 */
export class LiveStream<T, R> {
  readonly #items: T[] = [];
  #state: { kind: 'open' } | { kind: 'done'; result: R } | { kind: 'failed'; error: unknown } = {
    kind: 'open',
  };
  #wakers: (() => void)[] = [];
  #consumers = 0;
  #abandoned = false;
  readonly #onAbandoned: () => void;

  constructor(onAbandoned: () => void) {
    this.#onAbandoned = onAbandoned;
  }

  /** The result passed to `end`, once the stream ended; `undefined` before or after `fail`. */
  get result(): R | undefined {
    return this.#state.kind === 'done' ? this.#state.result : undefined;
  }

  /** True once every consumer left before the end. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** Adds an item for every consumer. */
  push(item: T): void {
    if (this.#state.kind !== 'open') return;
    this.#items.push(item);
    this.#wake();
  }

  /** Ends the stream with a result consumers can read after the last item. */
  end(result: R): void {
    if (this.#state.kind !== 'open') return;
    this.#state = { kind: 'done', result };
    this.#wake();
  }

  /** Ends the stream with an error every consumer receives after the items before it. */
  fail(error: unknown): void {
    if (this.#state.kind !== 'open') return;
    this.#state = { kind: 'failed', error };
    this.#wake();
  }

  /**
   * Iterates over every item (those already pushed first) until the end; read `result` then.
   * Stops with `signal.reason` when `signal` aborts; only this consumer leaves.
   */
  async *subscribe(signal?: AbortSignal): AsyncGenerator<T, void> {
    this.#consumers++;
    let index = 0;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const item = this.#items[index];
        if (index < this.#items.length) {
          index++;
          yield item as T;
          continue;
        }
        if (this.#state.kind === 'done') return;
        if (this.#state.kind === 'failed') throw this.#state.error;
        await this.#next(signal);
      }
    } finally {
      this.#consumers--;
      if (this.#consumers === 0 && this.#state.kind === 'open') {
        this.#abandoned = true;
        this.#onAbandoned();
      }
    }
  }

  #next(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const onAbort = () => resolve();
      const waker = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#wakers.push(waker);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const waker of wakers) waker();
  }
}
