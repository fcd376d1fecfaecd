// One cache lookup in a new `node` process (bench/src/sections/fresh-process-worker.ts), as a
// serverless cold start makes it; shared by the fresh-process and vector-set sections.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CacheRequest } from '@semcache/core';
import type { RedisStoreOptions } from '@semcache/redis';

/** The store options a fresh-process worker takes (the rest are the README's defaults). */
export type FreshStoreOptions = Pick<
  RedisStoreOptions,
  'replica' | 'semanticIndex' | 'maxPartitionEntries'
>;

/** What a fresh-process worker prints about its one lookup. */
export interface FreshLookup {
  kind: string;
  reason?: string;
  /** The hit's value (`null` on a miss). */
  value: unknown;
  lookupMs: number;
  sinceStartMs: number;
  rssGrowth: number;
  replicaEntries: number;
  errors: string[];
}

/** Entry text in partition `partition` of `partitions` (a system prompt per partition). */
export function partitionedRequest(
  text: string,
  partition: number,
  partitions: number,
): CacheRequest {
  return {
    model: { provider: 'bench', id: 'gpt-4.1' },
    messages: [
      ...(partitions > 1
        ? [
            {
              role: 'system' as const,
              content: [{ type: 'text' as const, text: `Support bot of shop ${partition}.` }],
            },
          ]
        : []),
      { role: 'user', content: [{ type: 'text', text }] },
    ],
  };
}

/** Runs one lookup of `request` in a new process on the Redis at `url`, under `prefix`. */
export function freshLookup(
  url: string,
  prefix: string,
  request: CacheRequest,
  store: FreshStoreOptions = {},
): Promise<FreshLookup> {
  const script = fileURLToPath(new URL('../sections/fresh-process-worker.ts', import.meta.url));
  const args = [script, url, prefix, JSON.stringify(request), JSON.stringify(store)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as FreshLookup);
      } catch {
        reject(new Error(`fresh-process worker exited ${String(code)}: ${out}`));
      }
    });
  });
}
