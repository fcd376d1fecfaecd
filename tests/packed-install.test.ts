// The packages as a user gets them: every package is packed with `pnpm pack`, the tarballs are
// installed into a scratch project outside the workspace, and that project `require()`s and
// `import`s each entry point on Node 20 and on this Node, type-checks a CommonJS and an ES module
// file against them (`module: nodenext`), runs the bins, checks that the source maps point to
// shipped files, and runs the README's Quick start against the mock server.
//
// No network: the install is `pnpm install --offline` with a store of its own, the tarballs are
// local files, and their third-party dependencies are linked (pnpm `overrides` to `link:`) to the
// copies this workspace's `pnpm install` put in place, so they are the versions pnpm-lock.yaml pins.
// Needs `pnpm build` first (CI runs it before `pnpm test`).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(repo, 'packages');
const node20 = '/usr/bin/node';
const slow = 180_000;

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const packages = readdirSync(packagesDir)
  .filter((name) => existsSync(join(packagesDir, name, 'package.json')))
  .sort()
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as Manifest,
  }));
/** Every entry point: `@semcache/core`, `@semcache/core/internal`, … */
const entries = packages.flatMap(({ manifest }) =>
  Object.keys(manifest.exports)
    .filter((path) => path !== './package.json')
    .map((path) => (path === '.' ? manifest.name : `${manifest.name}${path.slice(1)}`)),
);

function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: slow, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

async function mustRun(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The README's first ```ts block after `heading`. */
function snippetAfter(markdown: string, heading: string): string {
  const from = markdown.indexOf(heading);
  const match = /```ts\n([\s\S]*?)```/.exec(markdown.slice(from));
  if (from < 0 || !match?.[1]) throw new Error(`no ts snippet after ${heading}`);
  return match[1];
}

let work = '';
let app = '';

beforeAll(async () => {
  // Every source file has both builds (existence only: `tsc -b` leaves an output alone when its
  // source's content did not change, so modification times prove nothing).
  for (const { dir } of packages) {
    const root = join(packagesDir, dir);
    for (const file of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /\.test(\.helper)?\.ts$/.test(file)) continue;
      for (const out of ['dist', join('dist', 'cjs')]) {
        if (out !== 'dist' && file === 'cli.ts') continue; // the bins are ES modules only
        if (!existsSync(join(root, out, file.replace(/\.ts$/, '.js')))) {
          throw new Error(`packages/${dir}/${out} lacks ${file}: run \`pnpm build\` first`);
        }
      }
    }
  }
  work = await mkdtemp(join(tmpdir(), 'semcache-packed-'));
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  await mkdir(tarballs);
  await mkdir(app);
  await Promise.all(
    packages.map(({ dir }) =>
      mustRun('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(packagesDir, dir) }),
    ),
  );
  // Every package from its tarball; every third-party package from this workspace's install.
  const specs: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const { dir, manifest } of packages) {
    const tarball = join(
      tarballs,
      `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`,
    );
    expect(existsSync(tarball), tarball).toBe(true);
    specs[manifest.name] = `file:${tarball}`;
    overrides[manifest.name] = `file:${tarball}`;
    for (const dependency of Object.keys({
      ...manifest.dependencies,
      ...manifest.peerDependencies,
    })) {
      if (dependency.startsWith('@semcache/')) continue;
      overrides[dependency] =
        `link:${realpathSync(join(packagesDir, dir, 'node_modules', dependency))}`;
    }
  }
  overrides['@langchain/openai'] =
    `link:${realpathSync(join(packagesDir, 'langchain', 'node_modules', '@langchain', 'openai'))}`;
  overrides['@types/node'] = `link:${realpathSync(join(repo, 'node_modules', '@types', 'node'))}`;
  overrides['@types/json-schema'] =
    `link:${realpathSync(join(packagesDir, 'ai-sdk', 'node_modules', '@types', 'json-schema'))}`;
  const alsoInstalled = ['ai', 'ioredis', '@langchain/core', '@langchain/openai'];
  for (const name of [...alsoInstalled, '@types/node', '@types/json-schema']) {
    specs[name] = overrides[name] ?? '';
  }
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'scratch-app', private: true, type: 'commonjs', dependencies: specs }),
  );
  await writeFile(
    join(app, 'pnpm-workspace.yaml'),
    `overrides:\n${Object.entries(overrides)
      .map(([name, spec]) => `  ${JSON.stringify(name)}: ${JSON.stringify(spec)}`)
      .join('\n')}\n`,
  );
  await mustRun(
    'pnpm',
    [
      'install',
      '--offline',
      '--no-frozen-lockfile',
      '--store-dir',
      join(work, 'store'),
      '--reporter=append-only',
    ],
    { cwd: app },
  );
  await writeFile(
    join(app, 'load.cjs'),
    `const out = {};
for (const entry of JSON.parse(process.argv[2])) {
  out[entry] = { file: require.resolve(entry), names: Object.keys(require(entry)).sort() };
}
console.log(JSON.stringify(out));
`,
  );
  await writeFile(
    join(app, 'load.mjs'),
    `import { fileURLToPath } from 'node:url';
const out = {};
for (const entry of JSON.parse(process.argv[2])) {
  const names = Object.keys(await import(entry)).filter((name) => name !== 'default' && name !== 'module.exports');
  out[entry] = { file: fileURLToPath(import.meta.resolve(entry)), names: names.sort() };
}
console.log(JSON.stringify(out));
`,
  );
}, slow);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Loaded = Record<string, { file: string; names: string[] }>;

async function load(node: string, script: 'load.cjs' | 'load.mjs'): Promise<Loaded> {
  return JSON.parse(await mustRun(node, [script, JSON.stringify(entries)], { cwd: app })) as Loaded;
}

describe.each([
  { label: `Node ${process.versions.node} (this one)`, node: process.execPath },
  { label: 'Node 20 (/usr/bin/node)', node: node20 },
])('$label', ({ node }) => {
  test(
    'require() loads the CommonJS build and import the ES modules, with the same exports',
    async () => {
      if (node === node20) {
        const version = (await mustRun(node20, ['--version'], { cwd: repo })).trim();
        expect(version, `${node20} is meant to be Node 20`).toMatch(/^v20\./);
      }
      const [required, imported] = await Promise.all([
        load(node, 'load.cjs'),
        load(node, 'load.mjs'),
      ]);
      for (const entry of entries) {
        const cjs = required[entry];
        const esm = imported[entry];
        expect(cjs?.file, entry).toMatch(/[/\\]dist[/\\]cjs[/\\][\w-]+\.js$/);
        expect(esm?.file, entry).toMatch(/[/\\]dist[/\\][\w-]+\.js$/);
        expect(esm?.file).not.toMatch(/[/\\]cjs[/\\]/);
        // Outside the workspace: the copy in the scratch project, not packages/.
        expect(realpathSync(cjs?.file ?? '')).not.toContain(packagesDir);
        expect(cjs?.names.length, entry).toBeGreaterThan(0);
        expect(cjs?.names, entry).toEqual(esm?.names);
      }
      expect(required['@semcache/core']?.names).toEqual(
        expect.arrayContaining(['createSemanticCache', 'MemoryStore', 'SemcacheError']),
      );
      expect(required['@semcache/ai-sdk']?.names).toEqual(
        expect.arrayContaining(['semanticCacheMiddleware', 'createHolySheep']),
      );
      expect(required['@semcache/redis']?.names).toContain('RedisStore');
      expect(required['@semcache/mock-openai']?.names).toContain('startMockOpenAI');
    },
    slow,
  );

  test(
    'the libraries work from CommonJS: a cache in memory and on Redis, the mock server, the proxy',
    async () => {
      await copyFile(join(repo, 'tests', 'scratch-app', 'works.cjs'), join(app, 'works.cjs'));
      const result = JSON.parse(await mustRun(node, ['works.cjs'], { cwd: app })) as unknown;
      expect(result).toEqual({
        memory: ['miss', 'exact', 'semantic'],
        redis: ['miss', 'exact', 'semantic'],
        proxy: ['miss', 'exact'],
        upstreamCalls: 1,
      });
    },
    slow,
  );

  test(
    'the bins run',
    async () => {
      const bins = packages.flatMap(({ manifest }) => Object.keys(manifest.bin ?? {}));
      expect(bins.sort()).toEqual(['semcache', 'semcache-proxy']);
      for (const bin of bins) {
        // The shim pnpm installed, run by this `node` (first on PATH).
        const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
        const help = await mustRun(join(app, 'node_modules', '.bin', bin), ['--help'], {
          cwd: app,
          env,
        });
        expect(help, bin).toMatch(/usage|Usage/);
      }
    },
    slow,
  );
});

test(
  'types resolve for a CommonJS and an ES module file (module: nodenext)',
  async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          lib: ['es2023', 'dom'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['types.cts', 'types.mts'],
      }),
    );
    const body = (format: string) =>
      `import { createSemanticCache, SemcacheError } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import { semanticCacheMiddleware } from '@semcache/ai-sdk';
import { SemanticCache } from '@semcache/langchain';
import { RedisStore } from '@semcache/redis';
import { startMockOpenAI } from '@semcache/mock-openai';
import { createProxy } from '@semcache/proxy';
import { onnxEmbedder } from '@semcache/embedder-onnx';
import { useLiteEmbedder } from '@semcache/embedder-use';

const cache = createSemanticCache();
// @ts-expect-error a cache is not a number (this line fails if the types resolved to any)
const wrong: number = cache;
export const used${format} = [wrong, semanticCacheMiddleware({ cache }), SemanticCache, RedisStore,
  startMockOpenAI, createProxy, onnxEmbedder, useLiteEmbedder, SemcacheError, isSemcacheError];
`;
    await writeFile(join(app, 'types.cts'), body('Cjs'));
    await writeFile(join(app, 'types.mts'), body('Esm'));
    const tsc = join(repo, 'node_modules', '.bin', 'tsc');
    const result = await run(tsc, ['-p', '.', '--explainFiles'], { cwd: app });
    expect(result.code, `${result.stdout}\n${result.stderr}`.slice(-4000)).toBe(0);
    const files = result.stdout.split('\n');
    for (const name of ['core', 'ai-sdk', 'langchain', 'redis', 'proxy']) {
      const declared = files.filter(
        (line) =>
          line.includes(`node_modules/@semcache/${name}/dist/`) && /index\.d\.ts$/.test(line),
      );
      expect(
        declared.some((line) => line.includes('/dist/cjs/index.d.ts')),
        name,
      ).toBe(true);
      expect(
        declared.some((line) => !line.includes('/cjs/')),
        name,
      ).toBe(true);
    }
  },
  slow,
);

test(
  'every source map points to files inside the package',
  async () => {
    for (const { manifest } of packages) {
      const installed = realpathSync(join(app, 'node_modules', manifest.name));
      const maps = readdirSync(join(installed, 'dist'), {
        recursive: true,
        encoding: 'utf8',
      }).filter((file) => file.endsWith('.map'));
      expect(maps.length, manifest.name).toBeGreaterThan(0);
      for (const map of maps) {
        const path = join(installed, 'dist', map);
        const { sources, sourceRoot } = JSON.parse(await readFile(path, 'utf8')) as {
          sources: string[];
          sourceRoot?: string;
        };
        for (const source of sources) {
          const target = resolve(dirname(path), sourceRoot ?? '', source);
          expect(target.startsWith(installed), `${path} → ${source}`).toBe(true);
          expect(existsSync(target), `${path} → ${source}`).toBe(true);
        }
      }
    }
  },
  slow,
);

test(
  "the README's Quick start runs as written against the mock server, with no key",
  async () => {
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    await writeFile(join(app, 'quickstart.mts'), snippetAfter(readme, '## Quick start'));
    const env = { ...process.env };
    delete env.HOLYSHEEP_API_KEY;
    const output = await mustRun(process.execPath, ['quickstart.mts'], { cwd: app, env });
    const lines = output.trim().split('\n');
    expect(lines.map((line) => line.split(' | ')[0])).toEqual([
      'miss',
      'exact',
      'semantic',
      'model calls: 1',
    ]);
    expect(lines[0]).toContain('Mock answer to "What is the capital of France?"');
  },
  slow,
);

test(
  "each README's first TypeScript snippet, and the root README's Quick start, type-checks as written",
  async () => {
    const readmes = [
      { name: 'root', file: join(repo, 'README.md'), heading: '## Quick start' },
      ...packages.map(({ dir }) => ({
        name: dir,
        file: join(packagesDir, dir, 'README.md'),
        heading: '',
      })),
    ];
    const files: string[] = [];
    for (const { name, file, heading } of readmes) {
      const markdown = await readFile(file, 'utf8');
      if (!markdown.includes('```ts\n')) continue;
      const snippet = `snippet-${name}.mts`;
      await writeFile(join(app, snippet), `${snippetAfter(markdown, heading)}\nexport {};\n`);
      files.push(snippet);
    }
    expect(files.length).toBeGreaterThanOrEqual(8);
    await writeFile(
      join(app, 'tsconfig.snippets.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          lib: ['es2023', 'dom'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
        },
        files,
      }),
    );
    const tsc = join(repo, 'node_modules', '.bin', 'tsc');
    const result = await run(tsc, ['-p', 'tsconfig.snippets.json', '--pretty', 'false'], {
      cwd: app,
    });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.code).toBe(0);
  },
  slow,
);
