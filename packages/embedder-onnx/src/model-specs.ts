/** The two models of {@link onnxEmbedder}: `'en'` is all-MiniLM-L6-v2, `'zh'` is bge-small-zh-v1.5. */
export type ModelKey = 'en' | 'zh';

/** How a model's token vectors become one sentence vector. */
export type Pooling = 'mean' | 'cls';

/** What the embedder needs to know about one model: its files, its output and where it comes from. */
export interface ModelSpec {
  /** Folder name under the cache folder, and the model's name in the embedder id. */
  readonly name: string;
  /** Weight format, part of the embedder id (vectors of other quantisations differ). */
  readonly variant: string;
  /** Hugging Face hub repository the files are downloaded from when that is allowed. */
  readonly hubRepo: string;
  /** The ONNX graph, relative to the model folder. */
  readonly onnxFile: string;
  /** Every file the model needs, relative to the model folder. */
  readonly files: readonly string[];
  /** Length of the model's sentence vector. */
  readonly dimensions: number;
  /** How token vectors become the sentence vector (`'mean'` for MiniLM, `'cls'` for BGE). */
  readonly pooling: Pooling;
  /** Longer inputs are cut to this many tokens, `[CLS]` and `[SEP]` included. */
  readonly maxTokens: number;
}

/**
 * sentence-transformers/all-MiniLM-L6-v2 as 4-bit ONNX (`onnx-community/all-MiniLM-L6-v2-ONNX`):
 * mean pooling, 384-d, inputs cut at 256 tokens as sentence-transformers does.
 */
export const englishModel: ModelSpec = {
  name: 'all-MiniLM-L6-v2',
  variant: 'q4',
  hubRepo: 'onnx-community/all-MiniLM-L6-v2-ONNX',
  onnxFile: 'onnx/model_q4.onnx',
  files: [
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/model_q4.onnx',
    'onnx/model_q4.onnx_data',
  ],
  dimensions: 384,
  pooling: 'mean',
  maxTokens: 256,
};

/** BAAI/bge-small-zh-v1.5 as int8 ONNX (`Xenova/bge-small-zh-v1.5`): CLS pooling, 512-d, 512 tokens. */
export const chineseModel: ModelSpec = {
  name: 'bge-small-zh-v1.5',
  variant: 'int8',
  hubRepo: 'Xenova/bge-small-zh-v1.5',
  onnxFile: 'onnx/model_quantized.onnx',
  files: ['tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx'],
  dimensions: 512,
  pooling: 'cls',
  maxTokens: 512,
};

/** Both models by key. */
export const modelSpecs: Readonly<Record<ModelKey, ModelSpec>> = {
  en: englishModel,
  zh: chineseModel,
};
