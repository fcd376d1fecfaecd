import { describe, expect, test } from 'vitest';
import { callToken } from './call-token.js';

// Mirrors how LangChain calls a cache: generate() looks up all its prompts in one synchronous
// loop after an await; batch() runs one generate() per input.
async function generate(prompts: number): Promise<object[]> {
  await Promise.resolve();
  return Promise.all(Array.from({ length: prompts }, async () => callToken()));
}

describe('callToken', () => {
  test('lookups of one generate() share a token', async () => {
    const [a, b] = await generate(2);
    expect(a).toBe(b);
  });

  test('separate calls, concurrent or sequential, get different tokens', async () => {
    const concurrent = await Promise.all([generate(1), generate(1), generate(1)]);
    const sequential = [...(await generate(1)), ...(await generate(1))];
    const tokens = [...concurrent.flat(), ...sequential];
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  test('the caller of generate() never sees the token', async () => {
    await generate(1);
    const [later] = await generate(1);
    const [again] = await generate(1);
    expect(later).not.toBe(again);
  });
});
