import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliFlags, configurationTable, helpText, parseCli } from './cli-args.js';
import { proxyDefaults } from './proxy-options.js';

describe('parseCli', () => {
  test('no flags: the documented defaults (HolySheep upstream, memory store)', () => {
    expect(parseCli([], {})).toEqual({ kind: 'run', options: {}, quiet: false });
  });

  test('flags map onto the options', () => {
    const command = parseCli(
      [
        '--upstream',
        'http://127.0.0.1:4000/v1',
        '--port',
        '9999',
        '--host',
        '0.0.0.0',
        '--redis',
        'redis://127.0.0.1:6380',
        '--shared-cache',
        '--ttl',
        '60',
        '--threshold',
        '0.95',
        '--no-semantic',
        '--store-timeout-ms',
        '200',
        '--max-body-bytes',
        '1024',
        '--shutdown-timeout-ms',
        '500',
        '--quiet',
      ],
      {},
    );
    expect(command).toEqual({
      kind: 'run',
      quiet: true,
      options: {
        upstream: 'http://127.0.0.1:4000/v1',
        port: 9999,
        host: '0.0.0.0',
        redisUrl: 'redis://127.0.0.1:6380',
        sharedCache: true,
        cacheOptions: { ttlSeconds: 60, threshold: 0.95, semantic: false, storeTimeoutMs: 200 },
        maxBodyBytes: 1024,
        shutdownTimeoutMs: 500,
      },
    });
  });

  test('keys and secrets come from the environment and from a file, never from flags', () => {
    const folder = mkdtempSync(join(tmpdir(), 'semcache-keys-'));
    const file = join(folder, 'keys');
    writeFileSync(file, '# team keys\nkey-from-file-1\n\n  key-from-file-2  # ops\n');
    const command = parseCli(['--client-keys-env', 'KEYS', '--client-keys-file', file], {
      HOLYSHEEP_API_KEY: 'sk-upstream',
      KEYS: 'key-a, key-b,',
      SEMCACHE_TENANT_SECRET: 'tenant-secret',
      REDIS_URL: 'redis://127.0.0.1:6390',
    });
    expect(command).toMatchObject({
      kind: 'run',
      options: {
        upstreamKey: 'sk-upstream',
        clientKeys: ['key-a', 'key-b', 'key-from-file-1', 'key-from-file-2'],
        tenantSecret: 'tenant-secret',
        redisUrl: 'redis://127.0.0.1:6390',
      },
    });
    expect(parseCli(['--upstream-key-env', 'MY_KEY'], { MY_KEY: 'sk-mine' })).toMatchObject({
      options: { upstreamKey: 'sk-mine' },
    });
  });

  test.each([
    [['--nope'], /Unknown option/],
    [['--port'], /argument missing/],
    [['--port', '65536'], /port number/],
    [['--max-body-bytes', '0'], /positive integer/],
    [['--threshold', 'high'], /similarity/],
    [['--upstream-key-env', 'UNSET_VAR'], /not set/],
    [['--client-keys-file', '/nonexistent/keys'], /cannot read it \(ENOENT\)/],
    [['positional'], /positional/],
  ])('%j → a one-line error', (argv, message) => {
    const command = parseCli(argv, {});
    expect(command.kind).toBe('error');
    if (command.kind === 'error') {
      expect(command.message).toMatch(message);
      expect(command.message).not.toContain('\n');
    }
  });

  test('--help lists every flag', () => {
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help', text: helpText() });
    for (const flag of cliFlags) expect(helpText()).toContain(`--${flag.name}`);
  });
});

describe('docs/proxy.md', () => {
  const docs = readFileSync(new URL('../../../docs/proxy.md', import.meta.url), 'utf8');
  test('holds the configuration table generated from the flags (regenerate it from configurationTable())', () => {
    expect(docs).toContain(configurationTable());
  });

  test('the table states each plain default of proxyDefaults', () => {
    const table = configurationTable();
    for (const value of Object.values(proxyDefaults)) expect(table).toContain(`\`${value}\``);
  });
});
