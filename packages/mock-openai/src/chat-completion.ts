import type { ChatAnswer, MockToolCall } from './chat-answer.js';
import type { CompletionMeta } from './completion-meta.js';
import { systemFingerprint } from './completion-meta.js';

/** Builds the non-streaming `chat.completion` response body for an answer. */
export function buildChatCompletion(
  answer: ChatAnswer,
  meta: CompletionMeta,
): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: systemFingerprint,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          refusal: null,
          ...(answer.reasoning === undefined ? {} : { reasoning_content: answer.reasoning }),
          ...(answer.toolCalls.length > 0
            ? { tool_calls: answer.toolCalls.map(wireToolCall) }
            : {}),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/** A tool call in OpenAI's wire shape. */
export function wireToolCall(call: MockToolCall): Record<string, unknown> {
  return {
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  };
}
