// The design semcache replaces, ported as the benchmark's baseline: a Redis "semantic" cache that
// looks a prompt up by its exact key, and on a miss lists every entry with `KEYS prefix*`, GETs
// them one by one and serves the first whose word set has a Jaccard similarity ≥ 0.85 with the
// prompt (words = whitespace-separated, lower-cased). No index, no partitions, no guards.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What the baseline stores under each key. */
interface BaselineEntry {
  prompt: string;
  answer: string;
}

/** Result of {@link KeysJaccardCache.lookup}. */
export type BaselineLookup =
  | { kind: 'exact' | 'similar'; answer: string; prompt: string; similarity: number }
  | { kind: 'miss'; scanned: number };

/** Word-set Jaccard similarity: words split on whitespace, lower-cased. */
export function wordJaccard(a: string, b: string): number {
  const left = new Set(a.toLowerCase().split(/\s+/).filter(Boolean));
  const right = new Set(b.toLowerCase().split(/\s+/).filter(Boolean));
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared++;
  return shared / (left.size + right.size - shared);
}

/** The baseline cache: exact GET, then KEYS + GET each + word-set Jaccard ≥ threshold, first match. */
export class KeysJaccardCache {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #threshold: number;

  constructor(redis: Redis, options: { prefix?: string; threshold?: number } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'llmcache:';
    this.#threshold = options.threshold ?? 0.85;
  }

  /** The exact key of a prompt. */
  key(prompt: string): string {
    return `${this.#prefix}${createHash('sha256').update(prompt).digest('hex')}`;
  }

  /** Stores an answer (one SET). */
  async update(prompt: string, answer: string): Promise<void> {
    await this.#redis.set(this.key(prompt), JSON.stringify({ prompt, answer }));
  }

  /** Exact GET; on a miss, KEYS and a GET of each entry until one is similar enough. */
  async lookup(prompt: string): Promise<BaselineLookup> {
    const exact = await this.#redis.get(this.key(prompt));
    if (exact !== null) {
      const entry = JSON.parse(exact) as BaselineEntry;
      return { kind: 'exact', answer: entry.answer, prompt: entry.prompt, similarity: 1 };
    }
    const keys = await this.#redis.keys(`${this.#prefix}*`);
    let scanned = 0;
    for (const key of keys) {
      const value = await this.#redis.get(key);
      scanned++;
      if (value === null) continue;
      const entry = JSON.parse(value) as BaselineEntry;
      const similarity = wordJaccard(prompt, entry.prompt);
      if (similarity >= this.#threshold) {
        return { kind: 'similar', answer: entry.answer, prompt: entry.prompt, similarity };
      }
    }
    return { kind: 'miss', scanned };
  }
}
