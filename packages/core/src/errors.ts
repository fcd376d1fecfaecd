/**
 * Machine-readable reason for a {@link SemcacheError}.
 *
 * - `INVALID_REQUEST`: a request passed to the cache is malformed (fix the caller).
 * - `INVALID_OPTIONS`: an option passed to a factory or per call is out of range (fix the config).
 * - `STORE_UNAVAILABLE`: a store operation failed or timed out (reported through events; the
 *   cache itself fails open and never throws this to the app).
 * - `CORRUPT_ENTRY`: a stored entry could not be decoded (reported, treated as a miss).
 * - `EMBEDDER_FAILED`: the embedder threw or returned vectors of the wrong shape.
 * - `MISSING_API_KEY`: a provider factory found no API key.
 */
export type SemcacheErrorCode =
  | 'INVALID_REQUEST'
  | 'INVALID_OPTIONS'
  | 'STORE_UNAVAILABLE'
  | 'CORRUPT_ENTRY'
  | 'EMBEDDER_FAILED'
  | 'MISSING_API_KEY';

const marker = Symbol.for('semcache.error');

/** The one error type semcache throws or reports; `code` says what went wrong. */
export class SemcacheError extends Error {
  /** What went wrong, stable across versions. */
  readonly code: SemcacheErrorCode;

  constructor(code: SemcacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SemcacheError';
    this.code = code;
    Object.defineProperty(this, marker, { value: true });
  }

  /**
   * True when `error` is a `SemcacheError` (optionally with the given code), also one thrown by
   * another copy of `@semcache/core` (recognised by a `Symbol.for` marker, as `AISDKError.isInstance`
   * does), where `instanceof` would say no.
   */
  static isInstance(error: unknown, code?: SemcacheErrorCode): error is SemcacheError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as { [marker]?: unknown })[marker] === true &&
      (code === undefined || (error as SemcacheError).code === code)
    );
  }
}

/** Same as {@link SemcacheError.isInstance}. */
export function isSemcacheError(error: unknown, code?: SemcacheErrorCode): error is SemcacheError {
  return SemcacheError.isInstance(error, code);
}

/**
 * A short, safe description of any value for an error message: never throws (null-prototype
 * objects, throwing getters) and never runs long (cut at 60 characters).
 */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === 'string'
        ? JSON.stringify(value)
        : typeof value === 'object' && value !== null
          ? Array.isArray(value)
            ? 'an array'
            : 'an object'
          : String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
