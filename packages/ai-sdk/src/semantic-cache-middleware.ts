import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Middleware,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import type {
  CacheCallOptions,
  CacheRequest,
  EntryUsage,
  JsonObject,
  SemanticCache,
} from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { readParts, rejectUnknown, toReadableStream } from '@semcache/core/internal';
import { readCallOptions, type SemcacheCallOptions, toCoreCallOptions } from './call-options.js';
import {
  generateFromStored,
  isStoredResult,
  type ReplayOptions,
  type StoredResult,
  storedFromGenerate,
  storedFromParts,
  streamFromStored,
} from './stored-result.js';
import { semcacheProviderKey, toCacheRequest } from './to-cache-request.js';

/** Options of {@link semanticCacheMiddleware}. */
export interface SemanticCacheMiddlewareOptions {
  /** The cache engine, from `createSemanticCache()` of `@semcache/core`. Required. */
  cache: SemanticCache;
  /**
   * Default tenant of every call (per call: `providerOptions.semcache.tenant`).
   * @default none
   */
  tenant?: string;
  /**
   * Default namespace of every call (per call: `providerOptions.semcache.namespace`).
   * @default 'default'
   */
  namespace?: string;
  /**
   * How hits are replayed to `streamText`.
   * @default all at once
   */
  replay?: ReplayOptions;
}

const middlewareOptionNames = ['cache', 'tenant', 'namespace', 'replay'];

/**
 * What the middleware reports in `providerMetadata.semcache` of a generate result and of a
 * stream's `finish` part.
 */
export interface SemcacheMetadata {
  hit: 'exact' | 'semantic' | 'miss';
  /** Cosine similarity of the entry served (1 for exact hits). */
  similarity?: number;
  /** Age of the entry served, in milliseconds. */
  ageMs?: number;
  /** Estimated cost of the model call this hit avoided, in USD. */
  savedUsd?: number;
  /** True when this call received another concurrent call's model result. */
  coalesced?: boolean;
}

interface Prepared {
  request: CacheRequest;
  callOptions: CacheCallOptions;
}

/**
 * A `wrapLanguageModel` middleware that answers repeated and reworded calls from the cache.
 *
 * ```ts
 * const model = wrapLanguageModel({ model: holysheep('gpt-4.1'), middleware: semanticCacheMiddleware({ cache }) });
 * ```
 *
 * - generate: exact, then semantic lookup; on a miss one model call per identical request (the
 *   cache's single-flight), good results stored.
 * - stream: a miss streams live while the parts are recorded, and is stored only after a clean
 *   `finish`; concurrent identical streams share the one upstream stream; a hit is replayed.
 * - Generate and stream calls share entries (and wait for each other's running calls).
 * - Cache trouble never fails a call: the model is called directly instead.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` without a core cache or with an unknown option.
 */
export function semanticCacheMiddleware(
  options: SemanticCacheMiddlewareOptions,
): LanguageModelV4Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'semanticCacheMiddleware needs options: semanticCacheMiddleware({ cache: createSemanticCache() }).',
    );
  }
  rejectUnknown('semanticCacheMiddleware', options, middlewareOptionNames);
  const { cache } = options;
  if (typeof cache?.getOrCompute !== 'function' || typeof cache.getOrStream !== 'function') {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'semanticCacheMiddleware: the `cache` option is required: pass the core cache, e.g. { cache: createSemanticCache() } from @semcache/core.',
    );
  }
  const callOptionsByParams = new WeakMap<LanguageModelV4CallOptions, SemcacheCallOptions>();

  function prepare(
    params: LanguageModelV4CallOptions,
    model: LanguageModelV4,
  ): Prepared | undefined {
    const call = callOptionsByParams.get(params) ?? readCallOptions(params.providerOptions);
    if (call.bypass) return undefined;
    const tenant = call.tenant ?? options.tenant;
    const namespace = call.namespace ?? options.namespace;
    try {
      const request = toCacheRequest(params, model, {
        ...(tenant === undefined ? {} : { tenant }),
        ...(namespace === undefined ? {} : { namespace }),
      });
      cache.keys(request);
      return { request, callOptions: toCoreCallOptions(call) };
    } catch (error) {
      cache.reportError('key', error);
      return undefined;
    }
  }

  return {
    specificationVersion: 'v4',

    transformParams: async ({ params }) => {
      const call = readCallOptions(params.providerOptions);
      if (!params.providerOptions || !(semcacheProviderKey in params.providerOptions)) {
        callOptionsByParams.set(params, call);
        return params;
      }
      const { [semcacheProviderKey]: _semcache, ...providerOptions } = params.providerOptions;
      const transformed = { ...params, providerOptions };
      callOptionsByParams.set(transformed, call);
      return transformed;
    },

    wrapGenerate: async ({ doGenerate, params, model }) => {
      const prepared = prepare(params, model);
      if (!prepared) return doGenerate();
      const { request, callOptions } = prepared;
      let original: LanguageModelV4GenerateResult | undefined;
      const result = await cache.getOrCompute(
        request,
        async () => {
          original = await doGenerate();
          return {
            value: storedFromGenerate(original),
            modelId: original.response?.modelId ?? model.modelId,
            usage: usageOf(original.usage),
            finishReason: original.finishReason.unified,
            storable: isValidStructuredOutput(params, original),
          };
        },
        { ...callOptions, ...(params.abortSignal ? { signal: params.abortSignal } : {}) },
      );
      if (result.kind === 'miss' && original) {
        return {
          ...original,
          providerMetadata: { ...original.providerMetadata, semcache: { hit: 'miss' } },
        };
      }
      if (!isStoredResult(result.value)) {
        cache.reportError('decode', undecodable());
        return doGenerate();
      }
      try {
        // A hit is decoded for this call alone and a coalesced result is copied by the cache.
        return generateFromStored(result.value, metadataOf(result), { fresh: true });
      } catch (error) {
        cache.reportError('decode', undecodable(error));
        return doGenerate();
      }
    },

    wrapStream: async ({ doStream, params, model }) => {
      const prepared = prepare(params, model);
      if (!prepared) return annotated(await doStream(), { hit: 'miss' });
      const { request, callOptions } = prepared;
      let upstream: Awaited<ReturnType<typeof doStream>> | undefined;
      const found = await cache.getOrStream<LanguageModelV4StreamPart, StoredResult>(
        request,
        {
          start: async (signal) => {
            // The upstream belongs to every reader of the stream: it stops when all of them left
            // (`signal`), not when the first caller aborts (that caller just stops reading).
            upstream = await model.doStream({ ...params, abortSignal: signal });
            return readParts(upstream.stream, signal);
          },
          complete: (parts) => {
            const { result, finishReason } = storedFromParts(parts);
            if (!result) return undefined;
            return {
              value: result,
              modelId: result.response.modelId ?? model.modelId,
              usage: usageOf(result.usage as unknown as LanguageModelV4Usage),
              ...(finishReason === undefined ? {} : { finishReason }),
              storable: isValidStructuredOutput(params, result),
            };
          },
        },
        callOptions,
      );
      if (found.kind === 'live') {
        const stream = annotate(toReadableStream(found.parts), {
          hit: 'miss',
          ...(found.coalesced ? { coalesced: true } : {}),
        });
        return upstream && !found.coalesced ? { ...upstream, stream } : { stream };
      }
      if (isStoredResult(found.value)) {
        try {
          return {
            stream: streamFromStored(found.value, metadataOf(found), {
              ...options.replay,
              fresh: true,
            }),
          };
        } catch (error) {
          cache.reportError('decode', undecodable(error));
        }
      } else {
        cache.reportError('decode', undecodable());
      }
      return annotated(await doStream(), { hit: 'miss' });
    },
  };
}

function undecodable(cause?: unknown): SemcacheError {
  return new SemcacheError(
    'CORRUPT_ENTRY',
    'A stored entry could not be read as an AI SDK result (not written by @semcache/ai-sdk, or damaged); the call went to the model.',
    cause === undefined ? undefined : { cause },
  );
}

function metadataOf(hit: {
  kind: string;
  similarity?: number;
  ageMs?: number;
  savedUsd?: number | undefined;
  coalesced?: boolean;
}): JsonObject {
  if (hit.kind === 'miss') return { hit: 'miss', ...(hit.coalesced ? { coalesced: true } : {}) };
  return {
    hit: hit.kind,
    similarity: hit.similarity ?? 1,
    ageMs: hit.ageMs ?? 0,
    ...(hit.savedUsd === undefined ? {} : { savedUsd: hit.savedUsd }),
    ...(hit.coalesced ? { coalesced: true } : {}),
  };
}

function usageOf(usage: LanguageModelV4Usage): EntryUsage {
  return {
    ...(usage.inputTokens?.total === undefined ? {} : { inputTokens: usage.inputTokens.total }),
    ...(usage.outputTokens?.total === undefined ? {} : { outputTokens: usage.outputTokens.total }),
  };
}

/** JSON output (generateObject) is stored only when its text parses as JSON with the schema's required keys. */
function isValidStructuredOutput(
  params: LanguageModelV4CallOptions,
  result: Pick<LanguageModelV4GenerateResult, 'content'> | StoredResult,
): boolean {
  if (params.responseFormat?.type !== 'json') return true;
  const text = (result.content as Array<{ type?: unknown; text?: unknown }>)
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  const schema = params.responseFormat.schema as { type?: unknown; required?: unknown } | undefined;
  if (schema?.type === 'object') {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
    const required = Array.isArray(schema.required) ? schema.required : [];
    return required.every((key) => typeof key === 'string' && key in parsed);
  }
  return true;
}

function annotate(
  stream: ReadableStream<LanguageModelV4StreamPart>,
  semcache: SemcacheMetadata,
): ReadableStream<LanguageModelV4StreamPart> {
  return stream.pipeThrough(
    new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
      transform(part, controller) {
        controller.enqueue(
          part.type === 'finish'
            ? { ...part, providerMetadata: { ...part.providerMetadata, semcache: { ...semcache } } }
            : part,
        );
      },
    }),
  );
}

function annotated<T extends { stream: ReadableStream<LanguageModelV4StreamPart> }>(
  result: T,
  semcache: SemcacheMetadata,
): T {
  return { ...result, stream: annotate(result.stream, semcache) };
}
