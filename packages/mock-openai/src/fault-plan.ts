import { type MockErrorStatus, mockErrorStatuses } from './openai-error.js';

/** Options for {@link MockOpenAIServer.failNext}. */
export interface FailNextOptions {
  status: MockErrorStatus;
  /** How many consecutive API requests fail. Default 1. */
  count?: number;
  /** Overrides the default OpenAI-style error message. */
  message?: string;
  /**
   * For 429: the `retry-after-ms` header (and `retry-after`, rounded up to seconds). Default 0,
   * so SDK retries in tests do not sleep.
   */
  retryAfterMs?: number;
}

/** Options for {@link MockOpenAIServer.cutNextStream}. */
export interface CutStreamOptions {
  /** Delta chunks (reasoning, content or tool-call pieces) sent before the socket is destroyed. */
  afterChunks: number;
}

/** A failure to serve in place of the real response. */
export interface InjectedFailure {
  status: MockErrorStatus;
  message: string | undefined;
  retryAfterMs: number;
}

/** Queues of injected faults, consumed in the order they were added. */
export class FaultPlan {
  readonly #failures: Array<InjectedFailure & { remaining: number }> = [];
  readonly #cuts: number[] = [];

  /** Queues `count` failures with `status`. */
  failNext(options: FailNextOptions): void {
    const { status, count = 1, message, retryAfterMs = 0 } = options;
    if (!mockErrorStatuses.has(status)) {
      throw new RangeError(
        `failNext: unsupported status ${String(status)}; use one of ${[...mockErrorStatuses].join(', ')}.`,
      );
    }
    assertCount('failNext: count', count, 1);
    assertCount('failNext: retryAfterMs', retryAfterMs, 0);
    this.#failures.push({ status, message, retryAfterMs, remaining: count });
  }

  /** Queues a cut of the next streamed response after `afterChunks` delta chunks. */
  cutNextStream(options: CutStreamOptions): void {
    assertCount('cutNextStream: afterChunks', options.afterChunks, 0);
    this.#cuts.push(options.afterChunks);
  }

  /** Takes the next queued failure, if any. */
  takeFailure(): InjectedFailure | undefined {
    const head = this.#failures[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining === 0) this.#failures.shift();
    return { status: head.status, message: head.message, retryAfterMs: head.retryAfterMs };
  }

  /** Takes the next queued stream cut, if any. */
  takeCut(): number | undefined {
    return this.#cuts.shift();
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#failures.length = 0;
    this.#cuts.length = 0;
  }
}

function assertCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}.`);
  }
}
