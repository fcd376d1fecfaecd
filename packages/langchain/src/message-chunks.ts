import {
  AIMessage,
  AIMessageChunk,
  type BaseMessage,
  type ToolCallChunk,
} from '@langchain/core/messages';
import type { ChatGeneration } from '@langchain/core/outputs';

/**
 * Splits a message served from the cache into stream chunks: the text in word-sized pieces
 * (so a UI renders it like a live answer, without any delay), then one chunk with the tool calls,
 * `additional_kwargs` and `response_metadata`. Concatenating the chunks gives the message back.
 * `extraMetadata` (the hit info) is put on the first chunk only, because LangChain's `concat`
 * joins equal string fields of different chunks.
 */
export function replayChunks(
  message: BaseMessage,
  extraMetadata: Record<string, unknown>,
): AIMessageChunk[] {
  const ai = AIMessage.isInstance(message) ? message : undefined;
  const pieces = typeof message.content === 'string' ? textPieces(message.content) : [];
  const chunks: AIMessageChunk[] = pieces.map((text) => new AIMessageChunk({ content: text }));
  const toolCallChunks: ToolCallChunk[] = [
    ...(ai?.tool_calls ?? []).map((call, index) => ({
      type: 'tool_call_chunk' as const,
      index,
      name: call.name,
      args: JSON.stringify(call.args),
      ...(call.id === undefined ? {} : { id: call.id }),
    })),
    ...(ai?.invalid_tool_calls ?? []).map((call, index) => ({
      type: 'tool_call_chunk' as const,
      index: (ai?.tool_calls?.length ?? 0) + index,
      ...(call.name === undefined ? {} : { name: call.name }),
      ...(call.args === undefined ? {} : { args: call.args }),
      ...(call.id === undefined ? {} : { id: call.id }),
    })),
  ];
  chunks.push(
    new AIMessageChunk({
      content: typeof message.content === 'string' ? '' : message.content,
      additional_kwargs: message.additional_kwargs,
      response_metadata: withoutKeys(message.response_metadata, Object.keys(extraMetadata)),
      tool_call_chunks: toolCallChunks,
      ...(ai?.usage_metadata ? { usage_metadata: ai.usage_metadata } : {}),
      ...(message.name === undefined ? {} : { name: message.name }),
    }),
  );
  const first = chunks[0];
  if (first) first.response_metadata = { ...first.response_metadata, ...extraMetadata };
  return chunks;
}

function withoutKeys(record: object | undefined, keys: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = { ...record };
  for (const key of keys) delete result[key];
  return result;
}

/** Text in pieces of one word and the whitespace after it; joining them gives `text` back. */
export function textPieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

/**
 * Turns the concatenation of a streamed answer into the generation the cache stores, the same
 * shape an `invoke()` produces, so streamed and invoked calls share entries.
 */
export function toChatGeneration(message: BaseMessage): ChatGeneration {
  const ai = AIMessage.isInstance(message) ? message : undefined;
  const stored = new AIMessage({
    content: message.content,
    additional_kwargs: message.additional_kwargs,
    response_metadata: message.response_metadata,
    ...(ai
      ? { tool_calls: ai.tool_calls ?? [], invalid_tool_calls: ai.invalid_tool_calls ?? [] }
      : {}),
    ...(ai?.usage_metadata ? { usage_metadata: ai.usage_metadata } : {}),
    ...(message.name === undefined ? {} : { name: message.name }),
  });
  return { text: stored.text, message: stored };
}

/** A copy of a chunk for a second consumer, so one consumer's mutations never reach another. */
export function copyChunk(chunk: BaseMessage): BaseMessage {
  if (!AIMessageChunk.isInstance(chunk)) return chunk;
  return new AIMessageChunk({
    content: typeof chunk.content === 'string' ? chunk.content : structuredClone(chunk.content),
    additional_kwargs: structuredClone(chunk.additional_kwargs),
    response_metadata: structuredClone(chunk.response_metadata),
    tool_call_chunks: structuredClone(chunk.tool_call_chunks ?? []),
    ...(chunk.usage_metadata ? { usage_metadata: structuredClone(chunk.usage_metadata) } : {}),
    ...(chunk.id === undefined ? {} : { id: chunk.id }),
    ...(chunk.name === undefined ? {} : { name: chunk.name }),
  });
}
