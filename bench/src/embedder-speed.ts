// Speed and memory of the local neural embedders on the same sentences, one text per call (what a
// cache lookup pays): `@semcache/embedder-onnx` (MiniLM for English, bge-small-zh for Chinese) and
// `@semcache/embedder-use` (USE lite, English only). Calls alternate between the embedders.
// Resident memory is measured in a child process per embedder (model loaded, after the calls).
//   pnpm build && node bench/src/embedder-speed.ts [--data ../shared/data]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Embedder } from '@semcache/core';
import { onnxEmbedder } from '@semcache/embedder-onnx';
import { preparedModelsDir } from '@semcache/embedder-onnx/testing';
import { useLiteEmbedder } from '@semcache/embedder-use';
import { ms } from './lib/format.ts';
import { readPairs } from './pair-data.ts';
import { summarize } from './stats.ts';

const { values } = parseArgs({
  options: { data: { type: 'string', default: '../shared/data' }, only: { type: 'string' } },
});
const count = 300;
const english = [...new Set(readPairs(values.data, 'qqp-dev').map((p) => p.a))].slice(0, count);
const chinese = [...new Set(readPairs(values.data, 'lcqmc').map((p) => p.a))].slice(0, count);

async function open(
  name: string,
): Promise<{ embedder: Embedder & { close?: () => Promise<void> }; loadMs: number }> {
  const started = performance.now();
  if (name === 'use') {
    const embedder = useLiteEmbedder();
    await embedder.load();
    return { embedder, loadMs: performance.now() - started };
  }
  const embedder = await onnxEmbedder({ cacheDir: preparedModelsDir() });
  await embedder.load();
  return { embedder, loadMs: performance.now() - started };
}

if (values.only) {
  // Child: load one embedder, embed the sentences, report resident memory.
  const { embedder, loadMs } = await open(values.only);
  for (const text of [...english, ...(values.only === 'onnx' ? chinese : [])]) {
    await embedder.embed([text]);
  }
  console.log(JSON.stringify({ rssMiB: process.memoryUsage().rss / 2 ** 20, loadMs }));
  process.exit(0);
}

const baseline =
  Number(execFileSync(process.execPath, ['-p', 'process.memoryUsage().rss']).toString()) / 2 ** 20;
const memory = Object.fromEntries(
  ['use', 'onnx'].map((name) => [
    name,
    JSON.parse(
      execFileSync(process.execPath, [
        fileURLToPath(import.meta.url),
        '--only',
        name,
        '--data',
        values.data,
      ]).toString(),
    ) as { rssMiB: number; loadMs: number },
  ]),
);
const use = (await open('use')).embedder;
const onnx = (await open('onnx')).embedder;
const samples = { use: [] as number[], onnxEn: [] as number[], onnxZh: [] as number[] };
const time = async (embedder: Embedder, text: string) => {
  const started = performance.now();
  await embedder.embed([text]);
  return performance.now() - started;
};
for (let i = 0; i < 20; i++) {
  await time(use, english[i] as string);
  await time(onnx, english[i] as string);
  await time(onnx, chinese[i] as string);
}
for (let i = 0; i < count; i++) {
  samples.use.push(await time(use, english[i] as string));
  samples.onnxEn.push(await time(onnx, english[i] as string));
  samples.onnxZh.push(await time(onnx, chinese[i] as string));
}
const row = (name: string, s: number[], rss: string, load: string) => {
  const x = summarize(s);
  return `| ${name} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(x.mean)} | ${load} | ${rss} |`;
};
console.log(
  `node ${process.version}; ${count} questions each, one text per call, embedders alternating; memory: a child process per embedder (a bare \`node\` process: ${baseline.toFixed(0)} MiB)\n`,
);
console.log('| embedder | p50 | p99 | mean | load | RSS after load + calls |');
console.log('|---|---|---|---|---|---|');
console.log(
  row(
    'embedder-use (USE lite), qqp-dev `a`',
    samples.use,
    `${memory.use?.rssMiB.toFixed(0)} MiB`,
    `${memory.use?.loadMs.toFixed(0)} ms`,
  ),
);
console.log(
  row(
    'embedder-onnx (MiniLM), qqp-dev `a`',
    samples.onnxEn,
    `${memory.onnx?.rssMiB.toFixed(0)} MiB (both models)`,
    `${memory.onnx?.loadMs.toFixed(0)} ms (both)`,
  ),
);
console.log(
  row('embedder-onnx (bge-small-zh + lexical), lcqmc `a`', samples.onnxZh, '(same process)', ''),
);
await onnx.close?.();
