import type { ChatAnswer } from './chat-answer.js';
import type { CompletionMeta } from './completion-meta.js';
import { systemFingerprint } from './completion-meta.js';
import { splitIntoPieces } from './text-pieces.js';

/**
 * One SSE event of a streamed completion. `delta` chunks carry reasoning, content or tool-call
 * pieces — the ones {@link MockOpenAIServer.cutNextStream} counts.
 */
export interface ChatStreamChunk {
  kind: 'role' | 'delta' | 'finish' | 'usage';
  data: Record<string, unknown>;
}

/**
 * Builds the `chat.completion.chunk` sequence for an answer: a role chunk, reasoning deltas,
 * content deltas (one per word), tool-call deltas (id and name, then argument pieces), a finish
 * chunk and, with `includeUsage`, a usage chunk with empty `choices`. `[DONE]` is the writer's job.
 */
export function buildChatChunks(
  answer: ChatAnswer,
  meta: CompletionMeta,
  includeUsage: boolean,
): ChatStreamChunk[] {
  const envelope = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: systemFingerprint,
    choices,
    ...extra,
  });
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const delta = (fields: Record<string, unknown>): ChatStreamChunk => ({
    kind: 'delta',
    data: envelope([choice(fields)]),
  });

  const chunks: ChatStreamChunk[] = [
    {
      kind: 'role',
      data: envelope([choice({ role: 'assistant', content: answer.content === null ? null : '' })]),
    },
  ];
  for (const piece of splitIntoPieces(answer.reasoning ?? '')) {
    chunks.push(delta({ reasoning_content: piece }));
  }
  for (const piece of splitIntoPieces(answer.content ?? '')) chunks.push(delta({ content: piece }));
  answer.toolCalls.forEach((call, index) => {
    chunks.push(
      delta({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
    );
    for (const piece of splitIntoPieces(call.arguments)) {
      chunks.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push({ kind: 'finish', data: envelope([choice({}, answer.finishReason)]) });
  if (includeUsage) chunks.push({ kind: 'usage', data: envelope([], { usage: answer.usage }) });
  return chunks;
}
