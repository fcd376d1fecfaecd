import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import { type BaseMessage, getBufferString } from '@langchain/core/messages';

/** How many unfinished runs the handler remembers; older ones are forgotten first. */
const maxTrackedRuns = 10_000;

/**
 * A LangChain callback handler that reports failed model calls to the cache, so calls waiting
 * for a failed identical call stop waiting at once instead of at `coalesceTimeoutMs`. LangChain
 * tells a `BaseCache` nothing about failures; only callbacks see them. Get it from
 * `SemanticCache.failureHandler`.
 */
export class FailureHandler extends BaseCallbackHandler {
  /** @internal */
  name = 'semcache-failure-handler';
  /** Run before LangChain rethrows, so waiters are released before the caller even sees the error. */
  override awaitHandlers = true;
  readonly #prompts = new Map<string, string>();
  /** Runs in flight per prompt. */
  readonly #running = new Map<string, number>();
  readonly #onFailure: (prompt: string) => void;

  /** @param onFailure Called with the prompt (as LangChain renders it for caches) of a failed call. */
  constructor(onFailure: (prompt: string) => void) {
    super();
    this.#onFailure = onFailure;
  }

  /**
   * True while a run of `prompt` is in flight: its failure will be reported. LangChain starts a
   * run (and this handler hears it) before it looks the prompt up in the cache.
   */
  watching(prompt: string): boolean {
    return this.#running.has(prompt);
  }

  /** @internal */
  override handleChatModelStart(_llm: Serialized, messages: BaseMessage[][], runId: string): void {
    const [first] = messages;
    if (messages.length === 1 && first) this.#remember(runId, getBufferString(first));
  }

  /** @internal */
  override handleLLMStart(_llm: Serialized, prompts: string[], runId: string): void {
    const [first] = prompts;
    if (prompts.length === 1 && first !== undefined) this.#remember(runId, first);
  }

  /** @internal */
  override handleLLMEnd(_output: unknown, runId: string): void {
    this.#forget(runId);
  }

  /** @internal */
  override handleLLMError(_error: unknown, runId: string): void {
    const prompt = this.#forget(runId);
    if (prompt !== undefined) this.#onFailure(prompt);
  }

  #remember(runId: string, prompt: string): void {
    if (this.#prompts.size >= maxTrackedRuns) {
      const oldest = this.#prompts.keys().next().value;
      if (oldest !== undefined) this.#forget(oldest);
    }
    this.#prompts.set(runId, prompt);
    this.#running.set(prompt, (this.#running.get(prompt) ?? 0) + 1);
  }

  #forget(runId: string): string | undefined {
    const prompt = this.#prompts.get(runId);
    if (prompt === undefined) return undefined;
    this.#prompts.delete(runId);
    const left = (this.#running.get(prompt) ?? 1) - 1;
    if (left > 0) this.#running.set(prompt, left);
    else this.#running.delete(prompt);
    return prompt;
  }
}
