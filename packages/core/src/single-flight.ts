/**
 * Runs at most one `task` per key at a time in this process: callers that arrive while a task for
 * their key is running share its promise (and its rejection). The key is free again as soon as
 * the task settles, so the next call after a failure runs the task anew.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Number of keys with a running task. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** True when a task for `key` is running. */
  has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /**
   * Runs `task` unless one is running for `key`. `shared` is true for callers that joined a
   * running task instead of starting one.
   */
  run(key: string, task: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
    const running = this.#inFlight.get(key);
    if (running) return { promise: running, shared: true };
    const promise = Promise.resolve()
      .then(task)
      .finally(() => {
        if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, promise);
    return { promise, shared: false };
  }
}
