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
import type {
  CacheRequest,
  ComputedResponse,
  SemanticCache as CoreSemanticCache,
  GetOrComputeResult,
  JsonValue,
} from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { toCacheCall } from './cache-call.js';
import { type CacheInfo, hitInfo } from './cache-info.js';
import {
  type LangChainCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './cache-options.js';
import { decodeGenerations, encodeGenerations } from './generation-codec.js';
import { LiveStream } from './live-stream.js';
import { isKeyableModel, llmKeyOf } from './llm-key-of.js';
import { copyChunk, replayChunks, toChatGeneration } from './message-chunks.js';

/** Options of {@link withSemanticCache}; see {@link LangChainCacheOptions} for each field. */
export type WithSemanticCacheOptions = LangChainCacheOptions;

/** A chat model, or a chat model with bound tools or options (`bindTools`, `withConfig`). */
export type CacheableChatModel<CallOptions extends RunnableConfig = BaseChatModelCallOptions> =
  Runnable<BaseLanguageModelInput, AIMessageChunk, CallOptions>;

type StreamResult = { stored: boolean };

interface Prepared {
  request: CacheRequest;
  key: string;
}

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
  readonly #streams: Map<string, LiveStream<AIMessageChunk, StreamResult>>;

  /**
   * @throws {SemcacheError} `INVALID_OPTIONS` when `model` is not a chat model (or a binding of
   *   one) or an option is invalid.
   */
  constructor(model: CacheableChatModel<CallOptions>, options: WithSemanticCacheOptions);
  /** @internal Shares live streams with the instance it was derived from. */
  constructor(
    model: CacheableChatModel<CallOptions>,
    options: WithSemanticCacheOptions,
    streams: Map<string, LiveStream<AIMessageChunk, StreamResult>>,
  );
  constructor(
    model: CacheableChatModel<CallOptions>,
    options: WithSemanticCacheOptions,
    streams?: Map<string, LiveStream<AIMessageChunk, StreamResult>>,
  ) {
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
    this.#streams = streams ?? new Map();
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
    return new SemanticCacheRunnable(bindable.bindTools(tools, kwargs), this.#input, this.#streams);
  }

  /**
   * Answers from the cache, or calls the model once for every identical call running at the same
   * time and stores a complete answer.
   */
  override async invoke(
    input: BaseLanguageModelInput,
    options?: Partial<CallOptions>,
  ): Promise<AIMessageChunk> {
    const prepared = this.#prepare(input, options);
    if (!prepared) return this.#model.invoke(input, options);
    let live: AIMessageChunk | undefined;
    const compute = async () => {
      live = await this.#model.invoke(input, options);
      const encoded = encodeGenerations([toChatGeneration(live)], prepared.request.model.id);
      return encoded ?? { value: null, storable: false };
    };
    const result = this.#options.coalesce
      ? await this.#core.getOrCompute(prepared.request, compute, this.#options.callOptions)
      : await this.#lookupThenCompute(prepared.request, compute);
    if (result.kind === 'miss' && !result.coalesced && live) {
      return annotate(live, { hit: 'miss', stored: result.stored });
    }
    const info: CacheInfo =
      result.kind === 'miss' ? { hit: 'miss', coalesced: true } : hitInfo(result, result.coalesced);
    const message = decodeGenerations(result.value, info)?.[0];
    if (message && 'message' in message) return message.message as AIMessageChunk;
    // Only when the answer could not be written as JSON: go to the model like no cache would.
    return this.#model.invoke(input, options);
  }

  /** `getOrCompute` without de-duplication, for `coalesce: false`. */
  async #lookupThenCompute(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse>,
  ): Promise<GetOrComputeResult> {
    const found = await this.#core.lookup(request, this.#options.callOptions);
    if (found.kind !== 'miss') return { ...found, coalesced: false };
    const response = await compute();
    const stored = await this.#core.store(request, response, this.#options.callOptions);
    return { kind: 'miss', value: response.value, reason: found.reason, coalesced: false, stored };
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
    const prepared = this.#prepare(input, options);
    if (!prepared) {
      yield* await this.#model.stream(input, options);
      return;
    }
    const { request, key } = prepared;
    const callOptions = this.#options.callOptions;
    let found: Awaited<ReturnType<CoreSemanticCache['lookup']>> | undefined;
    try {
      found = await this.#core.lookup(request, callOptions);
    } catch (error) {
      this.#core.reportError('langchain-lookup', error);
    }
    if (found && found.kind !== 'miss') {
      const info = hitInfo(found);
      const generation = decodeGenerations(found.value, info, { fresh: true })?.[0];
      if (generation && 'message' in generation) {
        const message = generation.message as BaseMessage;
        for (const chunk of replayChunks(message, { semcache: info })) yield chunk;
        return;
      }
    }
    const running = this.#options.coalesce ? this.#streams.get(key) : undefined;
    const stream = running ?? this.#startStream(input, options, request, key);
    const signal = (options as RunnableConfig | undefined)?.signal;
    for await (const chunk of stream.subscribe(signal)) {
      yield (running ? copyChunk(chunk) : chunk) as AIMessageChunk;
    }
    const info: CacheInfo = running
      ? { hit: 'miss', coalesced: true }
      : { hit: 'miss', stored: stream.result?.stored ?? false };
    yield annotate(new AIMessageChunk({ content: '' }), info);
  }

  #startStream(
    input: BaseLanguageModelInput,
    options: Partial<CallOptions> | undefined,
    request: CacheRequest,
    key: string,
  ): LiveStream<AIMessageChunk, StreamResult> {
    const controller = new AbortController();
    const stream = new LiveStream<AIMessageChunk, StreamResult>(() => {
      // Every reader left: stop the model call and let the next caller start a fresh one.
      if (this.#streams.get(key) === stream) this.#streams.delete(key);
      controller.abort();
    });
    if (this.#options.coalesce) this.#streams.set(key, stream);
    // The model call belongs to every consumer: it stops when all of them left, not when the
    // first caller's own signal or timeout fires (that caller just stops reading).
    const { signal: _signal, timeout: _timeout, ...rest } = (options ?? {}) as RunnableConfig;
    const modelOptions = { ...rest, signal: controller.signal } as Partial<CallOptions>;
    const run = async () => {
      let aggregate: AIMessageChunk | undefined;
      try {
        const chunks = await this.#model.stream(input, modelOptions);
        for await (const chunk of chunks) {
          // Start from a copy: readers get the original chunks and may change them.
          aggregate =
            aggregate === undefined
              ? (copyChunk(chunk) as AIMessageChunk)
              : concat(aggregate, chunk);
          stream.push(chunk);
        }
        let stored = false;
        if (aggregate && !controller.signal.aborted) {
          const encoded = encodeGenerations([toChatGeneration(aggregate)], request.model.id);
          if (encoded) {
            try {
              stored = await this.#core.store(request, encoded, this.#options.callOptions);
            } catch (error) {
              this.#core.reportError('langchain-store', error);
            }
          }
        }
        stream.end({ stored });
      } catch (error) {
        stream.fail(error);
      } finally {
        if (this.#streams.get(key) === stream) this.#streams.delete(key);
      }
    };
    void run();
    return stream;
  }

  #prepare(
    input: BaseLanguageModelInput,
    options: Partial<CallOptions> | undefined,
  ): Prepared | undefined {
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
