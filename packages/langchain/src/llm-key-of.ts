import type { Runnable } from '@langchain/core/runnables';

/** The members of `BaseChatModel` that LangChain itself uses to key a cache call. */
interface KeyableModel {
  _getSerializedCacheKeyParametersForCall(options: Record<string, unknown>): string;
  _separateRunnableConfigFromCallOptionsCompat?(
    options: Record<string, unknown>,
  ): [unknown, Record<string, unknown>];
  /** ChatOpenAI and its relatives merge options bound with `bindTools`/`withConfig` here. */
  _combineCallOptions?(options: Record<string, unknown>): Record<string, unknown>;
}

interface Binding {
  bound: Runnable;
  kwargs?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/**
 * Computes the `llmKey` LangChain would hand to a `BaseCache` for a call of `runnable` with
 * `options`, so the streaming wrapper keys calls exactly like `SemanticCache` does and both share
 * entries. Unwraps `RunnableBinding`s (`bindTools`, `withConfig`) and merges their options.
 * Returns `undefined` when `runnable` is not a chat model (or a binding of one).
 */
export function llmKeyOf(
  runnable: Runnable,
  options: Record<string, unknown> = {},
): string | undefined {
  let target: unknown = runnable;
  let merged: Record<string, unknown> = { ...options };
  while (isBinding(target)) {
    merged = { ...target.kwargs, ...target.config, ...merged };
    target = target.bound;
  }
  if (!isKeyable(target)) return undefined;
  if (typeof target._combineCallOptions === 'function') merged = target._combineCallOptions(merged);
  const callOptions =
    typeof target._separateRunnableConfigFromCallOptionsCompat === 'function'
      ? target._separateRunnableConfigFromCallOptionsCompat(merged)[1]
      : merged;
  return target._getSerializedCacheKeyParametersForCall(callOptions);
}

/** True when {@link llmKeyOf} can key calls of `runnable`. */
export function isKeyableModel(runnable: Runnable): boolean {
  let target: unknown = runnable;
  while (isBinding(target)) target = target.bound;
  return isKeyable(target);
}

function isBinding(value: unknown): value is Binding {
  return (
    typeof value === 'object' &&
    value !== null &&
    'bound' in value &&
    typeof (value as { bound?: { invoke?: unknown } }).bound?.invoke === 'function'
  );
}

function isKeyable(value: unknown): value is KeyableModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<KeyableModel>)._getSerializedCacheKeyParametersForCall === 'function'
  );
}
