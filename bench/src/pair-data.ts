import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One labelled pair: may `b` be answered with the cached answer of `a`? */
export interface Pair {
  a: string;
  b: string;
  label: 0 | 1;
  lang: 'en' | 'zh';
}

/** The pair sets the quality evaluation reads from the shared data folder. */
export const pairSets = ['qqp-dev', 'lcqmc', 'pawsx-zh', 'gptcache-mock'] as const;

/** Reads `<dataDir>/<name>.jsonl`. */
export function readPairs(dataDir: string, name: string): Pair[] {
  return readFileSync(join(dataDir, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Pair);
}
