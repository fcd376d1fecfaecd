import type {
  CacheMessage,
  CacheParams,
  CachePart,
  CacheRequest,
  CacheScope,
  CacheTool,
  JsonObject,
  JsonValue,
} from '@semcache/core';
import { canonicalJson } from '@semcache/core/internal';
import { isJsonObject } from './chat-body.js';

/** Provider name in the keys of requests that came through the proxy. */
export const proxyProvider = 'openai-compatible.chat';

/**
 * Body fields that never shape the answer: transport (`stream`, `stream_options`), and ids
 * and labels for the provider's logs, abuse checks and prompt caching. They stay out of keys, so
 * JSON and streaming calls, and calls from different end users, share entries.
 */
export const volatileBodyFields: readonly string[] = [
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'safety_identifier',
  'prompt_cache_key',
];

/** Body fields mapped to the core's own request fields; every other field is keyed as sent. */
const mappedBodyFields = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
  'tools',
  'tool_choice',
]);

/** The media type of content parts other than plain text, kept whole in the key. */
const contentPartType = 'application/vnd.semcache.openai-content-part+json';

/**
 * Turns a chat completions body into a core {@link CacheRequest}: everything that shapes the answer
 * is keyed (model, messages, sampling and length settings, tools, tool choice, response format,
 * reasoning and any field the proxy does not know), nothing volatile ({@link volatileBodyFields};
 * headers and keys never reach this function).
 *
 * Fields the core has a slot for go there (so its temperature policy and the semantic text work);
 * the rest of the body is kept in `params.providerOptions.openai`. So are the extra fields of the
 * final user message (such as `name`): the core's context key leaves that message out, and it
 * must still keep two requests that differ in them apart.
 */
export function toCacheRequest(body: JsonObject, scope: CacheScope): CacheRequest {
  const messages = (body.messages as JsonValue[]).filter(isJsonObject);
  const last = messages.at(-1);
  const lastIsUser = last?.role === 'user';
  const cacheMessages = messages.map((message, i) =>
    toCacheMessage(message, !(lastIsUser && i === messages.length - 1)),
  );
  const rest: JsonObject = {};
  for (const [name, value] of Object.entries(body)) {
    if (mappedBodyFields.has(name) || volatileBodyFields.includes(name)) continue;
    if (name === 'n' && value === 1) continue;
    rest[name] = value;
  }
  const finalExtras = lastIsUser && last ? messageExtras(last) : undefined;
  const providerOptions: JsonObject = {
    ...(Object.keys(rest).length > 0 ? { openai: rest } : {}),
    ...(finalExtras ? { finalMessage: finalExtras } : {}),
  };
  const params: CacheParams = {
    temperature: numberOr(body.temperature),
    topP: numberOr(body.top_p),
    maxOutputTokens: numberOr(body.max_completion_tokens),
    stopSequences:
      typeof body.stop === 'string'
        ? [body.stop]
        : ((body.stop as string[] | null | undefined) ?? undefined),
    seed: numberOr(body.seed),
    presencePenalty: numberOr(body.presence_penalty),
    frequencyPenalty: numberOr(body.frequency_penalty),
    reasoning: body.reasoning_effort ?? undefined,
    ...(Object.keys(providerOptions).length > 0 ? { providerOptions } : {}),
  };
  const request: CacheRequest = {
    model: { provider: proxyProvider, id: body.model as string },
    messages: cacheMessages,
    params,
    scope,
  };
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    request.tools = body.tools.filter(isJsonObject).map(toCacheTool);
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    request.toolChoice = body.tool_choice;
  }
  return request;
}

function numberOr(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function toCacheTool(tool: JsonObject): CacheTool {
  const fn = isJsonObject(tool.function) ? tool.function : undefined;
  const name = typeof fn?.name === 'string' ? fn.name : String(tool.type ?? 'tool');
  return { ...tool, name };
}

/** The message's fields other than its role, content and tool call data. */
function messageExtras(message: JsonObject): JsonObject | undefined {
  const extras: JsonObject = {};
  for (const [name, value] of Object.entries(message)) {
    if (name === 'role' || name === 'content' || name === 'tool_calls' || name === 'tool_call_id')
      continue;
    extras[name] = value;
  }
  return Object.keys(extras).length > 0 ? extras : undefined;
}

function toCacheMessage(message: JsonObject, keepExtras: boolean): CacheMessage {
  const role = message.role as string;
  const content: CachePart[] = [];
  if (role === 'tool' || role === 'function') {
    content.push({
      type: 'tool-result',
      toolCallId: typeof message.tool_call_id === 'string' ? message.tool_call_id : '',
      toolName: typeof message.name === 'string' ? message.name : '',
      output: message.content ?? null,
    });
  } else {
    content.push(...contentParts(message.content));
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls.filter(isJsonObject)) content.push(toolCallPart(call));
  }
  const options: JsonObject = {};
  const extras = keepExtras ? messageExtras(message) : undefined;
  if (extras) options.openai = extras;
  // `developer` and legacy `function` messages keep their own role in the key.
  if (role === 'developer' || role === 'function') options.role = role;
  return {
    role:
      role === 'developer'
        ? 'system'
        : role === 'function'
          ? 'tool'
          : (role as CacheMessage['role']),
    content,
    ...(Object.keys(options).length > 0 ? { providerOptions: options } : {}),
  };
}

function contentParts(content: JsonValue | undefined): CachePart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter(isJsonObject).map((part): CachePart => {
    const keys = Object.keys(part);
    const plainText = part.type === 'text' && typeof part.text === 'string' && keys.length === 2;
    if (plainText) return { type: 'text', text: part.text as string };
    // Images, audio, files and text parts with settings: exact matching only, the part kept whole.
    return { type: 'file', mediaType: contentPartType, data: canonicalJson(part) };
  });
}

function toolCallPart(call: JsonObject): CachePart {
  const fn = isJsonObject(call.function) ? call.function : {};
  const { id: _id, function: _fn, ...callRest } = call;
  const { name: _name, arguments: args, ...fnRest } = fn;
  const extra: JsonObject = {
    ...callRest,
    ...(Object.keys(fnRest).length > 0 ? { function: fnRest } : {}),
  };
  return {
    type: 'tool-call',
    toolCallId: typeof call.id === 'string' ? call.id : '',
    toolName: typeof fn.name === 'string' ? fn.name : '',
    input: args ?? null,
    ...(Object.keys(extra).length > 0 ? { providerOptions: extra } : {}),
  };
}
