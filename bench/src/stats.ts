/** Percentiles and mean of a list of samples (milliseconds). */
export interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

/** p50/p90/p99/mean of a list of samples. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
    n: sorted.length,
  };
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/**
 * Times every variant `iterations` times, interleaved: each round runs every variant once, in an
 * order rotated by one each round, so drift (GC, CPU frequency, other load) hits all alike.
 * The first `warmup` rounds are not recorded.
 */
export async function interleaved<K extends string>(
  variants: Record<K, () => Promise<unknown>>,
  options: { iterations: number; warmup: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (let round = 0; round < options.warmup + options.iterations; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as K;
      const started = performance.now();
      await variants[name]();
      const elapsed = performance.now() - started;
      if (round >= options.warmup) samples[name].push(elapsed);
    }
  }
  return samples;
}

/** Runs `task(i)` for i in 0..n-1 with `concurrency` calls in flight. */
export async function pool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}
