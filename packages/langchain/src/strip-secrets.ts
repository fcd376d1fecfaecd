import type { JsonValue } from '@semcache/core';

const secretWords = new Set([
  'key',
  'apikey',
  'secret',
  'token',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'authorization',
  'auth',
  'credential',
  'credentials',
  'cookie',
  'bearer',
  'signature',
  'session',
]);

/**
 * True when an option name looks like it holds a secret: one of its words (split at `_`, `-`,
 * `.` and camelCase humps) is `key`, `secret`, `token`, `password`, `authorization`, `auth`,
 * `credential(s)`, `cookie`, `bearer`, `signature`, `session` or similar. Plural `tokens`
 * (`max_tokens`) is a count, not a secret.
 */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_.\-:/]+/)
    .map((word) => word.toLowerCase());
  return words.some((word) => secretWords.has(word));
}

const credentialPatterns: readonly RegExp[] = [
  /^(?:sk|pk|rk|hs|sess)[-_][\w-]{12,}$/i,
  /^bearer\s+\S{8,}/i,
  /^basic\s+[A-Za-z0-9+/=]{8,}$/i,
  /^eyJ[\w-]{8,}\.[\w-]{8,}\./,
  /^(?:AKIA|ASIA)[0-9A-Z]{16}$/,
  /^gh[pousr]_[A-Za-z0-9]{20,}$/,
  /^xox[abprs]-[\w-]{10,}$/,
  /^AIza[\w-]{30,}$/,
];

/** True when a string value looks like an API key, a bearer token or a JWT. */
export function looksLikeCredential(value: string): boolean {
  const trimmed = value.trim();
  return credentialPatterns.some((pattern) => pattern.test(trimmed));
}

/**
 * Returns a copy of `value` without anything secret: object fields with a secret-looking name
 * ({@link isSecretName}), strings that look like credentials ({@link looksLikeCredential}) and
 * strings containing any of `knownSecrets` (values already found under secret names, so a key
 * copied into another option is caught too). Returns `undefined` when `value` itself is secret.
 */
export function stripSecrets(
  value: JsonValue,
  knownSecrets: readonly string[] = [],
): JsonValue | undefined {
  if (typeof value === 'string') {
    if (looksLikeCredential(value)) return undefined;
    return knownSecrets.some((secret) => value.includes(secret)) ? undefined : value;
  }
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (const item of value) {
      const kept = stripSecrets(item, knownSecrets);
      if (kept !== undefined) items.push(kept);
    }
    return items;
  }
  if (value !== null && typeof value === 'object') {
    const result: { [key: string]: JsonValue } = {};
    for (const [name, field] of Object.entries(value)) {
      if (isSecretName(name)) continue;
      const kept = stripSecrets(field, knownSecrets);
      if (kept !== undefined) result[name] = kept;
    }
    return result;
  }
  return value;
}

/**
 * Collects the string values found under secret-looking names anywhere in `value` (at least 8
 * characters, shorter strings would match innocent text), for {@link stripSecrets}.
 */
export function collectSecrets(
  value: JsonValue,
  found: string[] = [],
  secretParent = false,
): string[] {
  if (typeof value === 'string') {
    if (secretParent && value.length >= 8) found.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectSecrets(item, found, secretParent);
  } else if (value !== null && typeof value === 'object') {
    for (const [name, field] of Object.entries(value)) {
      collectSecrets(field, found, secretParent || isSecretName(name));
    }
  }
  return found;
}
