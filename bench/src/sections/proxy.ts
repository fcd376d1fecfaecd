// Section 7: what semcache-proxy costs. An exact hit through the proxy (its own process, in-memory
// store, and with a private redis-server) against a direct request to the same upstream: the
// mock OpenAI server in its own process with 0 latency, so the direct request is the floor any
// HTTP hop costs and the difference is the proxy's own work. JSON and streaming, interleaved per
// call in rotating order; then hits per second at concurrency 64, per short window.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '@semcache/redis/testing';
import { int, ms, table, times } from '../lib/format.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { interleaved, median, type Summary, summarize } from '../stats.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const mockModule = resolve(root, 'packages/mock-openai/dist/index.js');
const proxyCli = resolve(root, 'packages/proxy/dist/cli.js');
const concurrency = 64;
const question = 'What is the capital of France, and why did it become the capital?';

/** Starts a child process and resolves with the first URL it prints. */
function startChild(
  args: string[],
  pattern: RegExp,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = pattern.exec(out)?.[1];
      if (url) done({ child, url });
    });
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

function post(url: string, body: string): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body,
  });
}

/** Calls `operation` from `loops` concurrent loops for `windowMs`; returns completed calls per second. */
async function callsPerSecond(
  loops: number,
  windowMs: number,
  operation: () => Promise<unknown>,
): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + windowMs;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - started);
}

export async function proxy(options: SectionOptions): Promise<SectionResult> {
  const iterations = options.quick ? 2000 : 8000;
  const warmup = options.quick ? 300 : 1000;
  const rounds = options.quick ? 5 : 9;
  const windowMs = options.quick ? 500 : 1000;
  const redis = await startRedisServer({ useEnvUrl: false });
  const mock = await startChild(
    [
      '--input-type=module',
      '-e',
      `const { startMockOpenAI } = await import(${JSON.stringify(mockModule)}); const server = await startMockOpenAI(); console.log(server.url);`,
    ],
    /(http:\/\/\S+\/v1)/,
  );
  const listening = /listening on (\S+)/;
  const memoryProxy = await startChild(
    [proxyCli, '--upstream', mock.url, '--port', '0', '--quiet'],
    listening,
  );
  const redisProxy = await startChild(
    [proxyCli, '--upstream', mock.url, '--port', '0', '--redis', redis.url, '--quiet'],
    listening,
  );
  const children = [mock.child, memoryProxy.child, redisProxy.child];
  try {
    const json = JSON.stringify({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: question }],
    });
    const stream = JSON.stringify({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: question }],
      stream: true,
    });
    // Prime each proxy (one miss per body), then check the next calls are exact hits.
    for (const url of [memoryProxy.url, redisProxy.url]) {
      for (const body of [json, stream]) {
        await (await post(url, body)).text();
        const again = await post(url, body);
        await again.text();
        if (again.headers.get('x-semcache') !== 'exact') {
          throw new Error(
            `proxy bench: expected an exact hit after priming, got ${again.headers.get('x-semcache')}`,
          );
        }
      }
    }
    const read = async (url: string, body: string, expectHit: boolean) => {
      const response = await post(url, body);
      await response.text();
      if (expectHit && response.headers.get('x-semcache') !== 'exact') {
        throw new Error('proxy bench: a measured proxy call was not an exact hit');
      }
    };
    const samples = await interleaved(
      {
        direct: () => read(mock.url, json, false),
        memoryHit: () => read(memoryProxy.url, json, true),
        redisHit: () => read(redisProxy.url, json, true),
        directStream: () => read(mock.url, stream, false),
        memoryStreamHit: () => read(memoryProxy.url, stream, true),
      },
      { iterations, warmup },
    );
    const s = Object.fromEntries(
      Object.entries(samples).map(([name, list]) => [name, summarize(list as number[])]),
    ) as Record<keyof typeof samples, Summary>;

    const throughputVariants = {
      direct: () => read(mock.url, json, false),
      memoryHit: () => read(memoryProxy.url, json, true),
      redisHit: () => read(redisProxy.url, json, true),
    };
    const names = Object.keys(throughputVariants) as (keyof typeof throughputVariants)[];
    const perSecond = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
      (typeof names)[number],
      number[]
    >;
    await callsPerSecond(concurrency, 200, throughputVariants.memoryHit);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length] as (typeof names)[number];
        perSecond[name].push(await callsPerSecond(concurrency, windowMs, throughputVariants[name]));
      }
    }
    const rate = Object.fromEntries(names.map((name) => [name, median(perSecond[name])])) as Record<
      (typeof names)[number],
      number
    >;

    const row = (label: string, summary: Summary, base: Summary) => [
      label,
      ms(summary.p50),
      ms(summary.p99),
      `${times(summary.p50 / base.p50)}`,
      ms(summary.p50 - base.p50),
    ];
    const latencyTable = table(
      ['request', 'p50', 'p99', 'p50 vs direct', 'p50 added'],
      [
        row('direct to the upstream (mock, 0 latency), JSON', s.direct, s.direct),
        row('exact hit through the proxy, in-memory store, JSON', s.memoryHit, s.direct),
        row('exact hit through the proxy, Redis store, JSON', s.redisHit, s.direct),
        row('direct to the upstream, streamed', s.directStream, s.directStream),
        row(
          'exact hit through the proxy, in-memory store, streamed',
          s.memoryStreamHit,
          s.directStream,
        ),
      ],
    );
    const rateTable = table(
      ['at concurrency 64', 'calls/s', 'vs direct'],
      [
        ['direct requests to the upstream (mock)', int(rate.direct), '1.00×'],
        [
          'exact hits through the proxy, in-memory store',
          int(rate.memoryHit),
          times(rate.memoryHit / rate.direct),
        ],
        [
          'exact hits through the proxy, Redis store',
          int(rate.redisHit),
          times(rate.redisHit / rate.direct),
        ],
      ],
    );
    const targets: Target[] = [
      {
        section: '9',
        name: 'exact hit through the proxy (in-memory store) vs a direct request to the same 0-latency upstream (p50)',
        goal: '≤ 1.5×',
        measured: `${times(s.memoryHit.p50 / s.direct.p50)} (${ms(s.memoryHit.p50)} vs ${ms(s.direct.p50)})`,
        met: s.memoryHit.p50 <= 1.5 * s.direct.p50,
      },
      {
        section: '9',
        name: 'the same with the Redis store (p50)',
        goal: '≤ 2×',
        measured: `${times(s.redisHit.p50 / s.direct.p50)} (${ms(s.redisHit.p50)})`,
        met: s.redisHit.p50 <= 2 * s.direct.p50,
      },
      {
        section: '9',
        name: 'exact hits per second through the proxy at concurrency 64 (in-memory store)',
        goal: '≥ 1,000/s',
        measured: `${int(rate.memoryHit)}/s`,
        met: rate.memoryHit >= 1000,
      },
    ];
    const markdown = [
      `\`semcache-proxy\` (its own Node process; \`--quiet\`) in front of the mock OpenAI server (another process, 0 ms latency, so a direct request is the floor of one local HTTP round trip and the difference is what the proxy itself adds). The client is this process, Node's \`fetch\` with keep-alive. A ${question.length}-character question whose answer is about 110 characters. ${iterations.toLocaleString('en-US')} calls per variant after ${warmup} warm-up rounds, every variant once per round in rotating order; every measured proxy call is checked to be an exact hit. Redis: a private redis-server on loopback.`,
      '',
      latencyTable,
      '',
      `Hits per second: ${rounds} rounds; in each, every variant runs for ${windowMs} ms with ${concurrency} concurrent loops, in rotating order; the median of the rounds. Client, proxy and upstream share the machine's 2 cores.`,
      '',
      rateTable,
    ].join('\n');
    return {
      id: 'proxy',
      title: '9. Proxy overhead',
      markdown,
      targets,
      results: { iterations, warmup, rounds, windowMs, summaries: s, callsPerSecond: rate },
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
  }
}
