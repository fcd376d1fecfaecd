import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FilePart,
  LanguageModelV4Message,
} from '@ai-sdk/provider';
import type {
  CacheMessage,
  CachePart,
  CacheRequest,
  CacheScope,
  CacheTool,
  JsonObject,
} from '@semcache/core';
import { toJson } from './json-safe.js';

/** The provider options namespace semcache reads; never hashed, never sent to the provider. */
export const semcacheProviderKey = 'semcache';

/**
 * Turns AI SDK call options into a core {@link CacheRequest}. Everything that shapes the answer is
 * kept — prompt, output params, tools, tool choice, response format, reasoning and provider
 * options — and nothing volatile: headers, abort signal, `includeRawChunks` (so generate and
 * stream calls share entries) and the `semcache` provider options.
 */
export function toCacheRequest(
  params: LanguageModelV4CallOptions,
  model: Pick<LanguageModelV4, 'provider' | 'modelId'>,
  scope: CacheScope,
): CacheRequest {
  const tools = params.tools?.map((tool): CacheTool => toJson(tool) as CacheTool);
  const request: CacheRequest = {
    model: { provider: model.provider, id: model.modelId },
    messages: params.prompt.map(toCacheMessage),
    params: {
      temperature: params.temperature,
      topP: params.topP,
      topK: params.topK,
      maxOutputTokens: params.maxOutputTokens,
      stopSequences: params.stopSequences,
      seed: params.seed,
      presencePenalty: params.presencePenalty,
      frequencyPenalty: params.frequencyPenalty,
      reasoning: params.reasoning,
      providerOptions: withoutSemcache(params.providerOptions),
    },
    scope,
  };
  // The SDK sends `toolChoice: auto` even without tools; it only shapes the answer with tools.
  if (tools && tools.length > 0) {
    request.tools = tools;
    if (params.toolChoice) request.toolChoice = toJson(params.toolChoice);
  }
  if (params.responseFormat && params.responseFormat.type !== 'text') {
    request.responseFormat = toJson(params.responseFormat) as CacheRequest['responseFormat'];
  }
  return request;
}

function withoutSemcache(
  options: LanguageModelV4CallOptions['providerOptions'],
): JsonObject | undefined {
  if (!options) return undefined;
  const { [semcacheProviderKey]: _ignored, ...rest } = options;
  return Object.keys(rest).length > 0 ? (toJson(rest) as JsonObject) : undefined;
}

function toCacheMessage(message: LanguageModelV4Message): CacheMessage {
  const providerOptions = message.providerOptions
    ? { providerOptions: toJson(message.providerOptions) as JsonObject }
    : {};
  if (message.role === 'system') {
    return {
      role: 'system',
      content: [{ type: 'text', text: message.content }],
      ...providerOptions,
    };
  }
  const content: CachePart[] = [];
  for (const part of message.content) {
    const partOptions = part.providerOptions
      ? { providerOptions: toJson(part.providerOptions) as JsonObject }
      : {};
    switch (part.type) {
      case 'text':
      case 'reasoning':
        content.push({ type: part.type, text: part.text, ...partOptions });
        break;
      case 'file':
        content.push({
          type: 'file',
          mediaType: part.mediaType,
          data: fileData(part.data),
          ...(part.filename ? { filename: part.filename } : {}),
          ...partOptions,
        });
        break;
      case 'reasoning-file':
        content.push({
          type: 'file',
          mediaType: part.mediaType,
          data: fileData(part.data),
          filename: 'reasoning',
          ...partOptions,
        });
        break;
      case 'tool-call':
        content.push({
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: toJson(part.input),
          ...partOptions,
        });
        break;
      case 'tool-result':
        content.push({
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output: toJson(part.output),
          ...partOptions,
        });
        break;
      default:
        // Custom parts and tool approvals: kept verbatim as a tool result so they still shape the key.
        content.push({
          type: 'tool-result',
          toolCallId: '',
          toolName: `part:${part.type}`,
          output: toJson(part),
          ...partOptions,
        });
    }
  }
  return { role: message.role, content, ...providerOptions };
}

function fileData(data: LanguageModelV4FilePart['data']): string {
  switch (data.type) {
    case 'data':
      return typeof data.data === 'string' ? data.data : (toJson(data.data) as string);
    case 'url':
      return data.url.href;
    case 'text':
      return `text:${data.text}`;
    default:
      return `reference:${JSON.stringify(toJson(data))}`;
  }
}
