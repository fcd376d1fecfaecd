import { createOpenAICompatible, type OpenAICompatibleProvider } from '@ai-sdk/openai-compatible';
import { SemcacheError } from '@semcache/core';

/** A `fetch`-compatible function. */
export type FetchFunction = typeof globalThis.fetch;

/** HolySheep's OpenAI-compatible endpoint. */
export const holySheepBaseURL = 'https://api.holysheep.ai/v1';

/** Options of {@link createHolySheep}. */
export interface HolySheepOptions {
  /** Default: `process.env.HOLYSHEEP_API_KEY`. */
  apiKey?: string;
  /** Default: `https://api.holysheep.ai/v1`. Any OpenAI-compatible endpoint works. */
  baseURL?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Custom fetch (tests, proxies). */
  fetch?: FetchFunction;
}

/**
 * A provider for HolySheep's OpenAI-compatible API (chat completions, not the Responses API), with
 * usage reported on streams. `holysheep('gpt-4.1')` is a chat model,
 * `holysheep.textEmbeddingModel('text-embedding-3-small')` an embedding model.
 *
 * A 401 passes through as the provider's own error, with a hint to check the key and base URL
 * added to its message.
 *
 * @throws {SemcacheError} `MISSING_API_KEY` when no key is given and `HOLYSHEEP_API_KEY` is unset.
 */
export function createHolySheep(options: HolySheepOptions = {}): OpenAICompatibleProvider {
  const apiKey = options.apiKey ?? process.env.HOLYSHEEP_API_KEY;
  const baseURL = options.baseURL ?? holySheepBaseURL;
  if (!apiKey) {
    throw new SemcacheError(
      'MISSING_API_KEY',
      'No HolySheep API key: set the HOLYSHEEP_API_KEY environment variable to a key from your HolySheep account (an OpenAI-compatible API at https://api.holysheep.ai/v1), or pass { apiKey } to createHolySheep(). To run without a key, point it at a local mock server: createHolySheep({ baseURL: (await startMockOpenAI()).url, apiKey: "offline" }) with startMockOpenAI from @semcache/mock-openai (the README\'s Quick start).',
    );
  }
  return createOpenAICompatible({
    name: 'holysheep',
    baseURL,
    apiKey,
    includeUsage: true,
    supportsStructuredOutputs: true,
    ...(options.headers ? { headers: options.headers } : {}),
    fetch: explainUnauthorized(options.fetch ?? globalThis.fetch, baseURL),
  });
}

function explainUnauthorized(fetch: FetchFunction, baseURL: string): FetchFunction {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.status !== 401) return response;
    const hint = `Check HOLYSHEEP_API_KEY (or the apiKey option) and the base URL (${withoutCredentials(baseURL)}).`;
    const text = await response.text();
    let body: string;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      if (parsed.error && typeof parsed.error === 'object') {
        parsed.error.message = `${parsed.error.message ?? 'Unauthorized'} — ${hint}`;
      }
      body = JSON.stringify(
        parsed.error ? parsed : { error: { message: `Unauthorized — ${hint}`, detail: parsed } },
      );
    } catch {
      body = JSON.stringify({ error: { message: `${text || 'Unauthorized'} — ${hint}` } });
    }
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** The URL with any user name and password removed, for messages. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href.replace(/\/$/u, '');
  } catch {
    return '(unparseable URL)';
  }
}
