import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ask, streamedText } from './proxy-fixture.test.helper.js';

// The bin runs from source as the Redis package's CLI tests do: plain node with type stripping,
// the workspace's source condition and that package's resolve hook for `.js` specifiers.
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const hooks = fileURLToPath(new URL('../../redis/scripts/source-hooks.mjs', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Environment without anything that would change the proxy's configuration. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['REDIS_URL', 'HOLYSHEEP_API_KEY', 'SEMCACHE_TENANT_SECRET']) delete env[name];
  return { ...env, ...extra };
}

interface ProxyProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** Starts `semcache-proxy` with `args`; resolves once it printed the URL it listens on. */
async function startBin(args: string[], env: Record<string, string> = {}): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@semcache/source', '--import', hooks, cli, '--port', '0', ...args],
    { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /listening on (\S+)/.exec(stdout)?.[1];
      if (found) resolve(found);
    });
    exited.then((code) => reject(new Error(`semcache-proxy exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

/** Runs the bin to its end (for flags that make it exit). */
async function runBin(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@semcache/source', '--import', hooks, cli, ...args],
    { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

let mock: MockOpenAIServer;
let redis: RedisServer;
beforeAll(async () => {
  mock = await startMockOpenAI();
  redis = await startRedisServer({ useEnvUrl: false });
}, 20_000);
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  mock.reset();
});
afterAll(async () => {
  await mock.close();
  await redis.stop();
});

describe('semcache-proxy flags', () => {
  test('--help lists every flag and exits 0', async () => {
    const { code, stdout } = await runBin(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--upstream',
      '--port',
      '--host',
      '--redis',
      '--shared-cache',
      '--client-keys-env',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'eighty'], /--port must be a port number/],
    [['--ttl=-1'], /--ttl must be/],
    [['--threshold', '2'], /--threshold must be/],
    [['--upstream', 'ftp://example.test'], /upstream must be an http\(s\) URL/],
    [['--client-keys-env', 'NOT_SET_ANYWHERE'], /that variable is not set/],
  ])('%j is one line on stderr and exit 2', async (args, message) => {
    const { code, stderr } = await runBin(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  test('an upstream key without client keys is refused (exit 2), so the key is not open to all', async () => {
    const { code, stderr } = await runBin(['--upstream', mock.url], {
      HOLYSHEEP_API_KEY: 'sk-upstream-for-flag-test',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/clients must authenticate/);
    expect(stderr).not.toContain('sk-upstream-for-flag-test');
  });
});

describe('semcache-proxy in the field (its own process, Redis)', () => {
  test('SIGTERM right after a stream ended flushes its entry to Redis and exits 0', async () => {
    const prefixKeys = async () => (await redis.client().keys('semcache:*:e:*')).length;
    const before = await prefixKeys();
    const bin = await startBin(['--upstream', mock.url, '--redis', redis.url]);
    const response = await fetch(`${bin.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ask('Flush me at shutdown, please?', { stream: true })),
    });
    const text = await response.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    bin.child.kill('SIGTERM');
    expect(await bin.exited).toBe(0);
    expect(await prefixKeys()).toBe(before + 1);
    expect(bin.stderr()).toContain('"event":"shutdown"');
  });

  test('a fresh node process per call; the first call after a proxy restart is a hit', async () => {
    // One call from a new `node` process with the official openai client, as scripts do.
    const call = async (url: string, question: string) => {
      const script = `
        import OpenAI from 'openai';
        const openai = new OpenAI({ baseURL: process.argv[1], apiKey: 'sk-script', maxRetries: 0 });
        const { data, response } = await openai.chat.completions
          .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: process.argv[2] }] })
          .withResponse();
        console.log(JSON.stringify({ outcome: response.headers.get('x-semcache'), text: data.choices[0].message.content }));
      `;
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', script, url, question],
        {
          cwd: packageDir,
          env: cleanEnv(),
        },
      );
      return JSON.parse(stdout) as { outcome: string; text: string };
    };
    const question = 'Does the cache survive a proxy restart?';
    const first = await startBin(['--upstream', mock.url, '--redis', redis.url]);
    const miss = await call(first.url, question);
    const hit = await call(first.url, question);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = await startBin(['--upstream', mock.url, '--redis', redis.url]);
    const afterRestart = await call(second.url, question);
    const reworded = await call(second.url, 'does the cache survive a proxy restart');
    expect([miss.outcome, hit.outcome, afterRestart.outcome]).toEqual(['miss', 'exact', 'exact']);
    expect(afterRestart.text).toBe(miss.text);
    expect(reworded.outcome).toBe('semantic');
    expect(mock.requests.chat).toBe(1);
  }, 60_000);

  test('a burst of 300 concurrent requests keeps caching: one upstream call per question', async () => {
    // A generous store budget: a Redis starved of CPU by other tests must not turn hits into misses.
    const bin = await startBin([
      '--upstream',
      mock.url,
      '--redis',
      redis.url,
      '--store-timeout-ms',
      '2000',
      '--quiet',
    ]);
    mock.setLatency(20);
    const questions = Array.from(
      { length: 20 },
      (_, i) => `Burst question number ${i} for the proxy?`,
    );
    const burst = () =>
      Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const stream = i % 3 === 0;
          const response = await fetch(`${bin.url}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(ask(questions[i % questions.length] as string, { stream })),
          });
          const body = await response.text();
          const text = stream
            ? streamedText(body)
            : (JSON.parse(body).choices[0].message.content as string);
          return { status: response.status, outcome: response.headers.get('x-semcache'), text };
        }),
      );
    try {
      const first = await burst();
      expect(first.every((r) => r.status === 200 && r.text.startsWith('Mock answer'))).toBe(true);
      expect(mock.requests.chat + mock.requests.chatStream).toBe(questions.length);
      const again = await burst();
      expect(again.filter((r) => r.outcome === 'exact')).toHaveLength(300);
      expect(mock.requests.chat + mock.requests.chatStream).toBe(questions.length);
    } finally {
      mock.setLatency(0);
    }
  }, 60_000);
});
