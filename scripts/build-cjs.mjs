#!/usr/bin/env node
// The CommonJS half of `pnpm build`: `tsc -b` has written each package's ES modules, declarations
// and source maps to dist/; this compiles the same sources once more as CommonJS into dist/cjs/
// (type-checked already by `tsc -b`, so `noCheck`), marks that folder `"type": "commonjs"` so
// Node and TypeScript read its .js and .d.ts files as CommonJS, and points `import.meta.url` at the
// ES module twin's location (dist/<file>.js), so paths relative to it (the proxy's page) resolve
// the same in both formats. Package entry points that only make sense as ES modules (the CLIs,
// which use top-level await) are left out by each package's tsconfig.cjs.json.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const packagesDir = join(root, 'packages');

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name);
  const config = join(dir, 'tsconfig.cjs.json');
  if (!existsSync(config)) continue;
  const out = join(dir, 'dist', 'cjs');
  rmSync(out, { recursive: true, force: true });
  execFileSync(tsc, ['-p', config], { stdio: 'inherit', cwd: dir });
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  for (const file of filesUnder(out).filter((path) => path.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('import.meta.url')) continue;
    const twin = relative(dirname(file), join(dir, 'dist', relative(out, file)));
    const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(twin)})).href`;
    writeFileSync(file, text.replaceAll('import.meta.url', url));
  }
  if (
    filesUnder(out).some(
      (path) => path.endsWith('.js') && readFileSync(path, 'utf8').includes('import.meta'),
    )
  ) {
    throw new Error(`${name}: dist/cjs still uses import.meta`);
  }
}
