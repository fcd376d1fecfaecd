import { describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { Embedder } from './embedder.js';
import type { CacheEvents } from './events.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';
import {
  answerText,
  decide,
  embeddingJudge,
  type ResolvedVerify,
  wilsonUpper,
} from './verification.js';

const options = (maxFalseHitRate: number): ResolvedVerify => ({
  maxFalseHitRate,
  minSimilarity: 0.8,
  maxVerifyShare: 1,
  judge: undefined,
});

describe('decide', () => {
  test('with nothing known it verifies; with many right outcomes nearby it serves; a wrong outcome of the entry rules it out', () => {
    const none = { uninformed: [], informed: [] };
    expect(decide(0.95, [], none, options(0.02)).action).toBe('verify');
    const pooled = { uninformed: [{ bin: 95, correct: 300, wrong: 0 }], informed: [] };
    expect(decide(0.955, [], pooled, options(0.02)).action).toBe('serve');
    // Outcomes at a higher similarity say nothing for a lower one (error falls as similarity rises).
    expect(decide(0.9, [], pooled, options(0.02)).action).toBe('verify');
    expect(decide(0.955, [{ bin: 97, correct: 0, wrong: 1 }], pooled, options(0.02)).action).toBe(
      'skip',
    );
    expect(decide(0.79, [], pooled, options(0.02))).toEqual({
      action: 'skip',
      reason: 'below minSimilarity',
    });
    // Half wrong nearby: never served, however much data.
    const half = { uninformed: [{ bin: 95, correct: 500, wrong: 500 }], informed: [] };
    expect(decide(0.95, [], half, options(0.05)).action).toBe('verify');
  });

  test('an entry checked right at or below this similarity is judged by how such informed candidates fared', () => {
    const pooled = {
      uninformed: [{ bin: 95, correct: 500, wrong: 500 }],
      informed: [{ bin: 95, correct: 400, wrong: 1 }],
    };
    const checkedRight = [{ bin: 93, correct: 1, wrong: 0 }];
    expect(decide(0.955, checkedRight, pooled, options(0.02))).toMatchObject({
      action: 'serve',
      informed: true,
    });
    // Checked right only above this similarity: it says nothing here.
    expect(decide(0.92, [{ bin: 96, correct: 5, wrong: 0 }], pooled, options(0.02))).toMatchObject({
      action: 'verify',
      informed: false,
    });
  });

  test('the bound is an upper one and tightens with data', () => {
    expect(wilsonUpper(0, 0)).toBe(1);
    expect(wilsonUpper(0, 10)).toBeGreaterThan(0.1);
    expect(wilsonUpper(0, 1000)).toBeLessThan(0.002);
    expect(wilsonUpper(20, 1000)).toBeGreaterThan(0.02);
  });
});

describe('the default judge', () => {
  test('equal answer texts are equal; numbers, negation and antonyms differ; close texts agree', async () => {
    const judge = embeddingJudge({
      id: 'words',
      dimensions: 3,
      embed: async (texts) =>
        texts.map((text) => {
          const v = new Float32Array([text.length % 5, 1, text.includes('Paris') ? 3 : 0]);
          const n = Math.hypot(...v);
          return v.map((x) => x / n);
        }),
    });
    const ask = (cached: string, fresh: string) =>
      judge({ cached: { text: cached }, fresh: { text: fresh }, request: 'q', cachedRequest: 'q' });
    expect(await ask('Paris.', 'Paris.')).toBe(true);
    expect(await ask('It costs 100 dollars.', 'It costs 1000 dollars.')).toBe(false);
    expect(await ask('Turn it on.', 'Turn it off.')).toBe(false);
    expect(await ask('It is safe.', 'It is not safe.')).toBe(false);
    expect(
      answerText({
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }),
    ).toBe('a\nb');
  });
});

/**
 * A synthetic world where the truth is known. Texts are `<kind>:<intent>:<id>`; the embedder puts
 * each intent's texts near its own direction, and makes intents 2k and 2k+1 near-twins (cosine
 * ≈ 0.97): only even intents are stored, so an odd-intent question's nearest entry is the twin's,
 * with a different answer — the adversarial case a fixed threshold serves wrongly. Even-intent
 * questions are true paraphrases at similarities 0.92–0.99.
 */
function syntheticWorld(seed: number, adversarial = true) {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const dimensions = 64;
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const clusterDirection = (cluster: number) =>
    Array.from({ length: dimensions }, (_, d): number => (d === cluster ? 1 : 0));
  /** The vector at cosine `cos` from the cluster direction, rotated into dimension `towards`. */
  const at = (cluster: number, towards: number, cos: number) => {
    const v = clusterDirection(cluster);
    v[towards] = Math.sqrt(1 - cos * cos) / cos;
    return unit(v);
  };
  const similarities = new Map<string, number>();
  const embedder: Embedder = {
    id: 'synthetic',
    dimensions,
    embed: async (texts) =>
      texts.map((text) => {
        const [kind, intentText] = text.split(':');
        const intent = Number(intentText);
        const cluster = Math.floor(intent / 2);
        if (kind === 'e') return at(cluster, 40, 1);
        // Query: its similarity to the stored twin was drawn when the text was made.
        const cos = similarities.get(text) ?? 0.95;
        return at(cluster, 40 + (intent % 2) + 1 + (Number(text.split(':')[2]) % 10), cos);
      }),
  };
  let counter = 0;
  const question = (intent: number): string => {
    const text = `q:${intent}:${counter++}`;
    // Adversarial: look-alikes as close as paraphrases. Benign: look-alikes clearly further away.
    const lookAlike = adversarial ? 0.95 + random() * 0.03 : 0.83 + random() * 0.06;
    similarities.set(text, intent % 2 === 0 ? 0.92 + random() * 0.07 : lookAlike);
    return text;
  };
  return { embedder, question, random };
}

const request = (text: string): CacheRequest => ({
  model: { provider: 'test', id: 'model' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

/** Replays `queries` questions; returns the served false-hit rate and recall. */
async function replay(maxFalseHitRate: number | undefined, seed: number, adversarial = true) {
  const world = syntheticWorld(seed, adversarial);
  const store = new MemoryStore({ maxEntries: 100_000 });
  const writer = createSemanticCache({ store, embedder: world.embedder, guards: false });
  for (let intent = 0; intent < 40; intent += 2) {
    await writer.store(request(`e:${intent}:0`), {
      value: `answer ${intent}`,
      finishReason: 'stop',
    });
  }
  const reader = createSemanticCache({
    store,
    embedder: world.embedder,
    guards: false,
    threshold: 0.91,
    // Questions are never stored: every one is a semantic decision on the stored entries.
    shouldStore: () => false,
    ...(maxFalseHitRate === undefined
      ? {}
      : {
          verify: {
            maxFalseHitRate,
            judge: ({ cached, fresh }: { cached: unknown; fresh: unknown }) => cached === fresh,
          },
        }),
  });
  let served = 0;
  let wrong = 0;
  let shouldHit = 0;
  let hitRight = 0;
  for (let i = 0; i < 3000; i++) {
    const intent = Math.floor(world.random() * 40);
    const result = await reader.getOrCompute(request(world.question(intent)), async () => ({
      value: `answer ${intent}`,
      finishReason: 'stop',
    }));
    if (intent % 2 === 0) shouldHit++;
    if (result.kind === 'semantic') {
      served++;
      if (result.value !== `answer ${intent}`) wrong++;
      else hitRight++;
    }
    await reader.flush();
    // Requests arrive over time: let the event loop turn (a loop kept busy would shed semantic work).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    falseHitRate: served === 0 ? 0 : wrong / served,
    recall: hitRight / shouldHit,
    stats: reader.stats(),
  };
}

describe('verified caching on a synthetic stream with a known answer model', () => {
  test('adversarial look-alikes (as close as paraphrases): a fixed threshold serves them; verification keeps false hits within the bound for every δ', async () => {
    const fixed = await replay(undefined, 7);
    expect(fixed.falseHitRate).toBeGreaterThan(0.3);
    for (const delta of [0.01, 0.02, 0.05]) {
      const verified = await replay(delta, 7);
      expect(verified.falseHitRate).toBeLessThanOrEqual(delta);
      expect(verified.stats.verifications).toBeGreaterThan(0);
      expect(verified.stats.estimatedFalseHitRate ?? 0).toBeLessThanOrEqual(delta);
    }
  }, 60_000);

  test('a benign stream: verification learns to serve the paraphrases, within the bound', async () => {
    for (const delta of [0.01, 0.02, 0.05]) {
      const verified = await replay(delta, 11, false);
      expect(verified.falseHitRate).toBeLessThanOrEqual(delta);
      expect(verified.recall).toBeGreaterThan(0.5);
      // Checks are a minority of the would-be hits once it has learned.
      expect(verified.stats.verifications).toBeLessThan(verified.stats.wouldBeHits / 2);
    }
  }, 60_000);

  test('outcomes live with the entries in the store: a second cache on the same store serves without re-learning', async () => {
    const world = syntheticWorld(3);
    const store = new MemoryStore();
    const verify = {
      maxFalseHitRate: 0.05,
      judge: ({ cached, fresh }: { cached: unknown; fresh: unknown }) => cached === fresh,
    };
    const first = createSemanticCache({ store, embedder: world.embedder, guards: false, verify });
    await first.store(request('e:0:0'), { value: 'answer 0', finishReason: 'stop' });
    const events: CacheEvents['verify'][] = [];
    first.on('verify', (event) => events.push(event));
    for (let i = 0; i < 120; i++) {
      await first.getOrCompute(request(world.question(0)), async () => ({
        value: 'answer 0',
        finishReason: 'stop',
      }));
      await first.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.correct)).toBe(true);
    const second = createSemanticCache({ store, embedder: world.embedder, guards: false, verify });
    // The pooled prior is read in the background: ask once to start the read.
    second.stats();
    await second.lookup(request(world.question(0)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const kinds: string[] = [];
    for (let i = 0; i < 20; i++) kinds.push((await second.lookup(request(world.question(0)))).kind);
    expect(kinds.filter((kind) => kind === 'semantic').length).toBeGreaterThan(10);
  }, 30_000);

  test('maxVerifyShare bounds the checks: past it, uncertain candidates are misses', async () => {
    const world = syntheticWorld(5);
    const store = new MemoryStore();
    const cache = createSemanticCache({
      store,
      embedder: world.embedder,
      guards: false,
      shouldStore: () => false,
      verify: { maxVerifyShare: 0.1, judge: () => true },
    });
    const writer = createSemanticCache({ store, embedder: world.embedder, guards: false });
    await writer.store(request('e:0:0'), { value: 'a', finishReason: 'stop' });
    for (let i = 0; i < 50; i++) {
      await cache.getOrCompute(request(world.question(0)), async () => ({
        value: 'a',
        finishReason: 'stop',
      }));
      await cache.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stats = cache.stats();
    expect(stats.verifications).toBeGreaterThan(0);
    expect(stats.verifications).toBeLessThanOrEqual(0.1 * stats.wouldBeHits + 1);
    expect(stats.misses).toBeGreaterThan(stats.verifications);
  });
});
