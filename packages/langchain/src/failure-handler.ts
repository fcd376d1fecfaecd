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
  readonly #onFailure: (prompt: string) => void;

  /** @param onFailure Called with the prompt (as LangChain renders it for caches) of a failed call. */
  constructor(onFailure: (prompt: string) => void) {
    super();
    this.#onFailure = onFailure;
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
    this.#prompts.delete(runId);
  }

  /** @internal */
  override handleLLMError(_error: unknown, runId: string): void {
    const prompt = this.#prompts.get(runId);
    this.#prompts.delete(runId);
    if (prompt !== undefined) this.#onFailure(prompt);
  }

  #remember(runId: string, prompt: string): void {
    if (this.#prompts.size >= maxTrackedRuns) {
      const oldest = this.#prompts.keys().next().value;
      if (oldest !== undefined) this.#prompts.delete(oldest);
    }
    this.#prompts.set(runId, prompt);
  }
}
