import type { EntryUsage } from './codec.js';

/** US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/**
 * Default prices (USD per million tokens) used to estimate what a hit saved: the OpenAI list
 * prices of these models (HolySheep lists gpt-4.1 output at the same $8/M). They are estimates for
 * reporting only; pass your own table with the `prices` option.
 */
export const defaultPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
};

/**
 * Estimated cost in USD of the call that produced an entry, from its token usage and the price
 * of its model; `undefined` when the model has no price or the usage is unknown. A model id is
 * matched exactly first, then by its last path segment (`openai/gpt-4.1` → `gpt-4.1`).
 */
export function estimateCostUsd(
  prices: Readonly<Record<string, ModelPrice>>,
  modelId: string,
  usage: EntryUsage | undefined,
): number | undefined {
  const price = prices[modelId] ?? prices[modelId.split('/').pop() ?? modelId];
  if (!price || !usage || (usage.inputTokens === undefined && usage.outputTokens === undefined)) {
    return undefined;
  }
  return (
    ((usage.inputTokens ?? 0) * price.inputPerMillion +
      (usage.outputTokens ?? 0) * price.outputPerMillion) /
    1_000_000
  );
}
