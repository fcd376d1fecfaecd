/** Counts requests in flight (until their body's last byte) so shutdown can wait for them. */
export class InFlight {
  #count = 0;
  #idle: (() => void)[] = [];

  /** Requests in flight now. */
  get count(): number {
    return this.#count;
  }

  /** Marks one request started; call the returned function once when it ended (idempotent). */
  begin(): () => void {
    this.#count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#count--;
      if (this.#count === 0) {
        const idle = this.#idle;
        this.#idle = [];
        for (const wake of idle) wake();
      }
    };
  }

  /** Resolves with `true` once nothing is in flight, or `false` after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
