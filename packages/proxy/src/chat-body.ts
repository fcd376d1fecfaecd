import type { JsonObject, JsonValue } from '@semcache/core';

/** A validated `POST /v1/chat/completions` body. */
export interface ChatBody {
  /** The body as the client sent it (parsed). */
  body: JsonObject;
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: the client wants the final usage chunk. */
  includeUsage: boolean;
  /**
   * Set when the answer carries data the proxy does not store (log probabilities, audio): the
   * request is forwarded around the cache. Says why, for the log.
   */
  uncacheable: string | undefined;
}

/** Outcome of {@link parseChatBody}: the body, or a 400 message naming the offending field. */
export type ParsedChatBody =
  | { ok: true; chat: ChatBody }
  | { ok: false; message: string; param: string };

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const numberFields = [
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'top_logprobs',
] as const;

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and checks a chat completions body the way the OpenAI API would, leniently: the fields
 * the proxy reads must have the right types; every other field is left to the upstream.
 * `n > 1` is refused: the cache stores one answer per request.
 */
export function parseChatBody(text: string): ParsedChatBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid('We could not parse the JSON body of your request: it is not valid JSON.', '$');
  }
  if (!isJsonObject(body)) return invalid('The request body must be a JSON object.', '$');
  const { model, messages, stream, stream_options: streamOptions } = body;
  if (typeof model !== 'string' || model === '') {
    return invalid("'model' must be a non-empty string.", 'model');
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("'messages' must be a non-empty array.", 'messages');
  }
  for (const [i, message] of messages.entries()) {
    const problem = messageProblem(message);
    if (problem) return invalid(`Invalid 'messages[${i}]': ${problem}`, `messages[${i}]`);
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return invalid("'stream' must be a boolean.", 'stream');
  }
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isJsonObject(streamOptions)) {
      return invalid("'stream_options' must be an object.", 'stream_options');
    }
    const include = streamOptions.include_usage;
    if (include !== undefined && include !== null && typeof include !== 'boolean') {
      return invalid("'stream_options.include_usage' must be a boolean.", 'stream_options');
    }
  }
  for (const field of numberFields) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'number') {
      return invalid(`'${field}' must be a number.`, field);
    }
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return invalid(
      "'n' must be 1: semcache-proxy caches one answer per request; send n requests instead (identical ones share one upstream call).",
      'n',
    );
  }
  const stop = body.stop;
  if (
    stop !== undefined &&
    stop !== null &&
    typeof stop !== 'string' &&
    !(Array.isArray(stop) && stop.every((s) => typeof s === 'string'))
  ) {
    return invalid("'stop' must be a string or an array of strings.", 'stop');
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools) || !body.tools.every(isJsonObject)) {
      return invalid("'tools' must be an array of tool objects.", 'tools');
    }
  }
  const format = body.response_format;
  if (format !== undefined && format !== null) {
    if (!isJsonObject(format) || typeof format.type !== 'string') {
      return invalid("'response_format' must be an object with a 'type'.", 'response_format');
    }
  }
  const includeUsage = isJsonObject(streamOptions) && streamOptions.include_usage === true;
  return {
    ok: true,
    chat: {
      body,
      model,
      stream: stream === true,
      includeUsage,
      uncacheable: uncacheableReason(body),
    },
  };
}

function messageProblem(message: JsonValue): string | undefined {
  if (!isJsonObject(message)) return 'expected an object with a role.';
  const { role, content } = message;
  if (typeof role !== 'string' || !roles.has(role)) {
    return `'role' must be one of ${[...roles].join(', ')}.`;
  }
  if (
    content !== undefined &&
    content !== null &&
    typeof content !== 'string' &&
    !(Array.isArray(content) && content.every((part) => isJsonObject(part)))
  ) {
    return "'content' must be a string, an array of content parts or null.";
  }
  const calls = message.tool_calls;
  if (calls !== undefined && calls !== null) {
    if (!Array.isArray(calls) || !calls.every(isJsonObject)) {
      return "'tool_calls' must be an array of tool call objects.";
    }
  }
  return undefined;
}

function uncacheableReason(body: JsonObject): string | undefined {
  if (body.logprobs === true) return 'logprobs';
  const modalities = body.modalities;
  if (body.audio != null || (Array.isArray(modalities) && modalities.includes('audio'))) {
    return 'audio output';
  }
  return undefined;
}

function invalid(message: string, param: string): ParsedChatBody {
  return { ok: false, message, param };
}
