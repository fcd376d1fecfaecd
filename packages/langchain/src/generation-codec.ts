import { deserializeStoredGeneration, serializeGeneration } from '@langchain/core/caches';
import type { StoredMessage } from '@langchain/core/messages';
import type { ChatGeneration, Generation } from '@langchain/core/outputs';
import type { ComputedResponse, JsonObject, JsonValue } from '@semcache/core';
import type { CacheInfo } from './cache-info.js';

/** What one cache entry holds: the generations of one prompt, as plain JSON. */
interface StoredGenerations {
  generations: { text: string; message?: StoredMessage; info?: JsonObject }[];
}

/**
 * Turns LangChain generations into the response the core stores: messages as LangChain's own
 * stored-message dicts (`serializeGeneration`), `generationInfo` kept, message ids dropped (an id
 * names one model call; replaying it would make LangGraph's message reducer merge different
 * answers). Usage, model id and finish reason are read for the store policy and the cost estimate.
 *
 * Returns `undefined` when the generations cannot be written as JSON.
 */
export function encodeGenerations(
  generations: readonly Generation[],
  modelId: string,
): ComputedResponse | undefined {
  let stored: StoredGenerations;
  try {
    stored = {
      generations: generations.map((generation) => {
        const { text, message } = serializeGeneration(generation);
        const info = generation.generationInfo
          ? toJson(withoutSemcache(generation.generationInfo))
          : undefined;
        return {
          text,
          ...(message ? { message: cleanMessage(message) } : {}),
          ...(info &&
          typeof info === 'object' &&
          !Array.isArray(info) &&
          Object.keys(info).length > 0
            ? { info }
            : {}),
        };
      }),
    };
  } catch {
    return undefined;
  }
  const first = generations[0];
  const metadata = first && 'message' in first ? (first as ChatGeneration).message : undefined;
  const usage =
    metadata && 'usage_metadata' in metadata ? readUsage(metadata.usage_metadata) : undefined;
  const answeredBy = metadata
    ? (metadataOf(metadata).model_name ?? metadataOf(metadata).model)
    : undefined;
  const finishReason = worstFinishReason(generations);
  return {
    value: stored as unknown as JsonValue,
    modelId: typeof answeredBy === 'string' && answeredBy !== '' ? answeredBy : modelId,
    ...(usage ? { usage } : {}),
    ...(finishReason === undefined ? {} : { finishReason }),
  };
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** LangChain rebuilds messages without checking them; a corrupt field would throw in the app later. */
function isWellFormedMessage(message: { [key: string]: JsonValue }): boolean {
  const data = message.data;
  if (
    typeof message.type !== 'string' ||
    data === null ||
    typeof data !== 'object' ||
    Array.isArray(data)
  ) {
    return false;
  }
  const content = data.content;
  if (typeof content !== 'string' && !Array.isArray(content)) return false;
  if (
    Array.isArray(content) &&
    !content.every(
      (part) => typeof part === 'string' || (isObject(part) && typeof part.type === 'string'),
    )
  ) {
    return false;
  }
  for (const field of ['tool_calls', 'invalid_tool_calls', 'tool_call_chunks'] as const) {
    const value = data[field];
    if (value !== undefined && !(Array.isArray(value) && value.every(isObject))) return false;
  }
  const toolCalls = data.tool_calls;
  if (
    Array.isArray(toolCalls) &&
    !toolCalls.every(
      (call) => isObject(call) && typeof call.name === 'string' && isObject(call.args),
    )
  ) {
    return false;
  }
  for (const field of ['additional_kwargs', 'response_metadata'] as const) {
    const value = data[field];
    if (
      value !== undefined &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    )
      return false;
  }
  return true;
}

/**
 * Builds fresh generations from a stored value, every call anew (LangChain mutates what a cache
 * returns), with `info` in `generationInfo.semcache` and `message.response_metadata.semcache`.
 * A hit spends no tokens: `usage_metadata` is zero (as LangChain sets it for cache hits) and the
 * original call's `tokenUsage` / `usage` are left out of `response_metadata`.
 * Returns `undefined` for a value this version cannot read (treated as a miss).
 *
 * `value` is copied first unless `options.fresh` says the caller owns it and nothing else holds
 * it (a core lookup hit, decoded from the store for this call alone).
 */
export function decodeGenerations(
  value: JsonValue,
  info: CacheInfo,
  options: { fresh?: boolean } = {},
): Generation[] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const generations = value.generations;
  if (!Array.isArray(generations) || generations.length === 0) return undefined;
  const copy = options.fresh ? generations : structuredClone(generations);
  try {
    return copy.map((item): Generation => {
      if (
        item === null ||
        typeof item !== 'object' ||
        Array.isArray(item) ||
        typeof item.text !== 'string'
      ) {
        throw new Error('malformed generation');
      }
      const message = item.message;
      if (
        message !== undefined &&
        (message === null || typeof message !== 'object' || Array.isArray(message))
      ) {
        throw new Error('malformed message');
      }
      if (message && !isWellFormedMessage(message)) throw new Error('malformed message data');
      const restored = deserializeStoredGeneration({
        text: item.text,
        ...(message ? { message: message as unknown as StoredMessage } : {}),
      });
      const stored =
        item.info && typeof item.info === 'object' && !Array.isArray(item.info) ? item.info : {};
      const generationInfo = { ...stored, semcache: info };
      if (restored.message) {
        // A hit spends no tokens; LangChain's own cache path zeroes usage_metadata the same way.
        const {
          tokenUsage: _t,
          usage: _u,
          estimatedTokenUsage: _e,
          ...metadata
        } = metadataOf(restored.message);
        restored.message.response_metadata = { ...metadata, semcache: info };
        if ('usage_metadata' in restored.message) {
          restored.message.usage_metadata = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
        }
        return { text: restored.text, message: restored.message, generationInfo } as ChatGeneration;
      }
      return { text: restored.text, generationInfo };
    });
  } catch {
    return undefined;
  }
}

/**
 * Maps a provider's finish reason to the core's vocabulary (`stop`, `tool-calls`, `length`,
 * `content-filter`); unknown reasons are passed through lower-cased so `storableFinishReasons`
 * can name them.
 */
export function normalizeFinishReason(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const reason = raw.toLowerCase();
  switch (reason) {
    case 'stop':
    case 'end_turn':
    case 'stop_sequence':
    case 'complete':
    case 'eos':
      return 'stop';
    case 'tool_calls':
    case 'tool_use':
    case 'function_call':
    case 'tool-calls':
      return 'tool-calls';
    case 'length':
    case 'max_tokens':
    case 'max_output_tokens':
      return 'length';
    case 'content_filter':
    case 'safety':
    case 'recitation':
    case 'blocklist':
    case 'prohibited_content':
    case 'refusal':
      return 'content-filter';
    default:
      return reason;
  }
}

function worstFinishReason(generations: readonly Generation[]): string | undefined {
  let result: string | undefined;
  for (const generation of generations) {
    const message = (generation as Partial<ChatGeneration>).message;
    const metadata = message ? metadataOf(message) : {};
    const reason = normalizeFinishReason(
      generation.generationInfo?.finish_reason ??
        metadata.finish_reason ??
        metadata.stop_reason ??
        metadata.finishReason,
    );
    if (reason === undefined) continue;
    if (result === undefined || (reason !== 'stop' && reason !== 'tool-calls')) result = reason;
  }
  return result;
}

function metadataOf(message: { response_metadata?: unknown }): Record<string, unknown> {
  const metadata = message.response_metadata;
  return typeof metadata === 'object' && metadata !== null
    ? (metadata as Record<string, unknown>)
    : {};
}

function readUsage(usage: unknown): { inputTokens?: number; outputTokens?: number } | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const { input_tokens: input, output_tokens: output } = usage as Record<string, unknown>;
  const result: { inputTokens?: number; outputTokens?: number } = {};
  if (typeof input === 'number' && Number.isFinite(input)) result.inputTokens = input;
  if (typeof output === 'number' && Number.isFinite(output)) result.outputTokens = output;
  return Object.keys(result).length > 0 ? result : undefined;
}

function cleanMessage(message: StoredMessage): StoredMessage {
  const data = toJson(message.data) as Record<string, JsonValue>;
  const { id: _id, tool_call_chunks: _chunks, ...rest } = data;
  const metadata = rest.response_metadata;
  if (metadata && typeof metadata === 'object' && !Array.isArray(metadata)) {
    rest.response_metadata = withoutSemcache(metadata) as JsonObject;
  }
  return { type: message.type, data: rest as unknown as StoredMessage['data'] };
}

function withoutSemcache(record: Record<string, unknown>): Record<string, unknown> {
  const { semcache: _semcache, ...rest } = record;
  return rest;
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
