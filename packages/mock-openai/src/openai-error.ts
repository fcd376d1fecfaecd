/** HTTP statuses {@link MockOpenAIServer.failNext} can inject. */
export type MockErrorStatus = 400 | 401 | 403 | 404 | 429 | 500 | 503;

/** OpenAI's error response body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const defaults: Readonly<Record<number, { message: string; type: string; code: string }>> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: 'invalid_request' },
  401: {
    message: 'Incorrect API key provided. You can find your API key in your mock server options.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: {
    message: 'You are not allowed to access this resource.',
    type: 'invalid_request_error',
    code: 'forbidden',
  },
  404: { message: 'Not found.', type: 'invalid_request_error', code: 'unknown_url' },
  413: {
    message: 'The request body is too large.',
    type: 'invalid_request_error',
    code: 'payload_too_large',
  },
  429: {
    message:
      'Rate limit reached for requests (injected by the mock server). Please try again shortly.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request (injected by the mock server).',
    type: 'server_error',
    code: 'server_error',
  },
  503: {
    message: 'The engine is currently overloaded (injected by the mock server).',
    type: 'server_error',
    code: 'service_unavailable',
  },
};

/** All statuses {@link MockErrorStatus} allows, for validating callers without types. */
export const mockErrorStatuses: ReadonlySet<number> = new Set([400, 401, 403, 404, 429, 500, 503]);

/** Builds an OpenAI-style error body for `status`, with a default message unless one is given. */
export function openAIErrorBody(
  status: number,
  message?: string,
  param: string | null = null,
): OpenAIErrorBody {
  const base = defaults[status] ??
    defaults[500] ?? { message: 'Error', type: 'server_error', code: 'server_error' };
  return { error: { message: message ?? base.message, type: base.type, param, code: base.code } };
}
