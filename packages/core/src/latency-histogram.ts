/** Percentiles of recorded latencies, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const bucketsPerDoubling = 8;
const minMs = 0.001;
const bucketCount = bucketsPerDoubling * 30;

/**
 * Fixed-memory latency histogram: logarithmic buckets from 1 µs to ~18 minutes with ~9 %
 * relative error, so recording is O(1) and memory never grows with traffic.
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(bucketCount);
  #count = 0;
  #max = 0;

  /** Records one latency in milliseconds; negative and non-finite values are ignored. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const bucket =
      ms <= minMs
        ? 0
        : Math.min(bucketCount - 1, Math.ceil(Math.log2(ms / minMs) * bucketsPerDoubling));
    this.#counts[bucket] = (this.#counts[bucket] as number) + 1;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** Upper bounds of the buckets holding the 50th, 90th and 99th percentiles. */
  summary(): LatencySummary {
    return {
      count: this.#count,
      p50: this.#percentile(0.5),
      p90: this.#percentile(0.9),
      p99: this.#percentile(0.99),
      max: this.#max,
    };
  }

  /** Forgets every recorded value. */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
  }

  #percentile(quantile: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(quantile * this.#count);
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.#counts[bucket] as number;
      if (seen >= rank) return Math.min(this.#max, minMs * 2 ** (bucket / bucketsPerDoubling));
    }
    return this.#max;
  }
}
