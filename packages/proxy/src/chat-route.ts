import type {
  CacheCallOptions,
  CacheHit,
  CacheRequest,
  JsonObject,
  StreamSource,
} from '@semcache/core';
import { readRequestControl } from './cache-control.js';
import { type ChatBody, isJsonObject, parseChatBody } from './chat-body.js';
import { errorResponse, tooLarge } from './openai-error.js';
import type { ProxyContext } from './proxy-context.js';
import type { CacheOutcome } from './proxy-metrics.js';
import { readBody } from './read-body.js';
import { doneData, readSseData, sseEvent } from './sse.js';
import {
  chunksFromStored,
  completionFromStored,
  computedResponse,
  isStoredCompletion,
  type StoredCompletion,
  storedFromChunks,
  storedFromCompletion,
} from './stored-completion.js';
import { toCacheRequest } from './to-cache-request.js';
import {
  fetchUpstream,
  responseHeaders,
  throwUnlessOk,
  UpstreamError,
  UpstreamUnreachable,
  upstreamRequestHeaders,
  upstreamUrl,
} from './upstream.js';
import { streamedResponse, watchBody } from './watch-body.js';

/** Response headers that say how the cache answered. */
export const outcomeHeaders = {
  /** `exact`, `semantic`, `miss` or `bypass`. */
  outcome: 'x-semcache',
  /** Cosine similarity of the entry served (hits only; 1 for exact hits). */
  similarity: 'x-semcache-similarity',
  /** Age of the entry served in milliseconds (hits only). */
  ageMs: 'x-semcache-age-ms',
  /** `true` when a miss was answered by an identical concurrent request's upstream call. */
  coalesced: 'x-semcache-coalesced',
} as const;

/** One event of an upstream stream: its data as received, and the chunk it holds (if JSON). */
interface StreamPart {
  data: string;
  chunk: JsonObject | undefined;
}

/** A chat request that passed the checks, with what its handling needs. */
interface ChatCall {
  chat: ChatBody;
  text: string;
  request: CacheRequest;
  callOptions: CacheCallOptions;
  url: string;
  headers: Headers;
  signal: AbortSignal;
  started: number;
}

/** The path this route serves. */
export const chatPath = '/v1/chat/completions';
const encoder = new TextEncoder();
/** The event sent in place of the rest of a stream the upstream cut. */
const streamCutError = {
  error: {
    message:
      'The upstream stream broke off before the answer was complete; nothing was cached. Retry the request.',
    type: 'upstream_error',
    param: null,
    code: 'upstream_stream_cut',
  },
};
const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/**
 * `POST /v1/chat/completions`: checks the caller and the body, then answers from the cache or
 * the upstream — JSON or SSE, as asked. Identical concurrent requests share one upstream call
 * (a live stream is shared by every reader); only clean answers are stored.
 */
export async function handleChat(request: Request, context: ProxyContext): Promise<Response> {
  const started = performance.now();
  const bypassHeader = { [outcomeHeaders.outcome]: 'bypass' };
  const auth = context.authorize(request.headers);
  if (!auth.ok) {
    return errorResponse(401, auth.message, 'invalid_api_key', { headers: bypassHeader });
  }
  const control = readRequestControl(request.headers);
  if (!control.ok) {
    return errorResponse(400, control.message, 'invalid_header', {
      param: control.header,
      headers: bypassHeader,
    });
  }
  const read = await readBody(request, context.options.maxBodyBytes);
  if (!read.ok) return tooLarge(context.options.maxBodyBytes);
  const { text } = read;
  const parsed = parseChatBody(text);
  if (!parsed.ok) {
    return errorResponse(400, parsed.message, 'invalid_request', {
      param: parsed.param,
      headers: bypassHeader,
    });
  }
  const { chat } = parsed;
  const { namespace, callOptions } = control.control;
  const scope = {
    ...(auth.tenant === undefined ? {} : { tenant: auth.tenant }),
    ...(namespace === undefined ? {} : { namespace }),
  };
  const url = upstreamUrl(context.options.upstream, chatPath, '');
  const call: ChatCall = {
    chat,
    text,
    request: toCacheRequest(chat.body, scope),
    callOptions,
    url,
    // Built on first use: a hit never needs them.
    get headers() {
      const headers = upstreamRequestHeaders(request.headers, auth.upstreamAuthorization);
      headers.set('content-type', 'application/json');
      // Cache-Control steers this proxy's cache, not the upstream's.
      headers.delete('cache-control');
      return headers;
    },
    signal: request.signal,
    started,
  };
  if (goesAround(call, context)) return forwardAround(call, context);
  try {
    return chat.stream ? await streamChat(call, context) : await jsonChat(call, context);
  } catch (error) {
    return failure(error, call, context, 'miss');
  }
}

/** True when the cache must not read or write this call (asked, unsupported, or policy). */
function goesAround(call: ChatCall, context: ProxyContext): boolean {
  if (call.callOptions.bypass || call.chat.uncacheable !== undefined) return true;
  try {
    return context.cache.cacheability(call.request, call.callOptions) !== undefined;
  } catch (error) {
    // A body the core cannot key (it should never happen with JSON): answer it without the cache.
    context.cache.reportError('key', error);
    return true;
  }
}

/** Forwards the call as it came and passes the answer through, outside the cache. */
async function forwardAround(call: ChatCall, context: ProxyContext): Promise<Response> {
  const sent = performance.now();
  let upstream: Response;
  try {
    upstream = await fetchUpstream(call.url, {
      method: 'POST',
      headers: call.headers,
      body: call.text,
      signal: call.signal,
    });
  } catch (error) {
    context.metrics.upstream('chat', call.chat.stream, 0, performance.now() - sent);
    return failure(error, call, context, 'bypass');
  }
  const headers = responseHeaders(upstream.headers);
  headers.set(outcomeHeaders.outcome, 'bypass');
  const body = upstream.body
    ? watchBody(upstream.body, () => {
        const now = performance.now();
        context.metrics.upstream('chat', call.chat.stream, upstream.status, now - sent);
        finished(call, context, 'bypass', upstream.status, false, now);
      })
    : null;
  if (!body) {
    context.metrics.upstream('chat', call.chat.stream, upstream.status, performance.now() - sent);
    finished(call, context, 'bypass', upstream.status, false);
  }
  return streamedResponse(new Response(body, { status: upstream.status, headers }));
}

async function jsonChat(call: ChatCall, context: ProxyContext): Promise<Response> {
  const { cache, metrics } = context;
  let own: { headers: Headers; body: string } | undefined;
  const result = await cache.getOrCompute<StoredCompletion>(
    call.request,
    async () => {
      const sent = performance.now();
      let status = 0;
      try {
        const response = await fetchUpstream(call.url, {
          method: 'POST',
          headers: call.headers,
          body: call.text,
          signal: call.signal,
        });
        status = response.status;
        await throwUnlessOk(response);
        const body = await response.text();
        const stored = storedFromCompletion(parseJson(body));
        // Not a one-choice completion: hand it to the client as it came, store nothing.
        if (!stored)
          throw new UpstreamError(response.status, response.headers, encoder.encode(body));
        own = { headers: response.headers, body };
        return computedResponse(stored, call.chat.model);
      } finally {
        metrics.upstream('chat', false, status, performance.now() - sent);
      }
    },
    { ...call.callOptions, signal: call.signal },
  );
  if (result.kind !== 'miss') {
    if (!isStoredCompletion(result.value)) return foreignEntry(call, context);
    return json(call, context, completionFromStored(result.value), hitHeaders(result), result.kind);
  }
  if (own && !result.coalesced) {
    const headers = responseHeaders(own.headers);
    headers.set(outcomeHeaders.outcome, 'miss');
    finished(call, context, 'miss', 200, false);
    return new Response(own.body, { status: 200, headers });
  }
  return json(call, context, completionFromStored(result.value), coalescedHeaders(), 'miss', true);
}

async function streamChat(call: ChatCall, context: ProxyContext): Promise<Response> {
  const { cache, metrics } = context;
  const { chat } = call;
  // Usage is always asked for, so a stored answer can replay it (and price its hits); it is
  // passed on only to clients that asked for it.
  const upstreamBody = JSON.stringify({
    ...chat.body,
    stream: true,
    stream_options: {
      ...(isJsonObject(chat.body.stream_options) ? chat.body.stream_options : {}),
      include_usage: true,
    },
  });
  let leaderHeaders: Headers | undefined;
  const source: StreamSource<StreamPart, StoredCompletion> = {
    start: async (signal) => {
      const sent = performance.now();
      let response: Response;
      try {
        response = await fetchUpstream(call.url, {
          method: 'POST',
          headers: call.headers,
          body: upstreamBody,
          signal,
        });
        await throwUnlessOk(response);
      } catch (error) {
        const status = error instanceof UpstreamError ? error.status : 0;
        metrics.upstream('chat', true, status, performance.now() - sent);
        throw error;
      }
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !response.body) {
        // The upstream answered without streaming: pass its answer on, store nothing.
        const body = new Uint8Array(await response.arrayBuffer());
        metrics.upstream('chat', true, response.status, performance.now() - sent);
        throw new UpstreamError(response.status, response.headers, body);
      }
      leaderHeaders = response.headers;
      return streamParts(response.body, () =>
        metrics.upstream('chat', true, response.status, performance.now() - sent),
      );
    },
    complete: (parts) => {
      const chunks: JsonObject[] = [];
      for (const part of parts) {
        if (part.data === doneData) continue;
        // An error event or a chunk that is not JSON: not an answer to keep.
        if (!part.chunk || part.chunk.error !== undefined) return undefined;
        chunks.push(part.chunk);
      }
      const stored = storedFromChunks(chunks);
      return stored ? computedResponse(stored, chat.model) : undefined;
    },
  };
  const result = await cache.getOrStream<StreamPart, StoredCompletion>(call.request, source, {
    ...call.callOptions,
    signal: call.signal,
  });
  if (result.kind !== 'live') {
    if (result.kind === 'miss') {
      return replay(call, context, result.value, coalescedHeaders(), 'miss', true);
    }
    if (!isStoredCompletion(result.value)) return foreignEntry(call, context);
    return replay(call, context, result.value, hitHeaders(result), result.kind);
  }
  const iterator = result.parts[Symbol.asyncIterator]();
  // The first part decides the status: a shared stream whose upstream call failed fails here.
  const first = await iterator.next();
  const headers = new Headers(
    leaderHeaders && !result.coalesced ? responseHeaders(leaderHeaders) : undefined,
  );
  for (const [name, value] of Object.entries(sseHeaders)) headers.set(name, value);
  headers.set(outcomeHeaders.outcome, 'miss');
  if (result.coalesced) headers.set(outcomeHeaders.coalesced, 'true');
  let pending: IteratorResult<StreamPart> | undefined = first;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let next: IteratorResult<StreamPart>;
          try {
            next = pending ?? (await iterator.next());
          } catch {
            // The upstream broke off mid-answer: say so the way OpenAI does (an error event; the
            // OpenAI clients raise it), and end without `[DONE]`. Nothing is stored.
            controller.enqueue(encoder.encode(sseEvent(JSON.stringify(streamCutError))));
            controller.close();
            return;
          }
          pending = undefined;
          if (next.done) {
            controller.close();
            return;
          }
          if (!chat.includeUsage && isUsageOnly(next.value.chunk)) continue;
          controller.enqueue(encoder.encode(sseEvent(next.value.data)));
          return;
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return streamedResponse(
    new Response(
      watchBody(body, (how) =>
        finished(call, context, 'miss', how === 'done' ? 200 : 0, result.coalesced),
      ),
      { status: 200, headers },
    ),
  );
}

/** Reads the upstream's SSE body as parts; `onEnd` runs once when it ends, fails or is left. */
async function* streamParts(
  body: ReadableStream<Uint8Array>,
  onEnd: () => void,
): AsyncGenerator<StreamPart, void> {
  try {
    for await (const data of readSseData(body)) {
      const parsed = data === doneData ? undefined : parseJson(data);
      yield { data, chunk: isJsonObject(parsed) ? parsed : undefined };
    }
  } catch (error) {
    // The connection broke mid-answer (a reader that left ends the loop without an error).
    throw new UpstreamUnreachable(error);
  } finally {
    onEnd();
  }
}

function isUsageOnly(chunk: JsonObject | undefined): boolean {
  return (
    chunk !== undefined &&
    Array.isArray(chunk.choices) &&
    chunk.choices.length === 0 &&
    isJsonObject(chunk.usage)
  );
}

function hitHeaders(hit: CacheHit<StoredCompletion>): Record<string, string> {
  return {
    [outcomeHeaders.outcome]: hit.kind,
    [outcomeHeaders.similarity]: hit.similarity.toFixed(4),
    [outcomeHeaders.ageMs]: String(Math.round(hit.ageMs)),
  };
}

function coalescedHeaders(): Record<string, string> {
  return { [outcomeHeaders.outcome]: 'miss', [outcomeHeaders.coalesced]: 'true' };
}

function json(
  call: ChatCall,
  context: ProxyContext,
  body: JsonObject,
  extra: Record<string, string>,
  outcome: CacheOutcome,
  coalesced = false,
): Response {
  finished(call, context, outcome, 200, coalesced);
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json', ...extra },
  });
}

/** A stored answer replayed as the upstream would stream it, then `[DONE]`. */
function replay(
  call: ChatCall,
  context: ProxyContext,
  stored: StoredCompletion,
  extra: Record<string, string>,
  outcome: CacheOutcome,
  coalesced = false,
): Response {
  const events = chunksFromStored(stored, call.chat.includeUsage).map((chunk) =>
    sseEvent(JSON.stringify(chunk)),
  );
  events.push(sseEvent(doneData));
  finished(call, context, outcome, 200, coalesced);
  return new Response(events.join(''), { status: 200, headers: { ...sseHeaders, ...extra } });
}

/** An entry this proxy did not write (another app sharing the Redis prefix): ask the upstream. */
function foreignEntry(call: ChatCall, context: ProxyContext): Promise<Response> {
  context.cache.reportError(
    'decode',
    new Error('a cache entry is not a semcache-proxy completion; the request went upstream'),
  );
  return forwardAround(call, context);
}

function failure(
  error: unknown,
  call: ChatCall,
  context: ProxyContext,
  outcome: CacheOutcome,
): Response {
  const extra = { [outcomeHeaders.outcome]: outcome };
  let response: Response;
  if (error instanceof UpstreamError) response = error.toResponse(extra);
  else if (error instanceof UpstreamUnreachable) response = error.toResponse(extra);
  else if (call.signal.aborted) {
    // The client left; nobody reads this.
    response = new Response(null, { status: 499, headers: extra });
  } else {
    context.log({
      event: 'proxy-error',
      message: error instanceof Error ? error.message : String(error),
    });
    response = errorResponse(500, 'semcache-proxy failed on this request.', 'proxy_error', {
      headers: extra,
    });
  }
  finished(call, context, outcome, response.status, false);
  return response;
}

function finished(
  call: ChatCall,
  context: ProxyContext,
  outcome: CacheOutcome,
  status: number,
  coalesced: boolean,
  now = performance.now(),
): void {
  const ms = now - call.started;
  context.metrics.chat(outcome, call.chat.stream, ms, coalesced);
  context.log({
    event: 'chat',
    status,
    cache: outcome,
    stream: call.chat.stream,
    coalesced: coalesced || undefined,
    ms: Math.round(ms * 10) / 10,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
