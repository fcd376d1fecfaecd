import type { CacheCallOptions } from '@semcache/core';

/** The request headers that steer the cache for one call. */
export const controlHeaders = {
  /** `no-store`: go around the cache (no lookup, no write); `no-cache`: skip the lookup, refresh the entry. */
  cacheControl: 'cache-control',
  /** Seconds the entry written by this call lives. */
  ttl: 'x-semcache-ttl',
  /** Namespace of this call's entries (`[A-Za-z0-9._:-]`, at most 64 characters). */
  namespace: 'x-semcache-namespace',
} as const;

/** What the headers of one request ask of the cache. */
export interface RequestControl {
  callOptions: CacheCallOptions;
  namespace: string | undefined;
}

/** Outcome of {@link readRequestControl}: the control, or a 400 message naming the header. */
export type ParsedControl =
  | { ok: true; control: RequestControl }
  | { ok: false; message: string; header: string };

const namespacePattern = /^[A-Za-z0-9._:-]{1,64}$/;
const secondsPattern = /^\d+(?:\.\d+)?$/;

/**
 * Reads `Cache-Control` (`no-store`, `no-cache`; other directives are ignored, as HTTP caches do),
 * `x-semcache-ttl` and `x-semcache-namespace`. A header the proxy cannot honour is a 400, never
 * silently ignored.
 */
export function readRequestControl(headers: Headers): ParsedControl {
  const callOptions: CacheCallOptions = {};
  const directives = (headers.get(controlHeaders.cacheControl) ?? '')
    .split(',')
    .map((directive) => directive.trim().split('=')[0]?.trim().toLowerCase());
  if (directives.includes('no-store')) callOptions.bypass = true;
  else if (directives.includes('no-cache')) callOptions.refresh = true;

  const ttl = headers.get(controlHeaders.ttl);
  if (ttl !== null) {
    const seconds = Number(ttl.trim());
    if (!secondsPattern.test(ttl.trim()) || !(seconds > 0) || !Number.isFinite(seconds)) {
      return {
        ok: false,
        header: controlHeaders.ttl,
        message: `${controlHeaders.ttl} must be a number of seconds greater than 0, like "600"; got "${ttl.slice(0, 40)}".`,
      };
    }
    callOptions.ttlSeconds = seconds;
  }
  const namespace = headers.get(controlHeaders.namespace);
  if (namespace !== null && !namespacePattern.test(namespace)) {
    return {
      ok: false,
      header: controlHeaders.namespace,
      message: `${controlHeaders.namespace} must be 1 to 64 characters of letters, digits, '.', '_', ':' or '-'; got "${namespace.slice(0, 40)}".`,
    };
  }
  return { ok: true, control: { callOptions, namespace: namespace ?? undefined } };
}
