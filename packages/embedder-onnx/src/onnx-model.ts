import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSpec } from './model-specs.js';
import { poolTokens } from './pooling.js';

/** One loaded model: text in, pooled (not yet normalised) sentence vector out. */
export interface TextModel {
  /**
   * The model's sentence vector of `text` (length: the spec's `dimensions`), or `undefined` when
   * the model cannot read the text: no content token, or more `[UNK]` than known tokens.
   */
  embed(text: string): Promise<Float64Array | undefined>;
  /** Frees the native session. */
  close(): Promise<void>;
}

/** Loads one model from a folder that holds all of the spec's files. */
export type TextModelLoader = (
  spec: ModelSpec,
  folder: string,
  options: { threads: number },
) => Promise<TextModel>;

/** The part of `@huggingface/tokenizers`' encoding this package reads. */
interface Encoding {
  ids: number[];
  attention_mask: number[];
}

/**
 * The default loader: the tokenizer from `tokenizer.json` + `tokenizer_config.json`
 * (`@huggingface/tokenizers`, pure JS) and an onnxruntime-node CPU session over the spec's ONNX
 * file. Both packages are imported here, on the first load, not when the embedder is created.
 *
 * One text per inference run, never a padded batch: int8 models' outputs shift slightly with the
 * batch's padding, and one run per text makes a text's vector the same however it is batched.
 */
export const loadOnnxModel: TextModelLoader = async (spec, folder, { threads }) => {
  const [ort, { Tokenizer }, tokenizerJson, tokenizerConfig] = await Promise.all([
    import('onnxruntime-node'),
    import('@huggingface/tokenizers'),
    readFile(join(folder, 'tokenizer.json'), 'utf8'),
    readFile(join(folder, 'tokenizer_config.json'), 'utf8'),
  ]);
  const tokenizer = new Tokenizer(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfig));
  const unknownId = tokenizer.token_to_id('[UNK]');
  const session = await ort.InferenceSession.create(join(folder, spec.onnxFile), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const output = session.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : session.outputNames[0];
  const withTokenTypes = session.inputNames.includes('token_type_ids');

  return {
    async embed(text) {
      const encoding = truncate(tokenizer.encode(text) as Encoding, spec.maxTokens);
      const tokens = encoding.ids.length;
      const content = tokens - 2; // [CLS] … [SEP]
      const unknown = encoding.ids.filter((id) => id === unknownId).length;
      if (content <= 0 || unknown * 2 > content) return undefined;
      const shape = [1, tokens];
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(encoding.ids, BigInt), shape),
        attention_mask: new ort.Tensor(
          'int64',
          BigInt64Array.from(encoding.attention_mask, BigInt),
          shape,
        ),
      };
      if (withTokenTypes)
        feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(tokens), shape);
      const results = await session.run(feeds);
      const hidden = results[output as string];
      if (!hidden || !(hidden.data instanceof Float32Array) || hidden.dims.length !== 3) {
        throw new Error(
          `${spec.name}: output "${String(output)}" is not a float32 [1, tokens, dimensions] tensor`,
        );
      }
      if (hidden.dims[1] !== tokens || hidden.dims[2] !== spec.dimensions) {
        throw new Error(
          `${spec.name}: output has shape [${hidden.dims.join(', ')}]; expected [1, ${tokens}, ${spec.dimensions}]`,
        );
      }
      return poolTokens(
        hidden.data,
        encoding.attention_mask,
        tokens,
        spec.dimensions,
        spec.pooling,
      );
    },
    close: () => session.release(),
  };
};

/**
 * Cuts an encoding to `maxTokens`, keeping its first tokens and its final `[SEP]`, as the
 * tokenizers' own `longest_first` truncation does for one text.
 */
export function truncate(encoding: Encoding, maxTokens: number): Encoding {
  if (encoding.ids.length <= maxTokens) return encoding;
  const keep = (values: number[]) => [...values.slice(0, maxTokens - 1), values.at(-1) as number];
  return { ids: keep(encoding.ids), attention_mask: keep(encoding.attention_mask) };
}
