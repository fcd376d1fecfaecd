import type { EmbeddingModelV4 } from '@ai-sdk/provider';
import { type Embedder, SemcacheError } from '@semcache/core';
import { embedMany } from 'ai';

/** Options of {@link aiSdkEmbedder}. */
export interface AiSdkEmbedderOptions {
  /**
   * Vector length, when known in advance (it becomes part of the embedder id). Default: learned
   * from the first response.
   */
  dimensions?: number;
  /** Parallel requests `embedMany` may make. Default `2`. */
  maxParallelCalls?: number;
}

/**
 * Wraps any AI SDK embedding model as a core {@link Embedder}, e.g.
 * `aiSdkEmbedder(holysheep.textEmbeddingModel('text-embedding-3-small'))`. Texts are batched with
 * `embedMany`; vectors are L2-normalised. The id is `provider:modelId` (plus the dimensions when
 * given), so entries embedded by another model are never compared.
 */
export function aiSdkEmbedder(
  model: EmbeddingModelV4,
  options: AiSdkEmbedderOptions = {},
): Embedder {
  let dimensions = options.dimensions;
  return {
    id: `ai-sdk:${model.provider}:${model.modelId}${options.dimensions ? `:${options.dimensions}` : ''}`,
    get dimensions() {
      return dimensions ?? 0;
    },
    async embed(texts) {
      if (texts.length === 0) return [];
      const { embeddings } = await embedMany({
        model,
        values: [...texts],
        maxParallelCalls: options.maxParallelCalls ?? 2,
      });
      return embeddings.map((embedding) => {
        dimensions ??= embedding.length;
        if (embedding.length !== dimensions) {
          throw new SemcacheError(
            'EMBEDDER_FAILED',
            `${model.modelId} returned a vector of length ${embedding.length}; expected ${dimensions}.`,
          );
        }
        return normalized(embedding);
      });
    },
  };
}

function normalized(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  let norm = 0;
  for (const x of vector) norm += x * x;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
  }
  return vector;
}
