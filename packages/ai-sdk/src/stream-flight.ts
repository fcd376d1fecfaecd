import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { type StoredResult, StreamRecorder } from './stored-result.js';

/**
 * One live upstream stream shared by every in-process caller of the same request. The upstream
 * is read once; each subscriber gets every part from the start, then live parts as they arrive
 * (no buffering of the first token). When the last subscriber cancels, the upstream is cancelled
 * and nothing is stored.
 */
export class StreamFlight {
  readonly #parts: LanguageModelV4StreamPart[] = [];
  readonly #subscribers = new Set<ReadableStreamDefaultController<LanguageModelV4StreamPart>>();
  readonly #recorder = new StreamRecorder();
  #reader: ReadableStreamDefaultReader<LanguageModelV4StreamPart> | undefined;
  #ended: { error?: unknown } | undefined;
  #cancelled = false;
  readonly #completion: Promise<StoredResult | undefined>;
  #resolveCompletion: (result: StoredResult | undefined) => void = () => {};

  constructor() {
    this.#completion = new Promise((resolve) => {
      this.#resolveCompletion = resolve;
    });
  }

  /**
   * Resolves with the complete result once the stream finished cleanly (and `onComplete` ran), or
   * `undefined` if it failed or was cancelled.
   */
  get completion(): Promise<StoredResult | undefined> {
    return this.#completion;
  }

  /** A new stream of every part of this flight, from the first one. */
  subscribe(): ReadableStream<LanguageModelV4StreamPart> {
    let self: ReadableStreamDefaultController<LanguageModelV4StreamPart>;
    return new ReadableStream<LanguageModelV4StreamPart>({
      start: (controller) => {
        self = controller;
        for (const part of this.#parts) controller.enqueue(part);
        if (this.#ended) {
          if (this.#ended.error !== undefined) controller.error(this.#ended.error);
          else controller.close();
          return;
        }
        this.#subscribers.add(controller);
      },
      cancel: () => {
        this.#subscribers.delete(self);
        if (this.#subscribers.size === 0 && !this.#ended) {
          this.#cancelled = true;
          this.#reader?.cancel().catch(() => {});
        }
      },
    });
  }

  /**
   * Reads `upstream` to the end, fanning parts out to subscribers. `onComplete` runs with the
   * recorded result before the flight ends, only for a stream that finished without an error part
   * and was not cancelled.
   */
  async pump(
    upstream: ReadableStream<LanguageModelV4StreamPart>,
    onComplete: (result: StoredResult, finishReason: string | undefined) => Promise<void>,
  ): Promise<void> {
    const reader = upstream.getReader();
    this.#reader = reader;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#parts.push(value);
        this.#recorder.record(value);
        for (const subscriber of this.#subscribers) {
          try {
            subscriber.enqueue(value);
          } catch {
            this.#subscribers.delete(subscriber);
          }
        }
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    const result = this.#cancelled ? undefined : this.#recorder.result();
    if (result) await onComplete(result, this.#recorder.finishReason).catch(() => {});
    this.#ended = {};
    for (const subscriber of this.#subscribers) subscriber.close();
    this.#subscribers.clear();
    this.#resolveCompletion(result);
  }

  /** Ends the flight with an error for every subscriber (upstream could not be opened or broke). */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = { error };
    for (const subscriber of this.#subscribers) subscriber.error(error);
    this.#subscribers.clear();
    this.#resolveCompletion(undefined);
  }
}
