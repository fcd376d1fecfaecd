import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { describe, expect, test } from 'vitest';
import {
  generateFromStored,
  isStoredResult,
  StreamRecorder,
  storedFromGenerate,
  streamFromStored,
} from './stored-result.js';

const result: LanguageModelV4GenerateResult = {
  content: [
    { type: 'reasoning', text: 'thinking' },
    { type: 'text', text: 'Hello' },
    {
      type: 'file',
      mediaType: 'image/png',
      data: { type: 'data', data: new Uint8Array([0, 1, 2, 255]) },
    },
    { type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: '{"city":"Paris"}' },
  ],
  finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
  usage: {
    inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 5, text: 5, reasoning: undefined },
    raw: { prompt_tokens: 10 },
  },
  providerMetadata: { openai: { logprobs: null } },
  request: { body: '{"secret":"request body"}' },
  response: {
    id: 'resp_1',
    modelId: 'gpt-4.1',
    timestamp: new Date('2026-01-02T03:04:05.000Z'),
    headers: { 'set-cookie': 'session=abc' },
    body: { raw: 'response body' },
  },
  warnings: [],
};

async function collect(stream: ReadableStream<LanguageModelV4StreamPart>) {
  const parts: LanguageModelV4StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('stored results', () => {
  test('survive JSON: dates revived, binary data intact, no raw bodies or headers kept', () => {
    const stored = JSON.parse(JSON.stringify(storedFromGenerate(result)));
    expect(JSON.stringify(stored)).not.toMatch(
      /request body|response body|set-cookie|prompt_tokens/,
    );
    expect(isStoredResult(stored)).toBe(true);
    const revived = generateFromStored(stored, { hit: 'exact' });
    expect(revived.response?.timestamp).toEqual(new Date('2026-01-02T03:04:05.000Z'));
    const file = revived.content[2];
    expect(file?.type === 'file' && file.data.type === 'data' && file.data.data).toEqual(
      new Uint8Array([0, 1, 2, 255]),
    );
    expect(revived.content[3]).toEqual(result.content[3]);
    expect(revived.finishReason).toEqual(result.finishReason);
    expect(revived.usage.outputTokens.total).toBe(5);
    expect(revived.providerMetadata).toEqual({
      openai: { logprobs: null },
      semcache: { hit: 'exact' },
    });
  });

  test('every read returns fresh objects', () => {
    const stored = storedFromGenerate(result);
    const a = generateFromStored(stored, { hit: 'exact' });
    (a.content[1] as { text: string }).text = 'mutated';
    expect((generateFromStored(stored, { hit: 'exact' }).content[1] as { text: string }).text).toBe(
      'Hello',
    );
  });

  test('shared stored results are copied; only a fresh one is revived in place', async () => {
    const stored = storedFromGenerate(result);
    const copy = structuredClone(stored);
    const revived = generateFromStored(stored, { hit: 'miss', coalesced: true });
    (revived.providerMetadata?.openai as Record<string, unknown>).logprobs = 'changed';
    revived.warnings.push({ type: 'other', message: 'added' } as never);
    (revived.content[1] as { text: string }).text = 'mutated';
    for (const part of await collect(streamFromStored(stored, { hit: 'miss' }))) {
      if (part.type === 'finish') (part.providerMetadata?.openai as Record<string, unknown>).x = 1;
      if (part.type === 'stream-start')
        part.warnings.push({ type: 'other', message: 'x' } as never);
    }
    expect(stored).toEqual(copy);
    const fresh = structuredClone(stored);
    const inPlace = generateFromStored(fresh, { hit: 'exact' }, { fresh: true });
    expect(inPlace.warnings).toBe(fresh.warnings);
  });

  test('a replayed stream records back into the same stored result', async () => {
    const stored = storedFromGenerate(result);
    const recorder = new StreamRecorder();
    for (const part of await collect(streamFromStored(stored, { hit: 'exact' })))
      recorder.record(part);
    expect(recorder.result()).toEqual({
      ...stored,
      providerMetadata: { ...stored.providerMetadata, semcache: { hit: 'exact' } },
    });
  });

  test('a recorder with an error part or no finish has no result', () => {
    const failed = new StreamRecorder();
    failed.record({ type: 'text-delta', id: '0', delta: 'partial' });
    expect(failed.result()).toBeUndefined();
    failed.record({ type: 'error', error: new Error('cut') });
    failed.record({
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: result.usage,
    });
    expect(failed.result()).toBeUndefined();
  });

  test('foreign values are recognised', () => {
    expect(isStoredResult('text')).toBe(false);
    expect(isStoredResult({ content: 'x' })).toBe(false);
  });
});
