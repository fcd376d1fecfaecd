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
import { readCallOptions, type SemcacheCallOptions, toCoreCallOptions } from './call-options.js';
import {
  generateFromStored,
  isStoredResult,
  type ReplayOptions,
  type StoredResult,
  storedFromGenerate,
  streamFromStored,
} from './stored-result.js';
import { StreamFlight } from './stream-flight.js';
import { semcacheProviderKey, toCacheRequest } from './to-cache-request.js';

/** Options of {@link semanticCacheMiddleware}. */
export interface SemanticCacheMiddlewareOptions {
  /** The cache engine, from `createSemanticCache()` of `@semcache/core`. */
  cache: SemanticCache;
  /** Default tenant of every call (per call: `providerOptions.semcache.tenant`). */
  tenant?: string;
  /** Default namespace of every call (per call: `providerOptions.semcache.namespace`). Default `'default'`. */
  namespace?: string;
  /** How hits are replayed to `streamText`. Default: all at once. */
  replay?: ReplayOptions;
}

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
  flightKey: string;
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
 * - Generate and stream calls share entries.
 * - Cache trouble never fails a call: the model is called directly instead.
 */
export function semanticCacheMiddleware(
  options: SemanticCacheMiddlewareOptions,
): LanguageModelV4Middleware {
  const { cache } = options;
  const callOptionsByParams = new WeakMap<LanguageModelV4CallOptions, SemcacheCallOptions>();
  const streamFlights = new Map<string, StreamFlight>();

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
      const keys = cache.keys(request);
      return {
        request,
        callOptions: toCoreCallOptions(call),
        flightKey: `${keys.namespace}\u0000${keys.exactKey}`,
      };
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
      const { request, callOptions, flightKey } = prepared;

      const streaming = streamFlights.get(flightKey);
      if (streaming && !callOptions.refresh) {
        const shared = await streaming.completion;
        if (shared) return generateFromStored(shared, { hit: 'miss', coalesced: true });
      }

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
        callOptions,
      );
      if (result.kind === 'miss' && original) {
        return {
          ...original,
          providerMetadata: { ...original.providerMetadata, semcache: { hit: 'miss' } },
        };
      }
      if (!isStoredResult(result.value)) {
        cache.reportError('decode', new Error('entry was not written by @semcache/ai-sdk'));
        return doGenerate();
      }
      try {
        // A hit is decoded for this call alone and a coalesced result is copied by the cache.
        return generateFromStored(result.value, metadataOf(result), { fresh: true });
      } catch (error) {
        cache.reportError('decode', error);
        return doGenerate();
      }
    },

    wrapStream: async ({ doStream, params, model }) => {
      const prepared = prepare(params, model);
      if (!prepared) return annotated(await doStream(), { hit: 'miss' });
      const { request, callOptions, flightKey } = prepared;

      const found = await cache.lookup(request, callOptions);
      if (found.kind !== 'miss' && isStoredResult(found.value)) {
        try {
          return {
            stream: streamFromStored(found.value, metadataOf(found), {
              ...options.replay,
              fresh: true,
            }),
          };
        } catch (error) {
          cache.reportError('decode', error);
        }
      }
      if (
        found.kind === 'miss' &&
        found.reason !== 'not-found' &&
        found.reason !== 'refresh' &&
        found.reason !== 'store-error'
      ) {
        return annotated(await doStream(), { hit: 'miss' });
      }

      const running = streamFlights.get(flightKey);
      if (running && !callOptions.refresh) {
        return { stream: annotate(running.subscribe(), { hit: 'miss', coalesced: true }) };
      }
      const flight = new StreamFlight();
      streamFlights.set(flightKey, flight);
      let upstream: Awaited<ReturnType<typeof doStream>>;
      try {
        upstream = await doStream();
      } catch (error) {
        flight.fail(error);
        streamFlights.delete(flightKey);
        throw error;
      }
      const stream = flight.subscribe();
      void flight
        .pump(upstream.stream, async (stored, finishReason) => {
          await cache.store(
            request,
            {
              value: stored,
              modelId: stored.response.modelId ?? model.modelId,
              usage: usageOf(stored.usage as unknown as LanguageModelV4Usage),
              ...(finishReason === undefined ? {} : { finishReason }),
              storable: isValidStructuredOutput(params, stored),
            },
            callOptions,
          );
        })
        .finally(() => {
          if (streamFlights.get(flightKey) === flight) streamFlights.delete(flightKey);
        });
      return { ...upstream, stream: annotate(stream, { hit: 'miss' }) };
    },
  };
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
