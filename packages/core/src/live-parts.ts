/**
 * One producer's items (the parts of a live model stream, in any framework's shape), delivered
 * live to any number of consumers; a consumer that joins late first receives what it missed. The
 * producer is told (`onAbandoned`) when every consumer has left before the end, so it can stop.
 */
export class LiveParts<T, R = void> {
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

  /** Every item pushed so far, in order. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** True once the stream ended or failed. */
  get settled(): boolean {
    return this.#state.kind !== 'open';
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
   * The consumer counts from this call on. It leaves when it stops iterating (`return()`, also
   * while waiting for the next item) or when `signal` aborts (then `next()` rejects with
   * `signal.reason`); only this consumer leaves.
   */
  subscribe(signal?: AbortSignal): AsyncIterableIterator<T> {
    this.#consumers++;
    let index = 0;
    let left = false;
    let wake: (() => void) | undefined;
    const leave = () => {
      if (left) return;
      left = true;
      signal?.removeEventListener('abort', onAbort);
      wake?.();
      this.#consumers--;
      if (this.#consumers === 0 && this.#state.kind === 'open') {
        this.#abandoned = true;
        this.#onAbandoned();
      }
    };
    const onAbort = () => leave();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): IteratorResult<T> => ({ done: true, value: undefined });
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        for (;;) {
          if (signal?.aborted) {
            leave();
            throw signal.reason;
          }
          if (left) return done();
          if (index < this.#items.length) return { done: false, value: this.#items[index++] as T };
          if (this.#state.kind === 'done') {
            leave();
            return done();
          }
          if (this.#state.kind === 'failed') {
            leave();
            throw this.#state.error;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            this.#wakers.push(resolve);
          });
          wake = undefined;
        }
      },
      return: async () => {
        leave();
        return done();
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const waker of wakers) waker();
  }
}

/**
 * Reads a web `ReadableStream` as an async iterable whose reading stops (the stream is cancelled)
 * the moment `signal` aborts, even while a read is pending.
 */
export async function* readParts<P>(
  stream: ReadableStream<P>,
  signal: AbortSignal,
): AsyncGenerator<P, void> {
  const reader = stream.getReader();
  const cancel = () => {
    reader.cancel(signal.reason).catch(() => {});
  };
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}

/**
 * A web `ReadableStream` of an async iterable's items, pulled one at a time (no buffering ahead);
 * cancelling the stream ends the iteration (`return()`), so a shared stream loses this reader.
 */
export function toReadableStream<P>(parts: AsyncIterable<P>): ReadableStream<P> {
  const iterator = parts[Symbol.asyncIterator]();
  return new ReadableStream<P>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
