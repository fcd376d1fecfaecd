// `pnpm bench [--quick] [--data <folder>] [--sections 1,2,...] [--write-docs | --no-docs | --update-docs]`
// `--update-docs` with `--sections`: replaces only those sections (and their targets) in docs/benchmarks.md.
// `node bench/src/run.ts --render <results.json> [--update-docs]`: rewrites the docs from a saved run
// (with --update-docs: only that run's sections).
//
// Runs every benchmark section, each in its own Node process (with --expose-gc and a large heap),
// prints markdown tables, writes bench/results/latest.json and — for a run of every section, or
// with --write-docs — docs/benchmarks.md and docs/semantic-lookup.svg.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedisServer } from '@semcache/redis/testing';
import {
  type BenchRun,
  benchmarksMarkdown,
  semanticLookupSvg,
  updateBenchmarksMarkdown,
} from './lib/docs.ts';
import { describeMachine } from './lib/machine.ts';
import type { SectionOptions, SectionResult } from './lib/section.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sections = [
  { id: 'exact-hit', title: '1. Exact-hit overhead' },
  { id: 'semantic-lookup', title: '2. Semantic lookup latency against entries in one partition' },
  { id: 'throughput', title: '3. Throughput of exact hits' },
  { id: 'single-flight', title: '4. Single-flight' },
  { id: 'memory', title: '5. Memory per entry' },
  { id: 'quality', title: '6. Quality on the shared pair sets' },
  { id: 'fresh-process', title: '7. Fresh processes' },
  { id: 'burst', title: '8. Burst' },
  { id: 'proxy', title: '9. Proxy overhead' },
  { id: 'vector-sets', title: '10. Redis 8 vector sets' },
  { id: 'verified', title: '11. Verified caching' },
] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    data: { type: 'string' },
    sections: { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    'update-docs': { type: 'boolean', default: false },
    render: { type: 'string' },
  },
});

function writeDocs(run: BenchRun): void {
  writeFileSync(join(root, 'docs/benchmarks.md'), benchmarksMarkdown(run).document);
  const svg = semanticLookupSvg(run.sections.find((result) => result.id === 'semantic-lookup'));
  if (svg) writeFileSync(join(root, 'docs/semantic-lookup.svg'), svg);
}

if (values.render && values['update-docs']) {
  const file = join(root, 'docs/benchmarks.md');
  const saved = JSON.parse(readFileSync(values.render, 'utf8')) as BenchRun;
  writeFileSync(file, updateBenchmarksMarkdown(readFileSync(file, 'utf8'), saved));
  process.stderr.write(`updated docs/benchmarks.md with the sections of ${values.render}\n`);
  process.exit(0);
}
if (values.render) {
  writeDocs(JSON.parse(readFileSync(values.render, 'utf8')) as BenchRun);
  process.stderr.write(
    `wrote docs/benchmarks.md and docs/semantic-lookup.svg from ${values.render}\n`,
  );
  process.exit(0);
}
const selected = values.sections
  ? values.sections.split(',').map((wanted) => {
      const found = sections.find(
        (section) => section.id === wanted.trim() || section.title.startsWith(`${wanted.trim()}.`),
      );
      if (!found) {
        throw new Error(
          `Unknown section "${wanted}"; use ${sections.map((s) => s.title.split('.')[0]).join(', ')} or ${sections.map((s) => s.id).join(', ')}.`,
        );
      }
      return found;
    })
  : [...sections];
const everySection = selected.length === sections.length;
const shouldWriteDocs = !values['no-docs'] && (values['write-docs'] || everySection);
const options: SectionOptions = {
  quick: values.quick,
  dataDir: resolve(values.data ?? join(root, '../shared/data')),
};
const command = `pnpm bench${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

async function redisVersion(): Promise<string> {
  const server = await startRedisServer();
  try {
    const client = server.client();
    const info = await client.info('server');
    return `${/redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'}${server.owned ? ' (private server on loopback, no persistence)' : ' (REDIS_URL)'}`;
  } finally {
    await server.stop();
  }
}

/** Runs one section in a child process; its progress goes to our stderr. */
async function runSection(id: string, title: string): Promise<SectionResult> {
  const folder = mkdtempSync(join(os.tmpdir(), 'semcache-bench-'));
  const outFile = join(folder, 'result.json');
  const heapMiB = Math.min(16_384, Math.floor((os.totalmem() / 1024 ** 2) * 0.6));
  const started = performance.now();
  const exitCode = await new Promise<number | null>((done) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        `--max-old-space-size=${heapMiB}`,
        fileURLToPath(new URL('./section-child.ts', import.meta.url)),
        id,
        JSON.stringify(options),
        outFile,
      ],
      { stdio: ['ignore', process.stderr, process.stderr] },
    );
    child.once('exit', (code) => done(code));
  });
  try {
    return JSON.parse(readFileSync(outFile, 'utf8')) as SectionResult;
  } catch {
    return {
      id,
      title,
      markdown: `**This section failed** (exit code ${String(exitCode)}); its output is above in the run's log.`,
      targets: [
        {
          section: title.split('.')[0] ?? '?',
          name: `${title} ran`,
          goal: 'completes',
          measured: 'failed',
          met: false,
        },
      ],
      results: { failed: true, exitCode },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const startedAt = new Date();
const started = performance.now();
const machine = describeMachine(root, await redisVersion());
process.stderr.write(
  `semcache bench${options.quick ? ' --quick' : ''}: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, redis ${machine.redis}\n`,
);
const results: SectionResult[] = [];
for (const section of selected) {
  process.stderr.write(`\n▶ ${section.title}\n`);
  const result = await runSection(section.id, section.title);
  results.push(result);
  process.stdout.write(
    `\n## ${result.title}\n\n${result.markdown}\n\n_(${(result.seconds ?? 0).toFixed(0)} s)_\n`,
  );
}
const durationSeconds = (performance.now() - started) / 1000;

const run: BenchRun = {
  command,
  quick: options.quick,
  dataDir: relative(root, options.dataDir) || '.',
  startedAt: startedAt.toISOString(),
  durationSeconds,
  machine,
  sections: results,
};
const summary = benchmarksMarkdown(run);
process.stdout.write(`\n${summary.targets}\n`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(run, null, 2)}\n`);
process.stderr.write(`\nwrote bench/results/latest.json`);
if (values['update-docs'] && !everySection) {
  const file = join(root, 'docs/benchmarks.md');
  writeFileSync(file, updateBenchmarksMarkdown(readFileSync(file, 'utf8'), run));
  process.stderr.write(', docs/benchmarks.md (these sections only)');
} else if (shouldWriteDocs) {
  writeDocs(run);
  process.stderr.write(', docs/benchmarks.md and docs/semantic-lookup.svg');
}
process.stderr.write(` (${(durationSeconds / 60).toFixed(1)} min)\n`);
