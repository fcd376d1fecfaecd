import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Embedder } from '@semcache/core';
import { SemcacheError } from '@semcache/core';

/** Options of {@link langchainEmbedder}. */
export interface LangChainEmbedderOptions {
  /**
   * Length of the model's vectors. Default: `embeddings.dimensions` when the class has it
   * (OpenAIEmbeddings with `dimensions` set), otherwise learned from the first call. Pass it when
   * you can: until the first call `dimensions` reads `0` and the id ends in `:?`.
   */
  dimensions?: number;
  /**
   * Model name used in the embedder id. Default: `embeddings.model`, else `embeddings.modelName`,
   * else the class name.
   */
  model?: string;
}

/**
 * Wraps any LangChain `Embeddings` (OpenAIEmbeddings, ...) as a semcache {@link Embedder}.
 *
 * Texts are embedded with `embedDocuments` (cached and asked texts are the same kind of text, so
 * one method for both keeps the comparison symmetric) and every vector is L2-normalised, so the
 * core's dot product is the cosine similarity. The id is `langchain:<model>:<dimensions>`; the core
 * keeps vectors of different ids apart, so changing the model never compares foreign vectors.
 *
 * ```ts
 * const cache = createSemanticCache({
 *   embedder: langchainEmbedder(new OpenAIEmbeddings({ model: 'text-embedding-3-small' }), { dimensions: 1536 }),
 * });
 * ```
 *
 * `embed` rejects with `EMBEDDER_FAILED` when the model returns a vector of another length, a
 * non-finite number or the wrong number of vectors; the core then skips semantic matching for the
 * call.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` when `dimensions` is not a positive integer.
 */
export function langchainEmbedder(
  embeddings: EmbeddingsInterface,
  options: LangChainEmbedderOptions = {},
): Embedder {
  const declared = options.dimensions ?? numberField(embeddings, 'dimensions');
  if (declared !== undefined && !(Number.isInteger(declared) && declared > 0)) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `langchainEmbedder: dimensions must be a positive integer, got ${String(declared)}.`,
    );
  }
  const model =
    options.model ??
    stringField(embeddings, 'model') ??
    stringField(embeddings, 'modelName') ??
    embeddings.constructor?.name ??
    'embeddings';
  let dimensions = declared;

  return {
    get id() {
      return `langchain:${model}:${dimensions ?? '?'}`;
    },
    get dimensions() {
      return dimensions ?? 0;
    },
    async embed(texts) {
      if (texts.length === 0) return [];
      let raw: number[][];
      try {
        raw = await embeddings.embedDocuments([...texts]);
      } catch (cause) {
        throw new SemcacheError(
          'EMBEDDER_FAILED',
          `LangChain embeddings ${model} failed: ${cause instanceof Error ? cause.message : String(cause)}.`,
          { cause },
        );
      }
      if (!Array.isArray(raw) || raw.length !== texts.length) {
        throw new SemcacheError(
          'EMBEDDER_FAILED',
          `LangChain embeddings ${model} returned ${Array.isArray(raw) ? raw.length : 'no'} vectors for ${texts.length} texts.`,
        );
      }
      return raw.map((vector) => {
        dimensions ??= Array.isArray(vector) ? vector.length : undefined;
        return normalize(vector, dimensions ?? 0, model);
      });
    },
  };
}

function normalize(vector: unknown, dimensions: number, model: string): Float32Array {
  if (!Array.isArray(vector) || vector.length !== dimensions || dimensions === 0) {
    throw new SemcacheError(
      'EMBEDDER_FAILED',
      `LangChain embeddings ${model} returned a vector of length ${Array.isArray(vector) ? vector.length : 'none'}; expected ${dimensions}. Set the dimensions option to the model's vector length.`,
    );
  }
  const result = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = vector[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SemcacheError(
        'EMBEDDER_FAILED',
        `LangChain embeddings ${model} returned a non-finite number.`,
      );
    }
    result[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dimensions; i++) result[i] = (result[i] ?? 0) / norm;
  return result;
}

function numberField(source: object, name: string): number | undefined {
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : undefined;
}

function stringField(source: object, name: string): string | undefined {
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
