import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RedisServer, startRedisServer } from './testing.js';

// The bin runs from source like the multi-process workers: plain node with type stripping, the
// workspace's source condition and a resolve hook for `.js` specifiers.
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const hooks = fileURLToPath(new URL('../scripts/source-hooks.mjs', import.meta.url));

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
}, 20_000);
afterAll(async () => server.stop());

function semcache(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@semcache/source', '--import', hooks, cli, ...args],
    {
      env: { ...process.env, REDIS_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('the semcache bin', () => {
  test('stats against a running Redis exits 0', async () => {
    const result = await semcache(['stats'], { REDIS_URL: server.url });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Redis ${server.url} (standalone)`);
    expect(result.code).toBe(0);
  }, 15_000);

  test('an unreachable Redis: one line naming the URL, exit 1, no stack trace', async () => {
    const result = await semcache(['stats', '--url', 'redis://127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^semcache: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: [^\n]+\n$/,
    );
  }, 15_000);

  test('a frozen Redis (SIGSTOP): gives up within the bound with one line naming the URL, exit 1', async () => {
    const frozen = await startRedisServer({ useEnvUrl: false });
    frozen.pause();
    try {
      const started = performance.now();
      const result = await semcache(['stats', '--url', frozen.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^semcache: cannot connect to Redis at ${frozen.url.replaceAll('/', '\\/')}: no answer within 3000 ms[^\\n]*\\n$`,
        ),
      );
      // The documented bound is 3 s; the rest is the process starting and exiting.
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      frozen.resume();
      await frozen.stop();
    }
  }, 30_000);
});
