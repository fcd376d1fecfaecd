/**
 * A stream that passes `source` through one chunk at a time (no buffering ahead) and calls
 * `onEnd` once, when the source ended, failed, or the reader cancelled (the client left).
 * Cancelling it cancels `source`.
 */
export function watchBody<T>(
  source: ReadableStream<T>,
  onEnd: (how: 'done' | 'failed' | 'cancelled') => void,
): ReadableStream<T> {
  const reader = source.getReader();
  let ended = false;
  const end = (how: 'done' | 'failed' | 'cancelled') => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<T>;
        try {
          next = await reader.read();
        } catch (error) {
          end('failed');
          controller.error(error);
          return;
        }
        if (next.done) {
          end('done');
          controller.close();
        } else controller.enqueue(next.value);
      },
      async cancel(reason) {
        end('cancelled');
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

const streamed = new WeakSet<Response>();

/** Marks `response` as one whose body is a stream: it counts as in flight until its last byte. */
export function streamedResponse(response: Response): Response {
  streamed.add(response);
  return response;
}

/** True for a response marked by {@link streamedResponse}. */
export function isStreamed(response: Response): boolean {
  return streamed.has(response);
}
