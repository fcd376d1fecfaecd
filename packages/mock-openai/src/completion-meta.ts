/** Identity fields shared by a completion and all of its stream chunks. */
export interface CompletionMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

/** Fingerprint OpenAI puts on completions; constant for the mock. */
export const systemFingerprint = 'fp_semcache_mock';
