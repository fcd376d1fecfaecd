import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import packages by their workspace names; this condition resolves them to source so a
// test run never depends on a stale build.
const sourceCondition = '@semcache/source';
const packages = [
  'core',
  'mock-openai',
  'ai-sdk',
  'langchain',
  'redis',
  'embedder-use',
  'embedder-onnx',
  'proxy',
];

export default defineConfig({
  resolve: { conditions: [sourceCondition] },
  ssr: { resolve: { conditions: [sourceCondition] } },
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true,
        test: {
          name,
          root: `packages/${name}`,
          include: ['src/**/*.test.ts'],
          setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
        },
      })),
      {
        extends: true,
        test: {
          // The packed tarballs installed outside the workspace and the README snippets: these
          // use the build (run `pnpm build` first), not the sources.
          name: 'packaging',
          root: 'tests',
          include: ['*.test.ts'],
        },
      },
    ],
  },
});
