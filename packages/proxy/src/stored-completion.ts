import type { ComputedResponse, JsonObject, JsonValue } from '@semcache/core';
import { isJsonObject } from './chat-body.js';

/**
 * What the proxy stores for one answer, JSON only: the assistant message and the completion's
 * metadata. JSON and streaming calls store and read the same shape, so each can answer the other.
 */
export interface StoredCompletion {
  [field: string]: JsonValue;
  /** Layout version of this shape. */
  v: 1;
  id: string;
  created: number;
  model: string;
  /** Other top-level fields of the completion (`system_fingerprint`, `service_tier`, ...). */
  meta: JsonObject;
  /** The assistant message: role, content, tool calls, reasoning, refusal, ... */
  message: JsonObject;
  /** OpenAI's finish reason (`stop`, `tool_calls`, ...). */
  finishReason: string;
  usage: JsonObject | null;
}

/** Completion fields kept in {@link StoredCompletion} slots of their own, or never kept. */
const ownFields = new Set(['id', 'object', 'created', 'model', 'choices', 'usage']);

/** OpenAI finish reasons in the core's vocabulary (the one `storableFinishReasons` uses). */
const unifiedFinishReasons: Readonly<Record<string, string>> = {
  stop: 'stop',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  length: 'length',
  content_filter: 'content-filter',
};

/** True when `value` has the {@link StoredCompletion} shape (an entry written by this proxy). */
export function isStoredCompletion(value: unknown): value is StoredCompletion {
  return (
    isJsonObject(value) &&
    value.v === 1 &&
    typeof value.id === 'string' &&
    typeof value.model === 'string' &&
    isJsonObject(value.message) &&
    typeof value.finishReason === 'string'
  );
}

/**
 * The stored form of a `chat.completion` body with one choice; `undefined` when the body does not
 * look like one (it is then passed on, never stored).
 */
export function storedFromCompletion(completion: unknown): StoredCompletion | undefined {
  if (!isJsonObject(completion) || !Array.isArray(completion.choices)) return undefined;
  const [choice, ...others] = completion.choices;
  if (others.length > 0 || !isJsonObject(choice) || !isJsonObject(choice.message)) return undefined;
  if (typeof choice.finish_reason !== 'string') return undefined;
  return {
    ...headerOf(completion),
    message: choice.message,
    finishReason: choice.finish_reason,
    usage: isJsonObject(completion.usage) ? completion.usage : null,
  };
}

/**
 * The stored form of a streamed answer, from its `chat.completion.chunk` objects: content,
 * reasoning and refusal deltas joined, tool-call deltas merged by index. `undefined` when the
 * stream has no finish reason (it was cut) or more than one choice.
 */
export function storedFromChunks(chunks: readonly JsonObject[]): StoredCompletion | undefined {
  const first = chunks[0];
  if (!first) return undefined;
  const message: JsonObject = { role: 'assistant' };
  const texts = new Map<string, string>();
  const calls: JsonObject[] = [];
  let finishReason: string | undefined;
  let usage: JsonObject | null = null;
  let sawContent = false;
  for (const chunk of chunks) {
    if (isJsonObject(chunk.usage)) usage = chunk.usage;
    if (!Array.isArray(chunk.choices)) continue;
    for (const choice of chunk.choices) {
      if (!isJsonObject(choice)) continue;
      if (choice.index !== undefined && choice.index !== 0) return undefined;
      if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
      const delta = isJsonObject(choice.delta) ? choice.delta : {};
      for (const [field, value] of Object.entries(delta)) {
        if (field === 'tool_calls') {
          if (Array.isArray(value)) mergeToolCalls(calls, value);
        } else if (field === 'role') {
          if (typeof value === 'string') message.role = value;
        } else if (typeof value === 'string') {
          if (field === 'content') sawContent = true;
          texts.set(field, (texts.get(field) ?? '') + value);
        } else if (value !== null && value !== undefined) {
          message[field] = value;
        }
      }
    }
  }
  if (finishReason === undefined) return undefined;
  const content = texts.get('content');
  message.content = sawContent && !(content === '' && calls.length > 0) ? (content ?? '') : null;
  for (const [field, text] of texts) if (field !== 'content') message[field] = text;
  if (calls.length > 0) message.tool_calls = calls;
  return {
    ...headerOf(first),
    message,
    finishReason,
    usage,
  };
}

function mergeToolCalls(calls: JsonObject[], deltas: JsonValue[]): void {
  for (const delta of deltas) {
    if (!isJsonObject(delta)) continue;
    const index = typeof delta.index === 'number' ? delta.index : calls.length;
    let call = calls[index];
    if (!call) {
      call = { id: '', type: 'function', function: { name: '', arguments: '' } };
      calls[index] = call;
    }
    if (typeof delta.id === 'string') call.id = delta.id;
    if (typeof delta.type === 'string') call.type = delta.type;
    const fn = call.function as JsonObject;
    if (isJsonObject(delta.function)) {
      for (const [field, value] of Object.entries(delta.function)) {
        if (typeof value === 'string')
          fn[field] = `${typeof fn[field] === 'string' ? fn[field] : ''}${value}`;
        else if (value !== null) fn[field] = value;
      }
    }
  }
}

/** The fields a completion and its first chunk share: id, creation time, model and the rest. */
function headerOf(
  completion: JsonObject,
): Pick<StoredCompletion, 'v' | 'id' | 'created' | 'model' | 'meta'> {
  return {
    v: 1,
    id: typeof completion.id === 'string' ? completion.id : '',
    created: typeof completion.created === 'number' ? completion.created : 0,
    model: typeof completion.model === 'string' ? completion.model : '',
    meta: metaOf(completion),
  };
}

function metaOf(completion: JsonObject): JsonObject {
  const meta: JsonObject = {};
  for (const [field, value] of Object.entries(completion)) {
    if (!ownFields.has(field)) meta[field] = value;
  }
  return meta;
}

/** What the cache needs to decide about storing `stored` and to price a later hit. */
export function computedResponse(
  stored: StoredCompletion,
  modelId: string,
): ComputedResponse<StoredCompletion> {
  const usage = stored.usage;
  const inputTokens = typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : undefined;
  const outputTokens =
    typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : undefined;
  return {
    value: stored,
    modelId,
    ...(usage ? { usage: { inputTokens, outputTokens } } : {}),
    finishReason: unifiedFinishReasons[stored.finishReason] ?? 'other',
  };
}

/** The `chat.completion` body of a stored answer. */
export function completionFromStored(stored: StoredCompletion): JsonObject {
  return {
    id: stored.id,
    object: 'chat.completion',
    created: stored.created,
    model: stored.model,
    ...stored.meta,
    choices: [
      { index: 0, message: stored.message, logprobs: null, finish_reason: stored.finishReason },
    ],
    ...(stored.usage ? { usage: stored.usage } : {}),
  };
}

/** Longest piece of text per replayed delta chunk. */
const maxPieceChars = 64;

/**
 * The `chat.completion.chunk` objects of a stored answer, as the upstream streams them: a role
 * chunk, reasoning, content and refusal deltas, tool-call deltas (id and name, then the
 * arguments), a finish chunk and, with `includeUsage`, a usage chunk with no choices.
 */
export function chunksFromStored(stored: StoredCompletion, includeUsage: boolean): JsonObject[] {
  const envelope = (choices: JsonValue[], extra: JsonObject = {}): JsonObject => ({
    id: stored.id,
    object: 'chat.completion.chunk',
    created: stored.created,
    model: stored.model,
    ...stored.meta,
    choices,
    ...extra,
  });
  const choice = (delta: JsonObject, finishReason: string | null = null): JsonObject => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const { role, content, tool_calls: calls, ...rest } = stored.message;
  const chunks: JsonObject[] = [
    envelope([
      choice({
        role: typeof role === 'string' ? role : 'assistant',
        content: content === null ? null : '',
      }),
    ]),
  ];
  const textFields = Object.entries(rest).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  // Reasoning first, as models stream it; then the answer.
  textFields.sort(
    ([a], [b]) => Number(b.startsWith('reasoning')) - Number(a.startsWith('reasoning')),
  );
  const pieces = (field: string, text: string) => {
    for (const piece of splitText(text)) chunks.push(envelope([choice({ [field]: piece })]));
  };
  for (const [field, text] of textFields.filter(([f]) => f.startsWith('reasoning')))
    pieces(field, text);
  if (typeof content === 'string') pieces('content', content);
  for (const [field, text] of textFields.filter(([f]) => !f.startsWith('reasoning')))
    pieces(field, text);
  const others = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => typeof v !== 'string' && v !== null),
  );
  if (Object.keys(others).length > 0) chunks.push(envelope([choice(others)]));
  if (Array.isArray(calls)) {
    calls.filter(isJsonObject).forEach((call, index) => {
      const fn = isJsonObject(call.function) ? call.function : {};
      const args = typeof fn.arguments === 'string' ? fn.arguments : '';
      chunks.push(
        envelope([
          choice({
            tool_calls: [
              {
                index,
                id: call.id ?? '',
                type: call.type ?? 'function',
                function: { ...fn, arguments: '' },
              },
            ],
          }),
        ]),
      );
      for (const piece of splitText(args)) {
        chunks.push(
          envelope([choice({ tool_calls: [{ index, function: { arguments: piece } }] })]),
        );
      }
    });
  }
  chunks.push(envelope([choice({}, stored.finishReason)]));
  if (includeUsage && stored.usage) chunks.push(envelope([], { usage: stored.usage }));
  return chunks;
}

/** Splits text into pieces of at most {@link maxPieceChars}, at spaces where it can. */
export function splitText(text: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxPieceChars) {
    const space = rest.lastIndexOf(' ', maxPieceChars);
    let cut = space > 0 ? space + 1 : maxPieceChars;
    // Never split a surrogate pair.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut += 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}
