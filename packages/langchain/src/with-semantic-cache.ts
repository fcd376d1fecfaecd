import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import {
  AIMessageChunk,
  type BaseMessage,
  coerceMessageLikeToMessage,
  getBufferString,
  HumanMessage,
} from '@langchain/core/messages';
import { Runnable, type RunnableConfig } from '@langchain/core/runnables';
import { concat } from '@langchain/core/utils/stream';
import type { CacheRequest, SemanticCache as CoreSemanticCache, JsonValue } from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { toCacheCall } from './cache-call.js';
import { type CacheInfo, coalescedInfo, hitInfo, undecodableEntry } from './cache-info.js';
import {
  type LangChainCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './cache-options.js';
import { decodeGenerations, encodeGenerations } from './generation-codec.js';
import { isKeyableModel, llmKeyOf } from './llm-key-of.js';
import { copyChunk, replayChunks, toChatGeneration } from './message-chunks.js';

/** Options of {@link withSemanticCache}; see {@link LangChainCacheOptions} for each field. */
export type WithSemanticCacheOptions = LangChainCacheOptions;

/** A chat model, or a chat model with bound tools or options (`bindTools`, `withConfig`). */
export type CacheableChatModel<CallOptions extends RunnableConfig = BaseChatModelCallOptions> =
  Runnable<BaseLanguageModelInput, AIMessageChunk, CallOptions>;

/**
 * A chat model wrapped by {@link withSemanticCache}: `invoke()`, `batch()` and `stream()` all go
 * through the cache. Hits carry {@link CacheInfo} in `response_metadata.semcache`.
 */
export class SemanticCacheRunnable<
  CallOptions extends RunnableConfig = BaseChatModelCallOptions,
> extends Runnable<BaseLanguageModelInput, AIMessageChunk, CallOptions> {
  /** @internal LangChain serialisation namespace. */
  lc_namespace = ['semcache', 'langchain'];

  readonly #model: CacheableChatModel<CallOptions>;
  readonly #core: CoreSemanticCache;
  readonly #input: LangChainCacheOptions;
  readonly #options: ResolvedOptions;

  /**
   * @throws {SemcacheError} `INVALID_OPTIONS` when `model` is not a chat model (or a binding of
   *   one) or an option is invalid.
   */
  constructor(model: CacheableChatModel<CallOptions>, options: WithSemanticCacheOptions) {
    super();
    if (!isKeyableModel(model)) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        'withSemanticCache needs a LangChain chat model (a BaseChatModel such as ChatOpenAI), optionally with bound tools or options; wrap the model before piping it into a chain.',
      );
    }
    this.#options = resolveOptions(options);
    this.#model = model;
    this.#core = options.cache;
    this.#input = options;
  }

  /** The wrapped model. */
  get model(): CacheableChatModel<CallOptions> {
    return this.#model;
  }

  /** @internal */
  static override lc_name(): string {
    return 'SemanticCacheRunnable';
  }

  /**
   * Binds tools to the wrapped model (it must support `bindTools`) and keeps the cache around it.
   *
   * @throws {SemcacheError} `INVALID_OPTIONS` when the wrapped model has no `bindTools`.
   */
  bindTools(tools: unknown[], kwargs?: Partial<CallOptions>): SemanticCacheRunnable<CallOptions> {
    const bindable = this.#model as unknown as {
      bindTools?: (
        tools: unknown[],
        kwargs?: Partial<CallOptions>,
      ) => CacheableChatModel<CallOptions>;
    };
    if (typeof bindable.bindTools !== 'function') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        'The wrapped model has no bindTools(); bind tools before wrapping it.',
      );
    }
    return new SemanticCacheRunnable(bindable.bindTools(tools, kwargs), this.#input);
  }

  /**
   * Answers from the cache, or calls the model once for every identical call running at the same
   * time and stores a complete answer.
   */
  override async invoke(
    input: BaseLanguageModelInput,
    options?: Partial<CallOptions>,
  ): Promise<AIMessageChunk> {
    const request = this.#prepare(input, options);
    if (!request) return this.#model.invoke(input, options);
    let live: AIMessageChunk | undefined;
    const compute = async () => {
      live = await this.#model.invoke(input, options);
      const encoded = encodeGenerations([toChatGeneration(live)], request.model.id);
      return encoded ?? { value: null, storable: false };
    };
    const signal = (options as RunnableConfig | undefined)?.signal;
    const result = await this.#core.getOrCompute(request, compute, {
      ...this.#options.callOptions,
      coalesce: this.#options.coalesce,
      ...(signal ? { signal } : {}),
    });
    if (result.kind === 'miss' && !result.coalesced && live) {
      return annotate(live, { hit: 'miss', stored: result.stored });
    }
    const info: CacheInfo =
      result.kind === 'miss' ? { ...coalescedInfo } : hitInfo(result, result.coalesced);
    const message = decodeGenerations(result.value, info, { fresh: true })?.[0];
    if (message && 'message' in message) return message.message as AIMessageChunk;
    if (result.value !== null) this.#core.reportError('decode', undecodableEntry());
    // The answer could not be written as JSON or read back: go to the model like no cache would.
    return this.#model.invoke(input, options);
  }

  /**
   * Streams from the cache (a hit is replayed as chunks of the same text), or streams the model
   * live and stores the answer once the stream completed. Identical streams running at the same
   * time share one model call and receive the same chunks.
   */
  override async *_streamIterator(
    input: BaseLanguageModelInput,
    options?: Partial<CallOptions>,
  ): AsyncGenerator<AIMessageChunk> {
    const request = this.#prepare(input, options);
    if (!request) {
      yield* await this.#model.stream(input, options);
      return;
    }
    const signal = (options as RunnableConfig | undefined)?.signal;
    // The model call belongs to every reader: it stops when all of them left, not when the first
    // caller's own signal or timeout fires (that caller just stops reading).
    const { signal: _signal, timeout: _timeout, ...rest } = (options ?? {}) as RunnableConfig;
    const callOptions = {
      ...this.#options.callOptions,
      coalesce: this.#options.coalesce,
      ...(signal ? { signal } : {}),
    };
    const found = await this.#core.getOrStream<AIMessageChunk, JsonValue>(
      request,
      {
        start: async (abandoned) =>
          this.#model.stream(input, { ...rest, signal: abandoned } as Partial<CallOptions>),
        complete: (chunks) => {
          if (chunks.length === 0) return undefined;
          const aggregate = chunks.reduce((all, chunk) => concat(all, chunk));
          return encodeGenerations([toChatGeneration(aggregate)], request.model.id);
        },
      },
      callOptions,
    );
    if (found.kind === 'live') {
      // Every reader gets its own copies: the recorded chunks stay as the model sent them.
      for await (const chunk of found.parts) yield copyChunk(chunk) as AIMessageChunk;
      const info: CacheInfo = found.coalesced
        ? { ...coalescedInfo }
        : { hit: 'miss', stored: await found.stored };
      yield annotate(new AIMessageChunk({ content: '' }), info);
      return;
    }
    const info = found.kind === 'miss' ? { ...coalescedInfo } : hitInfo(found);
    const generation = decodeGenerations(found.value, info, { fresh: true })?.[0];
    if (generation && 'message' in generation) {
      for (const chunk of replayChunks(generation.message as BaseMessage, { semcache: info }))
        yield chunk;
      return;
    }
    this.#core.reportError('decode', undecodableEntry());
    yield* await this.#model.stream(input, options);
  }

  #prepare(
    input: BaseLanguageModelInput,
    options: Partial<CallOptions> | undefined,
  ): CacheRequest | undefined {
    try {
      const llmKey = llmKeyOf(this.#model, (options ?? {}) as Record<string, unknown>);
      if (llmKey === undefined) return undefined;
      return toCacheCall(this.#core, this.#options, getBufferString(toMessages(input)), llmKey);
    } catch (error) {
      this.#core.reportError('langchain-request', error);
      return undefined;
    }
  }
}

/**
 * Wraps a chat model so that `invoke()`, `batch()` **and** `stream()` use the cache (LangChain's
 * own `cache` option never applies to `.stream()`).
 *
 * ```ts
 * const llm = withSemanticCache(new ChatOpenAI({ model: 'gpt-4.1' }), { cache: createSemanticCache() });
 * for await (const chunk of await llm.stream('How do I reset my password?')) process.stdout.write(chunk.text);
 * ```
 *
 * A streamed miss passes the model's chunks through as they arrive and stores the answer only
 * after the stream completed with a storable finish reason; a hit is replayed as chunks that
 * concatenate to the stored message. Keys are the ones `SemanticCache` derives, so both share
 * entries. Do not also pass `cache` to the wrapped model.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` when `model` is not a chat model or an option is invalid.
 */
export function withSemanticCache<CallOptions extends RunnableConfig = BaseChatModelCallOptions>(
  model: CacheableChatModel<CallOptions>,
  options: WithSemanticCacheOptions,
): SemanticCacheRunnable<CallOptions> {
  return new SemanticCacheRunnable(model, options);
}

function toMessages(input: BaseLanguageModelInput): BaseMessage[] {
  if (typeof input === 'string') return [new HumanMessage(input)];
  if (Array.isArray(input)) return input.map(coerceMessageLikeToMessage);
  return input.toChatMessages();
}

function annotate<M extends BaseMessage>(message: M, info: CacheInfo): M {
  message.response_metadata = {
    ...message.response_metadata,
    semcache: info as unknown as JsonValue,
  };
  return message;
}
