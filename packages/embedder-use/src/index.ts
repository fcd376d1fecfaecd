export { containsCjk } from './contains-cjk.js';
export type { UseLiteEmbedder, UseLiteEmbedderOptions } from './use-lite-embedder.js';
export { useLiteDimensions, useLiteEmbedder } from './use-lite-embedder.js';
export type { UseModel, UseModelLoader } from './use-model.js';
export { loadEnergeticUseLite } from './use-model.js';
