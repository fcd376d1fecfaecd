import { SemcacheError } from './errors.js';
import type { LoopDelay } from './loop-delay.js';

/**
 * Resolves like `promise`, or rejects with a `STORE_UNAVAILABLE` {@link SemcacheError} after
 * `timeoutMs`. A late rejection of `promise` is swallowed so it never becomes unhandled.
 *
 * With `delay`, the budget measures the wait for the other side only: event-loop delay during
 * the wait (time a reply may have spent unread behind this process's own CPU work) is added to
 * the deadline, and before giving up, replies already received get one turn of the loop to be
 * read. So a busy app never times out a healthy store.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  delay?: LoopDelay,
): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const started = performance.now();
    const delayAtStart = delay?.totalMs() ?? 0;
    const giveUp = () => {
      if (settled) return;
      settled = true;
      reject(
        new SemcacheError(
          'STORE_UNAVAILABLE',
          `${what} did not answer within ${timeoutMs} ms; the call went on without the cache. Check the store's health or raise storeTimeoutMs.`,
        ),
      );
    };
    const check = () => {
      if (settled) return;
      if (delay) {
        const waited = performance.now() - started - (delay.totalMs() - delayAtStart);
        if (waited < timeoutMs) {
          timer = setTimeout(check, Math.max(1, timeoutMs - waited));
          timer.unref?.();
          return;
        }
        // Timers run before the loop reads sockets: let a reply that already arrived be read.
        setImmediate(giveUp);
        return;
      }
      giveUp();
    };
    let timer = setTimeout(check, timeoutMs);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}
