import { errorResponse } from './openai-error.js';
import type { ProxyContext } from './proxy-context.js';
import {
  fetchUpstream,
  responseHeaders,
  UpstreamUnreachable,
  upstreamRequestHeaders,
  upstreamUrl,
} from './upstream.js';
import { streamedResponse, watchBody } from './watch-body.js';

/**
 * Every other `/v1/*` request (models, embeddings, files, ...): forwarded unchanged — method,
 * query, body, status and headers minus hop-by-hop ones — with the same client check and key
 * handling as chat completions, streamed both ways and never cached.
 */
export async function handlePassthrough(
  request: Request,
  context: ProxyContext,
): Promise<Response> {
  const started = performance.now();
  const auth = context.authorize(request.headers);
  if (!auth.ok) return errorResponse(401, auth.message, 'invalid_api_key');
  const incoming = new URL(request.url);
  const url = upstreamUrl(context.options.upstream, incoming.pathname, incoming.search);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  const done = (status: number) => {
    const ms = performance.now() - started;
    context.metrics.upstream('passthrough', false, status, ms);
    context.log({
      event: 'passthrough',
      method: request.method,
      status,
      ms: Math.round(ms * 10) / 10,
    });
  };
  let upstream: Response;
  try {
    upstream = await fetchUpstream(url, {
      method: request.method,
      headers: upstreamRequestHeaders(request.headers, auth.upstreamAuthorization),
      ...(hasBody ? { body: request.body, duplex: 'half' } : {}),
      signal: request.signal,
    } as RequestInit);
  } catch (error) {
    done(0);
    if (error instanceof UpstreamUnreachable) return error.toResponse();
    return new Response(null, { status: 499 });
  }
  const headers = responseHeaders(upstream.headers);
  if (!upstream.body) {
    done(upstream.status);
    return new Response(null, { status: upstream.status, headers });
  }
  const body = watchBody(upstream.body, () => done(upstream.status));
  return streamedResponse(new Response(body, { status: upstream.status, headers }));
}
