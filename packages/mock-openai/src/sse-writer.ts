import type { ServerResponse } from 'node:http';
import type { ChatStreamChunk } from './chat-chunks.js';
import { sleep, writeFlushed } from './http-io.js';

/** Options for {@link writeChatStream}. */
export interface ChatStreamWriteOptions {
  /** Pause between chunks. */
  chunkDelayMs: number;
  /** Destroy the socket after this many delta chunks (capped so the stream never completes). */
  cutAfterChunks: number | undefined;
  /** Aborts when the client goes away; writing stops. */
  signal: AbortSignal;
}

/**
 * Writes `chunks` as server-sent events followed by `data: [DONE]`. With `cutAfterChunks` the
 * socket is destroyed after that many delta chunks, or before the finish chunk if the answer has
 * fewer — the client always sees a stream that ends midway.
 */
export async function writeChatStream(
  res: ServerResponse,
  chunks: readonly ChatStreamChunk[],
  options: ChatStreamWriteOptions,
): Promise<void> {
  const { chunkDelayMs, cutAfterChunks, signal } = options;
  const deltaCount = chunks.filter((chunk) => chunk.kind === 'delta').length;
  const cutAt = cutAfterChunks === undefined ? undefined : Math.min(cutAfterChunks, deltaCount);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  let deltasSent = 0;
  for (const [i, chunk] of chunks.entries()) {
    if (chunk.kind !== 'role' && deltasSent === cutAt) {
      res.destroy();
      return;
    }
    if (i > 0) await sleep(chunkDelayMs, signal);
    if (signal.aborted || res.destroyed) return;
    await writeFlushed(res, `data: ${JSON.stringify(chunk.data)}\n\n`);
    if (chunk.kind === 'delta') deltasSent += 1;
  }
  await sleep(chunkDelayMs, signal);
  if (signal.aborted || res.destroyed) return;
  res.end('data: [DONE]\n\n');
}
