import { credentialHeaders } from './client-auth.js';
import { errorResponse } from './openai-error.js';

/** Headers that belong to one connection (RFC 9110 §7.6.1), never forwarded either way. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the proxy sets itself or that describe the client's connection to it. */
const notForwarded = new Set(['host', 'content-length', 'accept-encoding', 'expect']);

/**
 * An upstream answer other than a success: passed to the client as it came (status, headers,
 * body) and never stored. Thrown out of a cache computation so every caller waiting for that
 * computation gets it too.
 */
export class UpstreamError extends Error {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array<ArrayBuffer>;

  constructor(status: number, headers: Headers, body: Uint8Array<ArrayBuffer>) {
    super(`upstream answered ${status}`);
    this.name = 'UpstreamError';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** The response to send the client. */
  toResponse(extraHeaders: Record<string, string> = {}): Response {
    const headers = responseHeaders(this.headers);
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
    return new Response(this.body.byteLength > 0 ? this.body : null, {
      status: this.status,
      headers,
    });
  }
}

/** The upstream could not be reached (connection refused, DNS, TLS, reset before the answer). */
export class UpstreamUnreachable extends Error {
  constructor(cause: unknown) {
    super(`upstream unreachable: ${describeCause(cause)}`, { cause });
    this.name = 'UpstreamUnreachable';
  }

  /** The 502 the client gets. */
  toResponse(extraHeaders: Record<string, string> = {}): Response {
    return errorResponse(
      502,
      `semcache-proxy could not reach the upstream API (${describeCause(this.cause)}). Check --upstream and that the API is up; nothing was cached.`,
      'upstream_unreachable',
      { headers: extraHeaders },
    );
  }
}

function describeCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The upstream URL for an incoming `/v1/...` path: the upstream base (which ends in its own `/v1`) plus the rest. */
export function upstreamUrl(base: string, path: string, search: string): string {
  const rest = path.startsWith('/v1') ? path.slice(3) : path;
  return `${base.replace(/\/+$/, '')}${rest}${search}`;
}

/** Names listed in a `Connection` header: also per connection. */
function connectionTokens(headers: Headers): Set<string> {
  return new Set(
    (headers.get('connection') ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop headers, the proxy's own control
 * headers (`x-semcache-*`) and — when the proxy has its own upstream key — every credential
 * header of the client, replaced by `Authorization: Bearer <upstream key>`.
 */
export function upstreamRequestHeaders(
  incoming: Headers,
  upstreamAuthorization: string | undefined,
): Headers {
  const listed = connectionTokens(incoming);
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (hopByHop.has(name) || notForwarded.has(name) || listed.has(name)) continue;
    if (name.startsWith('x-semcache-')) continue;
    if (upstreamAuthorization !== undefined && credentialHeaders.includes(name)) continue;
    headers.append(name, value);
  }
  if (upstreamAuthorization !== undefined) headers.set('authorization', upstreamAuthorization);
  return headers;
}

/**
 * The upstream's response headers to pass to the client: minus hop-by-hop headers and the body
 * framing `fetch` already undid (`content-encoding`, `content-length`).
 */
export function responseHeaders(upstream: Headers): Headers {
  const listed = connectionTokens(upstream);
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (hopByHop.has(name) || listed.has(name)) continue;
    if (name === 'content-encoding' || name === 'content-length') continue;
    headers.append(name, value);
  }
  return headers;
}

/**
 * `fetch` to the upstream; a network failure becomes {@link UpstreamUnreachable}, an abort stays
 * an abort.
 */
export async function fetchUpstream(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual' });
  } catch (error) {
    if (init.signal?.aborted) throw init.signal.reason;
    throw new UpstreamUnreachable(error);
  }
}

/**
 * Reads a failed upstream response to the end and throws it as an {@link UpstreamError}; returns
 * a successful one untouched.
 */
export async function throwUnlessOk(response: Response): Promise<Response> {
  if (response.ok) return response;
  const body = new Uint8Array(await response.arrayBuffer());
  throw new UpstreamError(response.status, response.headers, body);
}
