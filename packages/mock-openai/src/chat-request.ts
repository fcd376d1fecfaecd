import { isJsonObject, type JsonObject } from './json.js';

/** One message of a chat completions request, as sent. */
export interface ChatMessage {
  role: string;
  content: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
}

/** A function tool the model may call. */
export interface ChatTool {
  name: string;
  /** The tool's JSON Schema for its arguments, if any. */
  parameters: unknown;
}

/** The request's `tool_choice`, normalised. */
export type ChatToolChoice =
  | { kind: 'auto' }
  | { kind: 'none' }
  | { kind: 'required' }
  | { kind: 'function'; name: string };

/** The request's `response_format`, normalised. */
export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; schema: unknown };

/** A validated chat completions request with the fields the mock acts on. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  tools: ChatTool[];
  toolChoice: ChatToolChoice;
  responseFormat: ChatResponseFormat;
  reasoningEffort: string | undefined;
  /** The whole request body, for fingerprinting. */
  body: JsonObject;
}

/** Outcome of {@link parseChatRequest}: the request, or a 400 message naming the bad field. */
export type ChatRequestResult =
  | { ok: true; request: ChatRequest }
  | { ok: false; message: string; param: string };

/** Validates a chat completions request body the way OpenAI would, leniently. */
export function parseChatRequest(body: unknown): ChatRequestResult {
  if (!isJsonObject(body)) return invalid('The request body must be a JSON object.', '$');
  const { model, messages } = body;
  if (typeof model !== 'string' || model.length === 0) {
    return invalid("Missing required parameter: 'model'.", 'model');
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("'messages' must be a non-empty array.", 'messages');
  }
  const parsedMessages: ChatMessage[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isJsonObject(message) || typeof message.role !== 'string') {
      return invalid(
        `Invalid message at messages[${i}]: expected an object with a role.`,
        'messages',
      );
    }
    parsedMessages.push({ ...message, role: message.role, content: message.content });
  }
  const tools = parseTools(body.tools);
  if (!tools) return invalid("Invalid 'tools': expected an array of function tools.", 'tools');
  const toolChoice = parseToolChoice(body.tool_choice);
  if (!toolChoice) return invalid("Invalid 'tool_choice'.", 'tool_choice');
  if (toolChoice.kind === 'function' && !tools.some((tool) => tool.name === toolChoice.name)) {
    return invalid(`tool_choice names an unknown function '${toolChoice.name}'.`, 'tool_choice');
  }
  const responseFormat = parseResponseFormat(body.response_format);
  if (!responseFormat) return invalid("Invalid 'response_format'.", 'response_format');
  const streamOptions = isJsonObject(body.stream_options) ? body.stream_options : {};
  return {
    ok: true,
    request: {
      model,
      messages: parsedMessages,
      stream: body.stream === true,
      includeUsage: streamOptions.include_usage === true,
      tools,
      toolChoice,
      responseFormat,
      reasoningEffort:
        typeof body.reasoning_effort === 'string' ? body.reasoning_effort : undefined,
      body,
    },
  };
}

/** The text of a message: string content, or its text parts joined by newlines. */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isJsonObject(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text.length > 0)
    .join('\n');
}

function invalid(message: string, param: string): ChatRequestResult {
  return { ok: false, message, param };
}

function parseTools(value: unknown): ChatTool[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const tools: ChatTool[] = [];
  for (const tool of value) {
    const fn = isJsonObject(tool) ? tool.function : undefined;
    if (!isJsonObject(fn) || typeof fn.name !== 'string') return undefined;
    tools.push({ name: fn.name, parameters: fn.parameters });
  }
  return tools;
}

function parseToolChoice(value: unknown): ChatToolChoice | undefined {
  if (value === undefined || value === null || value === 'auto') return { kind: 'auto' };
  if (value === 'none' || value === 'required') return { kind: value };
  const fn = isJsonObject(value) ? value.function : undefined;
  if (isJsonObject(fn) && typeof fn.name === 'string') return { kind: 'function', name: fn.name };
  return undefined;
}

function parseResponseFormat(value: unknown): ChatResponseFormat | undefined {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isJsonObject(value)) return undefined;
  switch (value.type) {
    case 'text':
    case 'json_object':
      return { type: value.type };
    case 'json_schema': {
      const spec = isJsonObject(value.json_schema) ? value.json_schema : {};
      return { type: 'json_schema', schema: spec.schema };
    }
    default:
      return undefined;
  }
}
