/** A request body read in full, or the reason it was not. */
export type ReadBody = { ok: true; text: string } | { ok: false; reason: 'too-large' };

/**
 * Reads a request body as text, refusing more than `limit` bytes. A declared `content-length`
 * over the limit is refused before reading; a body with a declared length is read in one go
 * (on Node, `@hono/node-server` reads it straight from the socket, without web streams); a
 * chunked body is read piece by piece and dropped as soon as it passes the limit.
 */
export async function readBody(request: Request, limit: number): Promise<ReadBody> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    if (Number(declared) > limit) return { ok: false, reason: 'too-large' };
    return { ok: true, text: await request.text() };
  }
  if (!request.body) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { ok: true, text: text + decoder.decode() };
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { ok: false, reason: 'too-large' };
    }
    text += decoder.decode(value, { stream: true });
  }
}
