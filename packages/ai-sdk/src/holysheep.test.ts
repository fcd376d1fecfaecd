import { isSemcacheError } from '@semcache/core/internal';
import { afterEach, expect, test, vi } from 'vitest';
import { createHolySheep, holySheepBaseURL } from './holysheep.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

test('a missing key is a MISSING_API_KEY error naming HOLYSHEEP_API_KEY', () => {
  vi.stubEnv('HOLYSHEEP_API_KEY', '');
  try {
    createHolySheep();
    expect.unreachable();
  } catch (error) {
    expect(isSemcacheError(error, 'MISSING_API_KEY')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/set the HOLYSHEEP_API_KEY environment variable/);
    expect(message).toContain('https://api.holysheep.ai/v1');
    expect(message).toContain('{ apiKey }');
    expect(message).toMatch(/without a key.*startMockOpenAI.*@semcache\/mock-openai/);
  }
});

test('reads the key from the environment and uses chat completions on the HolySheep URL', async () => {
  vi.stubEnv('HOLYSHEEP_API_KEY', 'sk-env');
  const seen: Array<{ url: string; auth: string | null }> = [];
  const provider = createHolySheep({
    fetch: async (input, init) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
      return new Response(JSON.stringify({ error: { message: 'nope' } }), { status: 401 });
    },
  });
  const error = await Promise.resolve(
    provider('gpt-4.1').doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    }),
  ).catch((e: unknown) => e);
  expect(seen[0]).toEqual({ url: `${holySheepBaseURL}/chat/completions`, auth: 'Bearer sk-env' });
  expect((error as Error).message).toMatch(/nope — Check HOLYSHEEP_API_KEY/);
  expect((error as { statusCode?: number }).statusCode).toBe(401);
});
