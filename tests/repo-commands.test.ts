// Commands the READMEs give for a clone of the repository (after `pnpm install && pnpm build`).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));

function pnpm(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('pnpm', args, { cwd: repo, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        stdout,
        stderr,
      });
    });
  });
}

test('pnpm semcache and pnpm semcache-proxy run the CLIs from the repository root', async () => {
  const [cli, proxy] = await Promise.all([
    pnpm(['-s', 'semcache', '--help']),
    pnpm(['-s', 'semcache-proxy', '--help']),
  ]);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/^Usage: semcache <command>/);
  expect(proxy.code, proxy.stderr).toBe(0);
  expect(proxy.stdout).toMatch(/Usage: semcache-proxy/);
}, 90_000);

test('pnpm semcache passes its arguments through: an unreachable Redis is one line, exit 1', async () => {
  const result = await pnpm(['-s', 'semcache', 'stats', '--url', 'redis://127.0.0.1:1']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
}, 90_000);
