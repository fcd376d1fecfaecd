import type { LanguageModelV4, LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import type { CacheRequest } from '@semcache/core';
import { makeVocabulary, seededRandom } from '../synthetic-text.ts';

/** An answer-like text of about `chars` characters (sentences of Zipf-distributed words). */
export function answerText(chars: number, seed = 5): string {
  const random = seededRandom(seed);
  const word = makeVocabulary(5000, random);
  let text = '';
  while (text.length < chars) {
    const n = 6 + Math.floor(random() * 12);
    const sentence = Array.from({ length: n }, word).join(' ');
    text += `${sentence[0]?.toUpperCase()}${sentence.slice(1)}. `;
  }
  return text.slice(0, chars);
}

/** A one-user-message core request (a fresh object every call, as adapters build them). */
export function userRequest(text: string, modelId = 'gpt-4.1'): CacheRequest {
  return {
    model: { provider: 'bench', id: modelId },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
}

/**
 * A hand-written AI SDK model that answers `text` after `latencyMs` (0: at once, no timer) and
 * counts its calls: the no-op model of the exact-hit and single-flight benchmarks.
 */
export function benchModel(
  text: string,
  latencyMs = 0,
): LanguageModelV4 & { readonly calls: number; readonly callTimes: readonly number[] } {
  let calls = 0;
  const callTimes: number[] = [];
  const result = (): LanguageModelV4GenerateResult => ({
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 14, noCache: 14, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: Math.ceil(text.length / 4), text: undefined, reasoning: undefined },
    },
    warnings: [],
  });
  return {
    specificationVersion: 'v4',
    provider: 'bench',
    modelId: 'gpt-4.1',
    supportedUrls: {},
    get calls() {
      return calls;
    },
    /** `performance.now()` of every call. */
    callTimes,
    async doGenerate() {
      calls++;
      callTimes.push(performance.now());
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return result();
    },
    async doStream() {
      throw new Error('bench model: streaming is not used by the benchmarks');
    },
  };
}
