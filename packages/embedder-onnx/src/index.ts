export type { HubDownloadOptions } from './hub-download.js';
export { downloadModelFiles } from './hub-download.js';
export { defaultCacheDir, missingFiles, prepareScript } from './model-files.js';
export type { ModelKey, ModelSpec, Pooling } from './model-specs.js';
export { chineseModel, englishModel, modelSpecs } from './model-specs.js';
export type { OnnxEmbedder, OnnxEmbedderOptions } from './onnx-embedder.js';
export { onnxDefaultThreshold, onnxEmbedder } from './onnx-embedder.js';
export type { TextModel, TextModelLoader } from './onnx-model.js';
export { loadOnnxModel } from './onnx-model.js';
