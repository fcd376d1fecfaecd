import { type ChatMessage, type ChatRequest, type ChatTool, messageText } from './chat-request.js';
import { isJsonObject } from './json.js';
import { requestFingerprint } from './request-fingerprint.js';
import { sampleFromSchema } from './schema-sample.js';
import { estimateTokens } from './tokens.js';

/** A function call the mock model makes. */
export interface MockToolCall {
  id: string;
  name: string;
  /** JSON-encoded arguments. */
  arguments: string;
}

/** Token usage in OpenAI's shape. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
}

/** Why the mock model stopped. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls';

/** Everything the mock model says in reply to one request, before it is shaped for the wire. */
export interface ChatAnswer {
  /** Text (or JSON text) content; `null` when the answer is a tool call. */
  content: string | null;
  reasoning: string | undefined;
  toolCalls: MockToolCall[];
  finishReason: ChatFinishReason;
  usage: ChatUsage;
}

const maxQuotedChars = 200;

/**
 * Decides the deterministic reply to a chat request. The same request always gets the same answer;
 * any change to an output-shaping field changes the `[#fingerprint]` the answer carries.
 *
 * - A trailing `tool` message → `The tool said: <content>`.
 * - Tools offered and (`tool_choice` is `required` or names a function, or the last user message
 *   mentions "weather") → one call to the named tool, else the first tool; arguments sampled
 *   from its schema with `city`/`location` = `"Paris"`. `tool_choice: "none"` disables this.
 * - Otherwise `Mock answer to "<last user text>" (model <model>) [#<fingerprint>]`, wrapped as
 *   `{"answer": ...}` for `json_object` or replaced by a sample of the schema for `json_schema`.
 * - "think" in the last user text, or any `reasoning_effort`, adds reasoning; "[[length]]" makes
 *   the finish reason `length`.
 */
export function planChatAnswer(request: ChatRequest): ChatAnswer {
  const fingerprint = requestFingerprint(request.body);
  const last = request.messages.at(-1);
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  const userText = lastUser ? messageText(lastUser) : '';
  const quoted = quote(userText);

  const wantsReasoning = /think/i.test(userText) || request.reasoningEffort !== undefined;
  const reasoning = wantsReasoning
    ? `Let me think about "${quoted}". This is a mock model, so the answer is derived from the request. [#${fingerprint}]`
    : undefined;

  const tool = last?.role === 'tool' ? undefined : chooseTool(request, last, userText);
  if (tool) {
    const toolCall: MockToolCall = {
      id: `call_${fingerprint}`,
      name: tool.name,
      arguments: JSON.stringify(toolArguments(tool, fingerprint)),
    };
    return {
      content: null,
      reasoning,
      toolCalls: [toolCall],
      finishReason: 'tool_calls',
      usage: usage(request, `${toolCall.name}${toolCall.arguments}`, reasoning),
    };
  }

  const text =
    last?.role === 'tool'
      ? `The tool said: ${trailingToolResults(request.messages)}`
      : `Mock answer to "${quoted}" (model ${request.model}) [#${fingerprint}]`;
  const content = shapeContent(request, text, fingerprint);
  return {
    content,
    reasoning,
    toolCalls: [],
    finishReason: userText.includes('[[length]]') ? 'length' : 'stop',
    usage: usage(request, content, reasoning),
  };
}

function quote(text: string): string {
  return text.length > maxQuotedChars ? `${text.slice(0, maxQuotedChars)}…` : text;
}

function chooseTool(
  request: ChatRequest,
  last: ChatMessage | undefined,
  userText: string,
): ChatTool | undefined {
  const { tools, toolChoice } = request;
  if (tools.length === 0 || toolChoice.kind === 'none') return undefined;
  if (toolChoice.kind === 'function') return tools.find((tool) => tool.name === toolChoice.name);
  const asksWeather = last?.role === 'user' && /weather/i.test(userText);
  if (toolChoice.kind !== 'required' && !asksWeather) return undefined;
  return tools[0];
}

function toolArguments(tool: ChatTool, fingerprint: string): unknown {
  const args = sampleFromSchema(tool.parameters, {
    seed: fingerprint,
    stringFor: (key) => (key === 'city' || key === 'location' ? 'Paris' : undefined),
  });
  return isJsonObject(args) ? args : {};
}

function trailingToolResults(messages: ChatMessage[]): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'tool') break;
    results.unshift(messageText(message));
  }
  return results.join('; ');
}

function shapeContent(request: ChatRequest, text: string, fingerprint: string): string {
  const format = request.responseFormat;
  if (format.type === 'json_schema' && format.schema !== undefined) {
    return JSON.stringify(sampleFromSchema(format.schema, { seed: fingerprint }));
  }
  if (format.type !== 'text') return JSON.stringify({ answer: text });
  return text;
}

function usage(request: ChatRequest, output: string, reasoning: string | undefined): ChatUsage {
  const promptText = request.messages
    .map((message) => {
      const calls = message.tool_calls === undefined ? '' : JSON.stringify(message.tool_calls);
      return messageText(message) + calls;
    })
    .join('');
  const toolsText = request.tools.length > 0 ? JSON.stringify(request.tools) : '';
  const prompt = Math.max(1, estimateTokens(promptText + toolsText));
  const reasoningTokens = reasoning === undefined ? 0 : estimateTokens(reasoning);
  const completion = Math.max(1, estimateTokens(output) + reasoningTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(reasoning === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: reasoningTokens } }),
  };
}
