// Section 11: verified caching. A replay on each labelled pair set in which the model's answer to
// `b` is `a`'s answer exactly when the pair's label is 1 (another answer otherwise), with traffic
// that revisits: every `b` asked several times, interleaved. For δ in {1, 2, 5} %: served false-hit
// rate, recall (label-1 requests served the right answer from cache) and checks per 100 requests,
// next to the fixed-threshold default on the same traffic.
import {
  createSemanticCache,
  type JsonValue,
  MemoryStore,
  type SemanticCache,
} from '@semcache/core';
import { percent, table } from '../lib/format.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { type Pair, pairSets, readPairs } from '../pair-data.ts';
import { replayPlan } from '../quality-replay.ts';
import { seededRandom } from '../synthetic-text.ts';

interface Row {
  set: string;
  policy: string;
  delta: number | undefined;
  requests: number;
  served: number;
  wrong: number;
  falseHitRate: number;
  recall: number;
  checksPer100: number;
  estimatedFalseHitRate: number | undefined;
}

const deltas = [0.01, 0.02, 0.05];
const repeats = 3;

function request(text: string) {
  return {
    model: { provider: 'bench', id: 'gpt-4.1' },
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
  };
}

async function replaySet(name: string, pairs: Pair[], delta: number | undefined): Promise<Row> {
  const { entries, entryIndex, asked } = replayPlan(pairs);
  const store = new MemoryStore({
    maxEntries: entries.length + 1000,
    maxBytes: 2 ** 40,
    sweepIntervalMs: 0,
  });
  const writer = createSemanticCache({ store });
  for (const [i, text] of entries.entries()) {
    await writer.store(request(text), {
      value: { text: `Answer number ${i} of entry ${i}.` },
      finishReason: 'stop',
    });
  }
  const reader: SemanticCache = createSemanticCache({
    store,
    // The questions are never stored: every one is a semantic decision on the stored `a`s.
    shouldStore: () => false,
    ...(delta === undefined ? {} : { verify: { maxFalseHitRate: delta } }),
  });
  const random = seededRandom(41);
  const traffic = asked.flatMap(({ pair, i }) =>
    Array.from({ length: repeats }, () => ({ pair, i })),
  );
  for (let k = traffic.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [traffic[k], traffic[j]] = [
      traffic[j] as (typeof traffic)[number],
      traffic[k] as (typeof traffic)[number],
    ];
  }
  let served = 0;
  let wrong = 0;
  let positives = 0;
  let recalled = 0;
  for (const [n, { pair, i }] of traffic.entries()) {
    const own = entryIndex.get(pair.a) as number;
    const truth: JsonValue =
      pair.label === 1
        ? { text: `Answer number ${own} of entry ${own}.` }
        : { text: `A different answer, number ${i + 100_000}.` };
    const result = await reader.getOrCompute(request(pair.b), async () => ({
      value: truth,
      finishReason: 'stop',
    }));
    if (pair.label === 1) positives++;
    if (result.kind === 'semantic') {
      served++;
      const right = JSON.stringify(result.value) === JSON.stringify(truth);
      if (!right) wrong++;
      else if (pair.label === 1) recalled++;
    }
    // Requests arrive over time; checks are judged in the background meanwhile.
    if (n % 64 === 0) {
      await reader.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await reader.flush();
  const stats = reader.stats();
  return {
    set: name,
    policy: delta === undefined ? 'fixed default threshold' : `verified, δ = ${percent(delta)}`,
    delta,
    requests: traffic.length,
    served,
    wrong,
    falseHitRate: served === 0 ? 0 : wrong / served,
    recall: recalled / Math.max(1, positives),
    checksPer100: (stats.verifications / traffic.length) * 100,
    estimatedFalseHitRate: stats.estimatedFalseHitRate,
  };
}

export async function verified(options: SectionOptions): Promise<SectionResult> {
  const rows: Row[] = [];
  for (const name of pairSets) {
    const all = readPairs(options.dataDir, name);
    const pairs = options.quick ? all.slice(0, 1500) : all;
    for (const delta of [undefined, ...deltas]) {
      process.stderr.write(
        `  verified: ${name}, ${delta === undefined ? 'fixed' : `δ ${delta}`}…\n`,
      );
      rows.push(await replaySet(name, pairs, delta));
    }
  }
  const targets: Target[] = [];
  for (const delta of deltas) {
    const worst = rows
      .filter((row) => row.delta === delta)
      .sort((a, b) => b.falseHitRate - a.falseHitRate)[0];
    targets.push({
      section: '11',
      name: `served false-hit rate at δ = ${percent(delta)}, every set`,
      goal: `≤ ${percent(delta)}`,
      measured: worst ? `${percent(worst.falseHitRate)} (worst: ${worst.set})` : 'not run',
      met: worst ? worst.falseHitRate <= delta : undefined,
    });
  }
  const comparisons = pairSets.map((set) => ({
    set,
    fixed: rows.find((row) => row.set === set && row.delta === undefined),
    at2: rows.find((row) => row.set === set && row.delta === 0.02),
  }));
  const notWorse = comparisons.every((c) => (c.at2?.recall ?? 0) >= (c.fixed?.recall ?? 0));
  const higher = comparisons.filter((c) => (c.at2?.recall ?? 0) > (c.fixed?.recall ?? 0)).length;
  targets.push({
    section: '11',
    name: 'recall at δ = 2 % vs the fixed default, same embedder: at least as high on every set, higher on most',
    goal: `≥ on ${pairSets.length}/${pairSets.length}, > on ≥ ${Math.ceil(pairSets.length / 2) + 1}`,
    measured: comparisons
      .map((c) => `${c.set} ${percent(c.at2?.recall ?? 0)} vs ${percent(c.fixed?.recall ?? 0)}`)
      .join('; '),
    met: notWorse && higher >= Math.ceil(pairSets.length / 2) + 1,
  });
  const markdown = [
    table(
      [
        'set',
        'policy',
        'requests',
        'served',
        'served false-hit rate',
        'recall',
        'checks / 100 requests',
        'live estimate',
      ],
      rows.map((row) => [
        row.set,
        row.policy,
        row.requests.toLocaleString('en-US'),
        row.served.toLocaleString('en-US'),
        percent(row.falseHitRate),
        percent(row.recall),
        row.checksPer100.toFixed(1),
        row.estimatedFalseHitRate === undefined ? '—' : percent(row.estimatedFalseHitRate),
      ]),
    ),
    '',
    `Every distinct \`a\` of a set is stored with its own answer (built-in lexical embedder, default guards, one partition); every \`b\` is asked ${repeats} times, all requests shuffled (seeded), never stored themselves. The model's answer to \`b\` is \`a\`'s answer when the pair's label is 1 and another one otherwise; a served hit is a false hit when its answer is not that. "fixed default threshold": the cache's default (0.91); "verified": \`verify: { maxFalseHitRate: δ }\` with the default judge (the embedder on the two answer texts, equal texts equal, number/negation/antonym guards) and floor 0.80. "recall": label-1 requests served the right answer from cache / label-1 requests; "checks": would-be hits verified against the model (each costs a model call a fixed threshold would have saved); "live estimate": \`stats().estimatedFalseHitRate\`.${options.quick ? ' Quick run: the first 1,500 pairs of each set.' : ''}`,
  ].join('\n');
  return { id: 'verified', title: '11. Verified caching', markdown, targets, results: { rows } };
}
