/** The body OpenAI-compatible APIs send with an error status, which every OpenAI client parses. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** What went wrong in a request the proxy answers itself, by HTTP status. */
const typeByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  502: 'upstream_error',
  503: 'server_error',
};

/**
 * An OpenAI-style error response from the proxy itself (never from the upstream, whose errors
 * pass through unchanged).
 */
export function errorResponse(
  status: number,
  message: string,
  code: string,
  options: { param?: string; headers?: HeadersInit } = {},
): Response {
  const body: OpenAIErrorBody = {
    error: {
      message,
      type: typeByStatus[status] ?? 'server_error',
      param: options.param ?? null,
      code,
    },
  };
  const headers = new Headers(options.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status, headers });
}

/** The 413 for a body over `limit` bytes; the connection is closed (the rest of the body is not read). */
export function tooLarge(limit: number): Response {
  return errorResponse(
    413,
    `The request body is larger than this proxy accepts (${limit} bytes; see --max-body-bytes).`,
    'payload_too_large',
    { headers: { connection: 'close' } },
  );
}
