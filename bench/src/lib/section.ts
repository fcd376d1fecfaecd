/** One target of the issue, marked met or not met from the numbers measured in this run. */
export interface Target {
  section: string;
  /** What is compared, e.g. "RedisStore hit through the middleware vs raw GET (p50)". */
  name: string;
  /** The goal, e.g. "≤ 1.5×". */
  goal: string;
  /** The measured figure, e.g. "1.31×". */
  measured: string;
  /** `undefined` when the target could not be evaluated in this run (e.g. 1M entries in --quick). */
  met: boolean | undefined;
}

/** What every section returns to the runner. */
export interface SectionResult {
  id: string;
  title: string;
  /** Markdown body: tables and short notes (no heading; the runner adds it). */
  markdown: string;
  targets: Target[];
  /** Raw figures for bench/results/latest.json. */
  results: unknown;
  /** Wall time of the section, filled in by the section runner. */
  seconds?: number;
}

/** Options every section receives. */
export interface SectionOptions {
  quick: boolean;
  dataDir: string;
}

/** Formats a target verdict. */
export function verdict(met: boolean | undefined): string {
  if (met === undefined) return 'not measured';
  return met ? 'met' : '**NOT met**';
}
