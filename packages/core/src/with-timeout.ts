import { SemcacheError } from './errors.js';

/**
 * Resolves like `promise`, or rejects with a `STORE_UNAVAILABLE` {@link SemcacheError} after
 * `timeoutMs`. A late rejection of `promise` is swallowed so it never becomes unhandled.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new SemcacheError(
          'STORE_UNAVAILABLE',
          `${what} did not answer within ${timeoutMs} ms; the call went on without the cache. Check the store's health or raise storeTimeoutMs.`,
        ),
      );
    }, timeoutMs);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
