import { type CacheRequest, createSemanticCache } from '@semcache/core';
import { cosineSimilarity, isSemcacheError } from '@semcache/core/internal';
import { beforeAll, describe, expect, test } from 'vitest';
import { containsCjk } from './contains-cjk.js';
import { useLiteEmbedder } from './use-lite-embedder.js';
import type { UseModel } from './use-model.js';

// One real model for the whole file: loading it is the slow part.
const embedder = useLiteEmbedder();
beforeAll(() => embedder.load(), 60_000);

const dot = (a: Float32Array, b: Float32Array): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
};

const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

/** A fake model: a deterministic vector per text, and a log of the batches it saw. */
function fakeModel(): { batches: string[][]; model: UseModel } {
  const batches: string[][] = [];
  return {
    batches,
    model: {
      embed: async (texts) => {
        batches.push(texts);
        return texts.map((text) =>
          Array.from({ length: 512 }, (_, i) => ((text.length + i) % 7) - 3 + 0.5),
        );
      },
    },
  };
}

describe('useLiteEmbedder (real model)', () => {
  test('id and dimensions: USE half plus lexical half', () => {
    expect(embedder.dimensions).toBe(1024);
    expect(embedder.id).toBe('use-lite-v1+lexical-v3-512');
  });

  test.each([
    [
      'How do I reset my password?',
      'I forgot my password, how can I change it?',
      'What is the weather like in Paris today?',
    ],
    [
      'What is the capital of France?',
      "Which city is France's capital?",
      'How many legs does a spider have?',
    ],
    [
      'Recommend a good book about machine learning.',
      'Can you suggest a nice machine learning book?',
      'My car makes a strange noise when braking.',
    ],
    [
      'How do I cancel my subscription?',
      'What are the steps to end my subscription?',
      'Tell me a joke about cats.',
    ],
  ])('paraphrase scores higher than unrelated: %s', async (text, paraphrase, unrelated) => {
    const [a, b, c] = (await embedder.embed([text, paraphrase, unrelated])) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const paraphraseScore = cosineSimilarity(a, b);
    const unrelatedScore = cosineSimilarity(a, c);
    expect(paraphraseScore).toBeGreaterThan(unrelatedScore + 0.2);
    expect(paraphraseScore).toBeGreaterThan(0.6);
  });

  test('vectors are L2-normalised, deterministic and independent of batching', async () => {
    const texts = [
      'How do I reset my password?',
      'What is the capital of France?',
      '',
      '   ',
      'x'.repeat(3000),
      '重置密码',
    ];
    const first = await embedder.embed(texts);
    const again = await useLiteEmbedder({ batchSize: 2 }).embed(texts);
    const single = await Promise.all(texts.map(async (t) => (await embedder.embed([t]))[0]));
    expect(first).toHaveLength(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const vector = first[i] as Float32Array;
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(1024);
      expect(norm(vector)).toBeCloseTo(1, 5);
      expect(Array.from(again[i] as Float32Array)).toEqual(
        Array.from(vector).map((v) => expect.closeTo(v, 5)),
      );
      expect(cosineSimilarity(vector, single[i] as Float32Array)).toBeGreaterThan(0.99999);
    }
    const [x] = await embedder.embed(['How do I reset my password?']);
    expect(Array.from(x as Float32Array)).toEqual(Array.from(first[0] as Float32Array));
  });

  test('CJK text is embedded lexically and never matches English', async () => {
    const english = await embedder.embed([
      'How do I reset my password?',
      'password reset',
      'Tokyo',
    ]);
    const cjk = await embedder.embed([
      '如何重置我的密码？',
      '如何重置我的密码',
      '怎么重置 password？',
      '東京',
      '비밀번호를 재설정하는 방법',
    ]);
    for (const e of english) {
      expect(e.subarray(512).every((v) => v === 0)).toBe(true);
      for (const c of cjk) {
        expect(c.subarray(0, 512).every((v) => v === 0)).toBe(true);
        expect(dot(e, c)).toBe(0);
      }
    }
    // CJK near-duplicates still match each other (the lexical embedder's similarity).
    expect(cosineSimilarity(cjk[0] as Float32Array, cjk[1] as Float32Array)).toBeGreaterThan(0.9);
  });

  test('works inside createSemanticCache for a paraphrase lookup', async () => {
    const ask = (text: string): CacheRequest => ({
      model: { provider: 'openai.chat', id: 'gpt-4.1' },
      messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    });
    const cache = createSemanticCache({ embedder });
    await cache.store(ask('How do I reset my password?'), {
      value: { text: 'Use the link on the sign-in page.' },
    });
    const hit = await cache.lookup(ask('I forgot my password, how can I change it?'));
    expect(hit.kind).toBe('semantic');
    expect(hit.kind === 'semantic' && hit.value).toEqual({
      text: 'Use the link on the sign-in page.',
    });
    expect((await cache.lookup(ask('What is the weather like in Paris today?'))).kind).toBe('miss');
    expect((await cache.lookup(ask('如何重置我的密码？'))).kind).toBe('miss');
  });
});

describe('useLiteEmbedder (fake model)', () => {
  test('loads lazily, once, and never for CJK-only batches', async () => {
    const { model } = fakeModel();
    let loads = 0;
    const lazy = useLiteEmbedder({
      loadModel: async () => {
        loads++;
        return model;
      },
    });
    expect(loads).toBe(0);
    await lazy.embed(['重置密码']);
    expect(loads).toBe(0);
    await Promise.all([lazy.embed(['a']), lazy.embed(['b']), lazy.load()]);
    expect(loads).toBe(1);
  });

  test('batches texts and keeps their order', async () => {
    const { batches, model } = fakeModel();
    const batched = useLiteEmbedder({ batchSize: 2, loadModel: async () => model });
    const vectors = await batched.embed(['a', 'bb', '中文', 'ccc', 'dddd', 'eeeee']);
    expect(batches).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(vectors).toHaveLength(6);
    expect((vectors[2] as Float32Array)[0]).toBe(0);
    expect((vectors[1] as Float32Array).slice(512).every((v) => v === 0)).toBe(true);
  });

  test('a model that cannot load gives EMBEDDER_FAILED saying what to do; a later call retries', async () => {
    let attempts = 0;
    const { model } = fakeModel();
    const failing = useLiteEmbedder({
      loadModel: async () => {
        attempts++;
        if (attempts === 1) throw new Error('ENOENT: model.json');
        return model;
      },
    });
    const error = await failing.embed(['hello']).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'EMBEDDER_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/ENOENT: model\.json/);
    expect((error as Error).message).toMatch(/@energetic-ai\/model-embeddings-en/);
    expect((error as Error).message).toMatch(/lexicalEmbedder\(\)/);
    expect(await failing.embed(['hello'])).toHaveLength(1);
    expect(attempts).toBe(2);
  });

  test('a model returning the wrong shape gives EMBEDDER_FAILED', async () => {
    const broken = useLiteEmbedder({ loadModel: async () => ({ embed: async () => [[1, 2]] }) });
    const error = await broken.embed(['hello']).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'EMBEDDER_FAILED')).toBe(true);
  });

  test('rejects a bad batchSize', () => {
    expect(() => useLiteEmbedder({ batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('containsCjk', () => {
  test.each([
    ['如何重置密码', true],
    ['パスワード', true],
    ['비밀번호', true],
    ['reset 密码', true],
    ['How do I reset my password?', false],
    ['Ünïcödé café — naïve', false],
    ['', false],
  ])('%s → %s', (text, expected) => {
    expect(containsCjk(text)).toBe(expected);
  });
});
