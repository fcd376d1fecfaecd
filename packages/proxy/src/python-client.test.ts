import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';

/**
 * The proxy from Python, as docs/proxy.md shows it: the official `openai` package (JSON and
 * streaming) and plain `requests`. Runs when a venv with both is prepared (CI:
 * `python3 -m venv ~/.cache/semcache-python && ~/.cache/semcache-python/bin/pip install openai
 * requests`, or `SEMCACHE_PYTHON=/path/to/python`), and is skipped, saying so, otherwise.
 */
const python = process.env.SEMCACHE_PYTHON ?? join(homedir(), '.cache/semcache-python/bin/python');
const hasPython = existsSync(python);
const run = promisify(execFile);
if (!hasPython) {
  console.warn(
    `python-client.test.ts skipped: no Python venv with openai and requests at ${python} (python3 -m venv ~/.cache/semcache-python && ~/.cache/semcache-python/bin/pip install openai requests)`,
  );
}

const script = `
import json, sys
import requests
from openai import OpenAI

base = sys.argv[1]
client = OpenAI(base_url=base, api_key="sk-python-client", max_retries=0)
question = [{"role": "user", "content": "What is a semantic cache, from Python?"}]

raw = client.chat.completions.with_raw_response.create(model="gpt-4.1", messages=question)
first = raw.parse()
again = client.chat.completions.with_raw_response.create(model="gpt-4.1", messages=question)
stream = client.chat.completions.create(model="gpt-4.1", messages=question, stream=True)
streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
plain = requests.post(
    f"{base}/chat/completions",
    headers={"Authorization": "Bearer sk-python-client", "Cache-Control": "no-store"},
    json={"model": "gpt-4.1", "messages": question},
    timeout=10,
)
print(json.dumps({
    "first": raw.headers.get("x-semcache"),
    "again": again.headers.get("x-semcache"),
    "text": first.choices[0].message.content,
    "again_text": again.parse().choices[0].message.content,
    "streamed": streamed,
    "requests_status": plain.status_code,
    "requests_cache": plain.headers.get("x-semcache"),
}))
`;

describe.skipIf(!hasPython)(
  `a Python client (openai and requests)${hasPython ? '' : ` (skipped: no venv at ${python}; see the comment of this file)`}`,
  () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startFixture();
    });
    afterAll(async () => f?.close());

    test('OpenAI(base_url=...) works unchanged: a miss, then hits for JSON and streaming', async () => {
      const { stdout } = await run(python, ['-c', script, f.url], { timeout: 60_000 });
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        first: 'miss',
        again: 'exact',
        requests_status: 200,
        requests_cache: 'bypass',
      });
      expect(result.text).toMatch(/^Mock answer to "What is a semantic cache, from Python\?"/);
      expect(result.again_text).toBe(result.text);
      expect(result.streamed).toBe(result.text);
      expect(f.mock.requests.chat).toBe(2);
      expect(f.mock.requests.chatStream).toBe(0);
    }, 60_000);
  },
);
