import { embedText } from './embedding.js';
import { isJsonObject } from './json.js';
import { estimateTokens } from './tokens.js';

/** Embedding size when the request does not ask for `dimensions`. */
export const defaultEmbeddingDimensions = 64;
const maxDimensions = 8192;

/** Outcome of {@link buildEmbeddingsResponse}: the response body, or a 400 message. */
export type EmbeddingsResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; message: string; param: string };

/**
 * Answers an embeddings request: `input` may be a string, an array of strings, or token arrays
 * (embedded as their space-joined ids). Honours `dimensions` and `encoding_format: "base64"`
 * (little-endian float32, as the `openai` SDK requests by default).
 */
export function buildEmbeddingsResponse(body: unknown): EmbeddingsResult {
  if (!isJsonObject(body)) return invalid('The request body must be a JSON object.', '$');
  const { model, input, dimensions, encoding_format: encoding } = body;
  if (typeof model !== 'string' || model.length === 0) {
    return invalid("Missing required parameter: 'model'.", 'model');
  }
  const texts = inputTexts(input);
  if (!texts) {
    return invalid("'input' must be a string, an array of strings or token arrays.", 'input');
  }
  if (
    dimensions !== undefined &&
    !(
      Number.isInteger(dimensions) &&
      Number(dimensions) >= 1 &&
      Number(dimensions) <= maxDimensions
    )
  ) {
    return invalid(`'dimensions' must be an integer from 1 to ${maxDimensions}.`, 'dimensions');
  }
  if (encoding !== undefined && encoding !== 'float' && encoding !== 'base64') {
    return invalid("'encoding_format' must be 'float' or 'base64'.", 'encoding_format');
  }
  const size = typeof dimensions === 'number' ? dimensions : defaultEmbeddingDimensions;
  const data = texts.map((text, index) => {
    const vector = embedText(text, size);
    return {
      object: 'embedding',
      index,
      embedding:
        encoding === 'base64'
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector,
    };
  });
  const tokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
  return {
    ok: true,
    body: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
  };
}

function inputTexts(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'number')) return [input.join(' ')];
  const texts: string[] = [];
  for (const item of input) {
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item) && item.every((token) => typeof token === 'number'))
      texts.push(item.join(' '));
    else return undefined;
  }
  return texts;
}

function invalid(message: string, param: string): EmbeddingsResult {
  return { ok: false, message, param };
}
