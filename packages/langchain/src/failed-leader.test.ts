import { createSemanticCache } from '@semcache/core';
import { describe, expect, test } from 'vitest';
import { cacheStatus, mockChat, useMockServer } from './chat-fixture.test.helper.js';
import { SemanticCache } from './semantic-cache.js';
import { withSemanticCache } from './with-semantic-cache.js';

/**
 * LangChain never tells a `BaseCache` that a model call failed. These tests go through ChatOpenAI
 * and real HTTP to the mock server, as an app does: a retry right after a failure must not wait
 * for the failed call, and identical concurrent calls against a healthy slow model still make one
 * model call.
 */
const server = useMockServer();
const question = 'What is the capital of France?';

type Setup = 'cache option' | 'cache option + failureHandler' | 'withSemanticCache';

function chatWith(setup: Setup) {
  const core = createSemanticCache();
  if (setup === 'withSemanticCache') return withSemanticCache(mockChat(server()), { cache: core });
  const cache = new SemanticCache({ cache: core });
  return mockChat(server(), {
    cache,
    ...(setup === 'cache option + failureHandler' ? { callbacks: [cache.failureHandler] } : {}),
  });
}

async function timeTenFailingCalls(invoke: () => Promise<unknown>): Promise<number> {
  server().failNext({ status: 500, count: 10 });
  const started = performance.now();
  for (let i = 0; i < 10; i++) await expect(invoke()).rejects.toThrow();
  return performance.now() - started;
}

describe('a retry never waits on a failed call', () => {
  test.each<Setup>(['cache option', 'cache option + failureHandler', 'withSemanticCache'])(
    '%s: 10 identical invokes in a row against a server that answers 500 take no longer than 10 round trips + 1 s',
    async (setup) => {
      server().setLatency(20);
      try {
        // The same ten failing calls without a cache: ten model round trips.
        const plain = mockChat(server());
        const roundTrips = await timeTenFailingCalls(() => plain.invoke(question));
        const llm = chatWith(setup);
        const cached = await timeTenFailingCalls(() => llm.invoke(question));
        expect(server().requests.chat).toBe(20);
        expect(cached).toBeLessThanOrEqual(roundTrips + 1000);
        // After the failures, the next call is answered and stored.
        const answer = await llm.invoke(question);
        expect(cacheStatus(answer)).toBe('miss');
        expect(cacheStatus(await llm.invoke(question))).toBe('exact');
      } finally {
        server().setLatency(0);
      }
    },
    30_000,
  );
});

describe('identical concurrent calls against a healthy slow model make one model call', () => {
  test.each<[Setup, number]>([
    ['cache option + failureHandler', 1500],
    ['withSemanticCache', 1500],
    // Without the handler a cold cache waits up to 0.5 s for a lead it cannot see fail.
    ['cache option', 300],
  ])(
    '%s, model latency %i ms: 10 concurrent invokes, 1 request',
    async (setup, latencyMs) => {
      server().setLatency(latencyMs);
      try {
        const llm = chatWith(setup);
        const answers = await Promise.all(Array.from({ length: 10 }, () => llm.invoke(question)));
        expect(server().requests.chat).toBe(1);
        expect(new Set(answers.map((answer) => answer.content)).size).toBe(1);
        expect(
          answers.map((answer) => cacheStatus(answer)).filter((s) => s === 'coalesced'),
        ).toHaveLength(9);
      } finally {
        server().setLatency(0);
      }
    },
    30_000,
  );

  test('cache option: once the model has answered, a slower burst is coalesced too (waits are learned)', async () => {
    const llm = chatWith('cache option');
    server().setLatency(800);
    try {
      await llm.invoke('Warm-up question about Spain?');
      const answers = await Promise.all(Array.from({ length: 10 }, () => llm.invoke(question)));
      expect(server().requests.chat).toBe(2);
      expect(answers.filter((answer) => cacheStatus(answer) === 'coalesced')).toHaveLength(9);
    } finally {
      server().setLatency(0);
    }
  }, 30_000);
});
