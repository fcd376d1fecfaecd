import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { semanticCacheDefaults } from '@semcache/core';
import { type ProxyOptions, proxyDefaults } from './proxy-options.js';

/** One `semcache-proxy` flag: how it is spelled, where else it can come from, what it sets. */
interface Flag {
  name: string;
  /** `value`: takes an argument shown as this placeholder; omitted for a boolean switch. */
  value?: string;
  /** Environment variable read when the flag is not given. */
  env?: string;
  /** The {@link ProxyOptions} field (or `cacheOptions.<field>`) it sets. */
  option: string;
  /** Default as documented (from {@link proxyDefaults} where the option has a plain default). */
  default: string;
  description: string;
}

/** Every flag, in the order `--help` and docs/proxy.md list them. */
export const cliFlags: readonly Flag[] = [
  {
    name: 'upstream',
    value: 'URL',
    option: 'upstream',
    default: `\`${proxyDefaults.upstream}\``,
    description: 'OpenAI-compatible API to forward to, with its version path',
  },
  {
    name: 'host',
    value: 'HOST',
    option: 'host',
    default: `\`${proxyDefaults.host}\``,
    description: 'interface to listen on (`0.0.0.0` for every interface)',
  },
  {
    name: 'port',
    value: 'PORT',
    option: 'port',
    default: `\`${proxyDefaults.port}\``,
    description: 'port to listen on',
  },
  {
    name: 'redis',
    value: 'URL',
    env: 'REDIS_URL',
    option: 'redisUrl',
    default: 'in-memory store',
    description:
      'Redis for the entries (`redis://` or `rediss://`): shared by proxies, kept across restarts',
  },
  {
    name: 'upstream-key-env',
    value: 'NAME',
    option: 'upstreamKey',
    default: '`HOLYSHEEP_API_KEY`',
    description:
      'environment variable holding the upstream key; when it is set, clients need a client key and the upstream key never reaches them; when not, each client’s `Authorization` is forwarded',
  },
  {
    name: 'client-keys-env',
    value: 'NAME',
    option: 'clientKeys',
    default: 'none',
    description: 'environment variable holding the client keys, comma-separated',
  },
  {
    name: 'client-keys-file',
    value: 'PATH',
    option: 'clientKeys',
    default: 'none',
    description: 'file with one client key per line (`#` comments); added to `--client-keys-env`',
  },
  {
    name: 'shared-cache',
    option: 'sharedCache',
    default: `\`${proxyDefaults.sharedCache}\``,
    description: 'share answers across client keys (default: each key is its own tenant)',
  },
  {
    name: 'tenant-secret-env',
    value: 'NAME',
    option: 'tenantSecret',
    default: '`SEMCACHE_TENANT_SECRET`',
    description:
      'environment variable holding the HMAC secret that turns a key into its tenant id (unset: a domain-separated SHA-256)',
  },
  {
    name: 'ttl',
    value: 'SECONDS',
    option: 'cacheOptions.ttlSeconds',
    default: `\`${semanticCacheDefaults.ttlSeconds}\` (core)`,
    description: 'lifetime of new entries (per request: `x-semcache-ttl`)',
  },
  {
    name: 'threshold',
    value: 'SIMILARITY',
    option: 'cacheOptions.threshold',
    default: `embedder's, lexical \`${semanticCacheDefaults.fallbackThreshold}\` (core)`,
    description: 'minimum cosine similarity in [0, 1] of a semantic hit',
  },
  {
    name: 'no-semantic',
    option: 'cacheOptions.semantic',
    default: 'semantic on',
    description: 'exact hits only',
  },
  {
    name: 'store-timeout-ms',
    value: 'MS',
    option: 'cacheOptions.storeTimeoutMs',
    default: `\`${semanticCacheDefaults.storeTimeoutMs}\` (core)`,
    description:
      'how long one cache operation may wait for the store before the request goes on without it',
  },
  {
    name: 'max-body-bytes',
    value: 'BYTES',
    option: 'maxBodyBytes',
    default: `\`${proxyDefaults.maxBodyBytes}\` (10 MiB)`,
    description: 'larger request bodies get 413',
  },
  {
    name: 'shutdown-timeout-ms',
    value: 'MS',
    option: 'shutdownTimeoutMs',
    default: `\`${proxyDefaults.shutdownTimeoutMs}\``,
    description: 'how long SIGTERM / SIGINT waits for requests in flight',
  },
  {
    name: 'quiet',
    option: 'log',
    default: 'JSON lines on stderr',
    description: 'no request log',
  },
  { name: 'help', option: '—', default: '', description: 'print this help and exit' },
];

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'run'; options: ProxyOptions; quiet: boolean }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

/**
 * Reads the command line and environment into {@link ProxyOptions}. A flag given twice, an
 * unknown flag, a missing or malformed value is an `error` with a one-line message.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        cliFlags.map((flag) => [flag.name, { type: flag.value ? 'string' : 'boolean' }] as const),
      ),
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    return { kind: 'error', message: (error as Error).message.split('\n')[0] ?? 'bad arguments' };
  }
  if (values.help) return { kind: 'help', text: helpText() };
  const options: ProxyOptions = {};
  const cacheOptions: NonNullable<ProxyOptions['cacheOptions']> = {};
  const text = (name: string) => values[name] as string | undefined;
  if (text('upstream') !== undefined) options.upstream = text('upstream');
  if (text('host') !== undefined) options.host = text('host');
  const port = text('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) {
      return { kind: 'error', message: `--port must be a port number (0-65535), got "${port}"` };
    }
    options.port = Number(port);
  }
  const redis = text('redis') ?? nonEmpty(env.REDIS_URL);
  if (redis !== undefined) options.redisUrl = redis;

  const keyVariable = text('upstream-key-env') ?? 'HOLYSHEEP_API_KEY';
  const upstreamKey = nonEmpty(env[keyVariable]);
  if (text('upstream-key-env') !== undefined && upstreamKey === undefined) {
    return {
      kind: 'error',
      message: `--upstream-key-env ${keyVariable}: that variable is not set`,
    };
  }
  if (upstreamKey !== undefined) options.upstreamKey = upstreamKey;
  const clientKeys: string[] = [];
  const keysVariable = text('client-keys-env');
  if (keysVariable !== undefined) {
    const listed = nonEmpty(env[keysVariable]);
    if (listed === undefined) {
      return {
        kind: 'error',
        message: `--client-keys-env ${keysVariable}: that variable is not set`,
      };
    }
    clientKeys.push(
      ...listed
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    );
  }
  const keysFile = text('client-keys-file');
  if (keysFile !== undefined) {
    let content: string;
    try {
      content = readFileSync(keysFile, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      return { kind: 'error', message: `--client-keys-file ${keysFile}: cannot read it (${code})` };
    }
    for (const line of content.split(/\r?\n/)) {
      const key = line.replace(/#.*$/, '').trim();
      if (key !== '') clientKeys.push(key);
    }
  }
  if (clientKeys.length > 0) options.clientKeys = clientKeys;
  if (values['shared-cache']) options.sharedCache = true;
  const secretVariable = text('tenant-secret-env') ?? 'SEMCACHE_TENANT_SECRET';
  const secret = nonEmpty(env[secretVariable]);
  if (text('tenant-secret-env') !== undefined && secret === undefined) {
    return {
      kind: 'error',
      message: `--tenant-secret-env ${secretVariable}: that variable is not set`,
    };
  }
  if (secret !== undefined) options.tenantSecret = secret;

  for (const [flag, field, check] of [
    ['ttl', 'ttlSeconds', (n: number) => n > 0],
    ['threshold', 'threshold', (n: number) => n >= 0 && n <= 1],
    ['store-timeout-ms', 'storeTimeoutMs', (n: number) => n > 0],
  ] as const) {
    const value = text(flag);
    if (value === undefined) continue;
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || !check(number)) {
      const range =
        flag === 'ttl'
          ? 'a number of seconds > 0'
          : flag === 'threshold'
            ? 'a similarity in [0, 1]'
            : 'a number of milliseconds > 0';
      return { kind: 'error', message: `--${flag} must be ${range}, got "${value}"` };
    }
    cacheOptions[field] = number;
  }
  if (values['no-semantic']) cacheOptions.semantic = false;
  if (Object.keys(cacheOptions).length > 0) options.cacheOptions = cacheOptions;
  for (const [flag, field] of [
    ['max-body-bytes', 'maxBodyBytes'],
    ['shutdown-timeout-ms', 'shutdownTimeoutMs'],
  ] as const) {
    const value = text(flag);
    if (value === undefined) continue;
    if (!/^\d+$/.test(value) || (flag === 'max-body-bytes' && Number(value) < 1)) {
      return { kind: 'error', message: `--${flag} must be a positive integer, got "${value}"` };
    }
    options[field] = Number(value);
  }
  return { kind: 'run', options, quiet: values.quiet === true };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The `--help` text. */
export function helpText(): string {
  const usage = cliFlags.map((flag) => `  --${flag.name}${flag.value ? ` ${flag.value}` : ''}`);
  const width = Math.max(...usage.map((line) => line.length)) + 2;
  const plain = (text: string) => text.replaceAll('`', '');
  const lines = cliFlags.map((flag, i) => {
    const extra = [
      flag.env ? `env ${flag.env}` : undefined,
      flag.default && flag.name !== 'help' ? `default ${plain(flag.default)}` : undefined,
    ].filter(Boolean);
    return `${(usage[i] as string).padEnd(width)}${plain(flag.description)}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`;
  });
  return [
    'semcache-proxy: an OpenAI-compatible caching proxy (exact and semantic hits, shared streams).',
    '',
    'Usage: semcache-proxy [--upstream URL] [--port PORT] [--host HOST] [--redis URL] [options]',
    '',
    ...lines,
    '',
    'Clients: OpenAI(base_url="http://127.0.0.1:8787/v1"). Docs: docs/proxy.md.',
    '',
  ].join('\n');
}

/** The configuration table of docs/proxy.md, generated from {@link cliFlags}. */
export function configurationTable(): string {
  const rows = cliFlags
    .filter((flag) => flag.name !== 'help')
    .map((flag) => [
      `\`--${flag.name}${flag.value ? ` ${flag.value}` : ''}\``,
      flag.env ? `\`${flag.env}\`` : '',
      `\`${flag.option}\``,
      flag.default,
      flag.description,
    ]);
  const header = ['flag', 'env', 'option', 'default', 'meaning'];
  // Padded the way the formatter (Biome) writes markdown tables, so docs/proxy.md stays formatted.
  const widths = header.map((_, c) =>
    Math.max(...[header, ...rows].map((row) => (row[c] as string).length)),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
