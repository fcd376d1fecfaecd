import type { SharedV4ProviderOptions } from '@ai-sdk/provider';
import { type CacheCallOptions, SemcacheError } from '@semcache/core';
import { semcacheProviderKey } from './to-cache-request.js';

/**
 * Per-call options, passed as `providerOptions: { semcache: { ... } }`. They never reach the
 * provider and never enter a key.
 */
export interface SemcacheCallOptions {
  /** Skip the cache for this call: no lookup, no store. */
  bypass?: boolean;
  /** Call the model and overwrite the entry. */
  refresh?: boolean;
  /** Time to live of the entry this call stores. */
  ttlSeconds?: number;
  /** Isolates this call's entries (overrides the middleware's `tenant`). */
  tenant?: string;
  /** Namespace of this call's entries (overrides the middleware's `namespace`). */
  namespace?: string;
  /** Minimum similarity for a semantic hit on this call. */
  threshold?: number;
  /** Semantic matching for this call (exact matching stays on). */
  semantic?: boolean;
}

const fields: Record<keyof SemcacheCallOptions, 'boolean' | 'number' | 'string'> = {
  bypass: 'boolean',
  refresh: 'boolean',
  ttlSeconds: 'number',
  tenant: 'string',
  namespace: 'string',
  threshold: 'number',
  semantic: 'boolean',
};

/**
 * Reads and checks `providerOptions.semcache`.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` naming the field when a value has the wrong type.
 */
export function readCallOptions(
  providerOptions: SharedV4ProviderOptions | undefined,
): SemcacheCallOptions {
  const raw = providerOptions?.[semcacheProviderKey];
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'providerOptions.semcache must be an object like { bypass: true }.',
    );
  }
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const expected = fields[name as keyof SemcacheCallOptions];
    if (!expected) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `providerOptions.semcache.${name} is not an option; use one of ${Object.keys(fields).join(', ')}.`,
      );
    }
    if (value === undefined) continue;
    if (typeof value !== expected) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `providerOptions.semcache.${name} must be a ${expected}, got ${JSON.stringify(value)}.`,
      );
    }
    if (typeof value === 'number' && !validNumber(name, value)) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        name === 'threshold'
          ? `providerOptions.semcache.threshold must be a similarity in [0, 1], got ${value}.`
          : `providerOptions.semcache.ttlSeconds must be a positive number of seconds, got ${value}.`,
      );
    }
    options[name] = value;
  }
  return options as SemcacheCallOptions;
}

function validNumber(name: string, value: number): boolean {
  if (name === 'threshold') return value >= 0 && value <= 1;
  return Number.isFinite(value) && value > 0;
}

/** The core call options for these per-call options. */
export function toCoreCallOptions(options: SemcacheCallOptions): CacheCallOptions {
  const { tenant: _tenant, namespace: _namespace, ...core } = options;
  return core;
}
