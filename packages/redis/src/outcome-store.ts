import { createHash } from 'node:crypto';
import type { OutcomeBin } from '@semcache/core';
import type { CommandGate } from './command-gate.js';
import { luaScript, type RedisClient, runScript } from './redis-client.js';

/**
 * Verified-caching outcomes: one small hash per entry (or per embedder pool) next to the entry,
 * fields `c<bin>` / `w<bin>` counting right and wrong checks by similarity bin. It shares the
 * entry's hash tag (one slot in a Cluster) and lives as long as the entry; a namespace clear moves
 * to a new generation, so old outcomes go with their entries.
 */
const recordScript = luaScript(`
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`);

/** The hash tag of an outcomes key: the entry key itself, or a digest for other names (pools). */
export function outcomesTag(key: string): string {
  return /^[0-9a-f]{16,128}$/.test(key)
    ? key
    : `p${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Adds one outcome (see `recordScript`). */
export function recordOutcome(
  client: RedisClient,
  gate: CommandGate,
  redisKey: string,
  outcome: { similarity: number; correct: boolean },
  ttlMs: number,
): Promise<unknown> {
  const bin = Math.max(0, Math.min(100, Math.floor(outcome.similarity * 100 + 1e-9)));
  return gate.run('outcome', () =>
    runScript(
      client,
      recordScript,
      [redisKey],
      [`${outcome.correct ? 'c' : 'w'}${bin}`, Math.max(1, Math.ceil(ttlMs))],
    ),
  );
}

/** The outcomes of several keys (one `HGETALL` each, sent together). */
export async function readOutcomes(
  client: RedisClient,
  gate: CommandGate,
  redisKeys: readonly string[],
): Promise<(OutcomeBin[] | undefined)[]> {
  const hashes = await gate.run('outcomes', () =>
    Promise.all(redisKeys.map((key) => client.hgetall(key))),
  );
  return hashes.map((hash) => {
    const bins = new Map<number, OutcomeBin>();
    for (const [field, count] of Object.entries(hash)) {
      const bin = Number(field.slice(1));
      if (!Number.isInteger(bin) || (field[0] !== 'c' && field[0] !== 'w')) continue;
      const held = bins.get(bin) ?? { bin, correct: 0, wrong: 0 };
      if (field[0] === 'c') held.correct += Number(count) || 0;
      else held.wrong += Number(count) || 0;
      bins.set(bin, held);
    }
    return bins.size > 0 ? [...bins.values()] : undefined;
  });
}
