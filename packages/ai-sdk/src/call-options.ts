import type { SharedV4ProviderOptions } from '@ai-sdk/provider';
import type { CacheCallOptions, CacheScope } from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { cacheCallOptionNames, checkCallOptions, rejectUnknown } from '@semcache/core/internal';
import { semcacheProviderKey } from './to-cache-request.js';

/**
 * Per-call options, passed as `providerOptions: { semcache: { ... } }`: the core cache's per-call
 * options (`bypass`, `refresh`, `ttlSeconds`, `threshold`, `semantic`, `cacheNonDeterministic`)
 * plus the scope of the call's entries (`tenant`, `namespace`, overriding the middleware's). They
 * never reach the provider and never enter a key.
 */
export type SemcacheCallOptions = CacheCallOptions & Pick<CacheScope, 'tenant' | 'namespace'>;

/**
 * Reads and checks `providerOptions.semcache`.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` naming the field when a name is unknown or a value
 *   has the wrong type or range.
 */
export function readCallOptions(
  providerOptions: SharedV4ProviderOptions | undefined,
): SemcacheCallOptions {
  const raw = providerOptions?.[semcacheProviderKey];
  if (raw === undefined) return {};
  const where = `providerOptions.${semcacheProviderKey}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SemcacheError('INVALID_OPTIONS', `${where} must be an object like { bypass: true }.`);
  }
  rejectUnknown(where, raw, [...cacheCallOptionNames, 'tenant', 'namespace']);
  const { tenant, namespace, ...core } = raw as Record<string, unknown>;
  const options: SemcacheCallOptions = checkCallOptions(core as CacheCallOptions, where);
  for (const [name, value] of [
    ['tenant', tenant],
    ['namespace', namespace],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `${where}.${name} must be a string, got ${JSON.stringify(value)}.`,
      );
    }
    options[name] = value;
  }
  return options;
}

/** The core call options for these per-call options. */
export function toCoreCallOptions(options: SemcacheCallOptions): CacheCallOptions {
  const { tenant: _tenant, namespace: _namespace, ...core } = options;
  return core;
}
