import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<object>();

/**
 * Returns a token shared by the cache lookups LangChain starts together for one `generate()`
 * call, and different for lookups of separate calls (`invoke`, `batch` items, concurrent
 * requests).
 *
 * LangChain looks up every prompt of one `generate()` call synchronously in one loop and updates
 * them only after all lookups settled; a lookup that waited for another prompt of the same call
 * would wait for itself. The token tells the cache not to wait in that case. `enterWith` marks
 * only the rest of the current synchronous run and the async work it starts, so the token never
 * reaches the caller of `generate()`.
 */
export function callToken(): object {
  let token = storage.getStore();
  if (token === undefined) {
    token = {};
    storage.enterWith(token);
  }
  return token;
}
