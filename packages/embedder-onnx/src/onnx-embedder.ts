import { join } from 'node:path';
import { type Embedder, lexicalEmbedder, SemcacheError } from '@semcache/core';
import { lexicalVector } from '@semcache/core/internal';
import { downloadModelFiles } from './hub-download.js';
import { defaultCacheDir, missingFiles, missingFilesMessage } from './model-files.js';
import { type ModelKey, type ModelSpec, modelSpecs } from './model-specs.js';
import { loadOnnxModel, type TextModel, type TextModelLoader } from './onnx-model.js';
import { l2Normalize } from './pooling.js';
import { routeByScript } from './route-by-script.js';
import {
  calibratedThreshold,
  mixChinese,
  placeModelVector,
  unreadableVector,
  vectorLayout,
} from './vector-layout.js';

/** Bumped whenever the vectors this embedder returns change (layout, pooling, routing, models). */
const version = 1;

/**
 * The calibrated threshold of this embedder (similarity in [0, 1] on its calibrated scale, see
 * {@link similarityCalibration}), chosen on the project's labelled pair sets with the default
 * guards: see the package README, "Threshold".
 */
export const onnxDefaultThreshold = calibratedThreshold;

/**
 * Options of {@link onnxEmbedder}; every field has a default.
 *
 * | option            | default                                   |
 * | ----------------- | ----------------------------------------- |
 * | `englishModelDir` | `<cacheDir>/all-MiniLM-L6-v2`             |
 * | `chineseModelDir` | `<cacheDir>/bge-small-zh-v1.5`            |
 * | `cacheDir`        | {@link defaultCacheDir}                   |
 * | `allowDownload`   | `false`                                   |
 * | `hubUrl`          | `'https://huggingface.co'`                |
 * | `revision`        | `'main'`                                  |
 * | `threads`         | `1`                                       |
 */
export interface OnnxEmbedderOptions {
  /**
   * Folder holding all-MiniLM-L6-v2 (`tokenizer.json`, `tokenizer_config.json`,
   * `onnx/model_q4.onnx`, `onnx/model_q4.onnx_data`). When given it must be complete: it is never
   * downloaded into. Default: `<cacheDir>/all-MiniLM-L6-v2`.
   */
  englishModelDir?: string;
  /**
   * Folder holding bge-small-zh-v1.5 (`tokenizer.json`, `tokenizer_config.json`,
   * `onnx/model_quantized.onnx`). When given it must be complete. Default:
   * `<cacheDir>/bge-small-zh-v1.5`.
   */
  chineseModelDir?: string;
  /**
   * Cache folder with one sub-folder per model, where downloads go. Default: `$SEMCACHE_MODELS_DIR`,
   * else `$XDG_CACHE_HOME/semcache/models`, else `~/.cache/semcache/models`.
   */
  cacheDir?: string;
  /**
   * Whether a model missing from the cache folder may be downloaded from the Hugging Face hub, on
   * the first text that needs it. Default `false`: nothing is ever downloaded, and a missing
   * model is an error when the embedder is created.
   */
  allowDownload?: boolean;
  /** Base URL of the hub to download from. Default `'https://huggingface.co'`. */
  hubUrl?: string;
  /** Branch, tag or commit of the hub repositories to download. Default `'main'`. */
  revision?: string;
  /** onnxruntime intra-op threads per model. Default `1` (one lookup embeds one short text). */
  threads?: number;
  /**
   * Replaces the model loader (tests, or another runtime). Default: onnxruntime-node with
   * `@huggingface/tokenizers` ({@link loadOnnxModel}).
   */
  loadModel?: TextModelLoader;
  /** The fetch used for downloads. Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** The {@link Embedder} {@link onnxEmbedder} returns, with control over its models. */
export interface OnnxEmbedder extends Embedder {
  readonly defaultThreshold: number;
  /**
   * Loads models now instead of on the first text that needs them (each ~0.15–0.3 s, plus the
   * download when one is needed and allowed). Default: both. Call it at start-up so the first
   * lookup does not spend the cache's `embedTimeoutMs` on loading. Rejects with `SemcacheError`
   * (`EMBEDDER_FAILED`) when a model cannot load; a later call tries again.
   */
  load(models?: readonly ModelKey[]): Promise<void>;
  /** Whether `model` is loaded. */
  isLoaded(model: ModelKey): boolean;
  /** Frees the native sessions; a later `embed` loads the models again. */
  close(): Promise<void>;
}

interface ModelSlot {
  spec: ModelSpec;
  folder: string;
  /** Whether missing files may be downloaded into `folder` (only the cache folder, only when allowed). */
  download: boolean;
  loading?: Promise<TextModel>;
  loaded?: TextModel;
}

/**
 * A local neural embedder for English and Chinese that finds paraphrases:
 * sentence-transformers all-MiniLM-L6-v2 (4-bit ONNX, mean pooling) for text without Chinese
 * characters, BAAI bge-small-zh-v1.5 (int8 ONNX, CLS pooling) for Chinese ({@link routeByScript}),
 * on onnxruntime-node's CPU backend. Offline once the model files are present.
 *
 * Creating it checks the model files (rejecting with `INVALID_OPTIONS` naming the folder and the
 * missing files) but loads nothing: each model is loaded on the first text routed to it (or by
 * `load()`), once, even for concurrent first calls.
 *
 * Every vector has 1536 dimensions in disjoint blocks ({@link vectorLayout}): MiniLM's 384 for
 * English; for Chinese bge's 512 mixed half and half with core's lexical vector (bge alone lets
 * word-swapped sentences through); each language's calibration constant; the other blocks zero;
 * unit length. An English and a Chinese text are therefore orthogonal (similarity 0): they
 * never match. Each model's cosine is mapped onto one scale ({@link similarityCalibration}) on
 * which both models' calibrated thresholds are `defaultThreshold`; the cache uses it when no
 * `threshold` is given.
 *
 * @example
 * ```ts
 * const embedder = await onnxEmbedder(); // models in ~/.cache/semcache/models, or allowDownload: true
 * const cache = createSemanticCache({ embedder }); // threshold: embedder.defaultThreshold
 * ```
 */
export async function onnxEmbedder(options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    invalid(`threads must be an integer in [1, 64], got ${String(threads)}.`);
  }
  for (const name of [
    'englishModelDir',
    'chineseModelDir',
    'cacheDir',
    'hubUrl',
    'revision',
  ] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      invalid(
        `${name} must be a non-empty string, got ${typeof value === 'string' ? 'an empty string' : typeof value}.`,
      );
    }
  }
  if (options.allowDownload !== undefined && typeof options.allowDownload !== 'boolean') {
    invalid(`allowDownload must be a boolean, got ${typeof options.allowDownload}.`);
  }
  const hubUrl = (options.hubUrl ?? 'https://huggingface.co').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(hubUrl)) invalid(`hubUrl must be an http(s) URL, got ${hubUrl}.`);
  const revision = options.revision ?? 'main';
  const allowDownload = options.allowDownload ?? false;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const loadModel = options.loadModel ?? loadOnnxModel;
  const fetchImpl = options.fetch ?? globalThis.fetch;

  const slots = {} as Record<ModelKey, ModelSlot>;
  for (const [key, option] of [
    ['en', 'englishModelDir'],
    ['zh', 'chineseModelDir'],
  ] as const) {
    const spec = modelSpecs[key];
    const given = options[option];
    const folder = given ?? join(cacheDir, spec.name);
    const missing = await missingFiles(spec, folder);
    if (missing.length > 0 && (given !== undefined || !allowDownload)) {
      invalid(missingFilesMessage(spec, folder, missing, option).replace(/^onnxEmbedder: /, ''));
    }
    slots[key] = { spec, folder, download: given === undefined && allowDownload };
  }

  const model = (slot: ModelSlot): Promise<TextModel> => {
    slot.loading ??= (async () => {
      const missing = await missingFiles(slot.spec, slot.folder);
      if (missing.length > 0) {
        if (!slot.download) {
          throw new Error(
            missingFilesMessage(slot.spec, slot.folder, missing, optionOf(slot.spec)),
          );
        }
        await downloadModelFiles(slot.spec, slot.folder, missing, {
          hubUrl,
          revision,
          fetch: fetchImpl,
        });
      }
      const loaded = await loadModel(slot.spec, slot.folder, { threads });
      slot.loaded = loaded;
      return loaded;
    })().catch((error: unknown) => {
      slot.loading = undefined; // a later call tries again
      throw loadError(slot, error);
    });
    return slot.loading;
  };

  async function embedOne(text: string): Promise<Float32Array> {
    const key = routeByScript(text);
    const slot = slots[key];
    const loaded = await model(slot);
    let pooled: Float64Array | undefined;
    try {
      pooled = await loaded.embed(text);
    } catch (error) {
      throw new SemcacheError(
        'EMBEDDER_FAILED',
        `onnxEmbedder: ${slot.spec.name} failed on a text of ${text.length} characters: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (pooled === undefined) return unreadableVector(text);
    const block = vectorLayout[key];
    if (pooled.length !== block.length) {
      throw new SemcacheError(
        'EMBEDDER_FAILED',
        `onnxEmbedder: ${slot.spec.name} returned a vector of length ${pooled.length}; expected ${block.length}.`,
      );
    }
    const unit = new Float32Array(block.length);
    if (!l2Normalize(pooled, unit)) {
      throw new SemcacheError(
        'EMBEDDER_FAILED',
        `onnxEmbedder: ${slot.spec.name} returned a zero or non-finite vector.`,
      );
    }
    return placeModelVector(
      key,
      key === 'zh' ? mixChinese(unit, lexicalVector(text, vectorLayout.zhLexical.length)) : unit,
    );
  }

  const lexicalId = lexicalEmbedder({ dimensions: vectorLayout.zhLexical.length }).id;
  return {
    id: `onnx-v${version}:${slots.en.spec.name}-${slots.en.spec.variant}+${slots.zh.spec.name}-${slots.zh.spec.variant}+${lexicalId}`,
    dimensions: vectorLayout.dimensions,
    defaultThreshold: onnxDefaultThreshold,
    async embed(texts) {
      if (!Array.isArray(texts)) {
        throw new SemcacheError(
          'INVALID_REQUEST',
          'onnxEmbedder: embed expects an array of strings.',
        );
      }
      for (const text of texts) {
        if (typeof text !== 'string') {
          throw new SemcacheError(
            'INVALID_REQUEST',
            `onnxEmbedder: expected a string, got ${typeof text}.`,
          );
        }
      }
      // One text per inference run, in order: a text's vector never depends on its batch.
      const vectors: Float32Array[] = [];
      for (const text of texts) vectors.push(await embedOne(text));
      return vectors;
    },
    async load(models = ['en', 'zh']) {
      for (const key of models) {
        if (key !== 'en' && key !== 'zh') {
          throw new SemcacheError(
            'INVALID_OPTIONS',
            `onnxEmbedder.load: unknown model ${String(key)}; use 'en' or 'zh'.`,
          );
        }
      }
      await Promise.all(models.map((key) => model(slots[key])));
    },
    isLoaded: (key) => slots[key]?.loaded !== undefined,
    async close() {
      const closing = Object.values(slots).map(async (slot) => {
        const loading = slot.loading;
        slot.loading = undefined;
        slot.loaded = undefined;
        const loaded = await loading?.catch(() => undefined);
        await loaded?.close();
      });
      await Promise.all(closing);
    },
  };
}

function invalid(message: string): never {
  throw new SemcacheError('INVALID_OPTIONS', `onnxEmbedder: ${message}`);
}

function optionOf(spec: ModelSpec): string {
  return spec === modelSpecs.en ? 'englishModelDir' : 'chineseModelDir';
}

/** Any failure to get a model ready, as a {@link SemcacheError} that says what to do. */
function loadError(slot: ModelSlot, cause: unknown): SemcacheError {
  if (cause instanceof SemcacheError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const hint = /onnxEmbedder: the /.test(reason)
    ? ''
    : /Cannot find (module|package) '(onnxruntime-node|@huggingface\/tokenizers)'/.test(reason)
      ? ' Install onnxruntime-node and @huggingface/tokenizers next to @semcache/embedder-onnx (they are its dependencies).'
      : ` Check that ${slot.folder} holds ${slot.spec.files.join(', ')} from ${slot.spec.hubRepo} (bash packages/embedder-onnx/scripts/prepare-test-models.sh puts them in place), or pass lexicalEmbedder() from @semcache/core, which needs no model.`;
  return new SemcacheError(
    'EMBEDDER_FAILED',
    `${reason.startsWith('onnxEmbedder: ') ? '' : `onnxEmbedder: could not load ${slot.spec.name} from ${slot.folder}: `}${reason.slice(0, 500)}${hint}`,
    { cause },
  );
}
