/** The payload that ends an OpenAI stream. */
export const doneData = '[DONE]';

/**
 * Reads a server-sent-events body and yields the `data` of each event as it completes (lines
 * joined with `\n`; comments and other fields skipped), without waiting for more input than the
 * event itself. Reading stops (the body is cancelled) when the caller stops iterating.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string, void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        buffer += decoder.decode();
        // A last event without its blank line still counts (the stream ended cleanly).
        const tail = dataOf(buffer);
        if (tail !== undefined) data.push(tail);
        if (data.length > 0) yield data.join('\n');
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
        // A lone `\r` at the end may be the first half of `\r\n`: wait for the next read.
        if (width === 1 && buffer[newline] === '\r' && newline === buffer.length - 1) break;
        buffer = buffer.slice(newline + width);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else {
          const field = dataOf(line);
          if (field !== undefined) data.push(field);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The value of a `data:` line; `undefined` for comments and other fields. */
function dataOf(line: string): string | undefined {
  if (!line.startsWith('data:')) return undefined;
  return line.slice(line.startsWith('data: ') ? 6 : 5);
}

/** One SSE event carrying `data` (a single line: JSON text or `[DONE]`). */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}
