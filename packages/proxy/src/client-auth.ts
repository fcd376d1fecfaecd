import { createHmac } from 'node:crypto';

/** What {@link createClientAuth} needs. */
export interface ClientAuthOptions {
  upstreamKey: string | undefined;
  clientKeys: readonly string[];
  sharedCache: boolean;
  tenantSecret: string | undefined;
}

/** Outcome of checking one request's credentials. */
export type ClientAuthResult =
  | {
      ok: true;
      /** The cache tenant of this client: a keyed hash of its key, never the key. */
      tenant: string | undefined;
      /** `Authorization` to send upstream; `undefined`: forward the client's own. */
      upstreamAuthorization: string | undefined;
    }
  | { ok: false; message: string };

/** HMAC key used when no tenant secret is configured: a domain-separated SHA-256 of the key. */
const defaultTenantSecret = 'semcache-proxy tenant v1';

/** The client headers that carry credentials; none of them ever goes into a key, a log or a metric. */
export const credentialHeaders: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'cookie',
];

/**
 * Decides who may use the proxy and which tenant each caller is.
 *
 * - With an upstream key: a caller must send `Authorization: Bearer <one of clientKeys>`; the
 *   upstream gets the proxy's own key instead, so the upstream key never reaches a client and
 *   the client keys never reach the upstream.
 * - Without one: the caller's own `Authorization` goes upstream (the upstream decides).
 *
 * Each credential is its own tenant (HMAC-SHA-256 of the credential with `tenantSecret`), so no
 * answer crosses keys; `sharedCache` puts every caller in one tenant. Client keys are held only as
 * their hashes.
 */
export function createClientAuth(
  options: ClientAuthOptions,
): (headers: Headers) => ClientAuthResult {
  const secret = options.tenantSecret ?? defaultTenantSecret;
  const digest = (credential: string) =>
    createHmac('sha256', secret).update(credential).digest('hex').slice(0, 32);
  const tenantOf = (credential: string | undefined) =>
    options.sharedCache || credential === undefined ? undefined : `key:${digest(credential)}`;
  const { upstreamKey } = options;
  if (upstreamKey === undefined) {
    return (headers) => {
      const credential =
        headers.get('authorization') ??
        headers.get('api-key') ??
        headers.get('x-api-key') ??
        undefined;
      return { ok: true, tenant: tenantOf(credential), upstreamAuthorization: undefined };
    };
  }
  const allowed = new Set(options.clientKeys.map(digest));
  const upstreamAuthorization = `Bearer ${upstreamKey}`;
  return (headers) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get('authorization') ?? '');
    const key = match?.[1];
    if (key === undefined) {
      return {
        ok: false,
        message:
          'Missing API key: send one of this proxy\'s client keys as "Authorization: Bearer <key>" (the OpenAI clients do so with api_key / apiKey).',
      };
    }
    if (!allowed.has(digest(key))) {
      return {
        ok: false,
        message: "Incorrect API key provided: it is not one of this proxy's client keys.",
      };
    }
    return { ok: true, tenant: tenantOf(key), upstreamAuthorization };
  };
}
