import type { CacheRequest } from './cache-request.js';
import type { EntryUsage } from './codec.js';
import type { JsonValue } from './json.js';

/** What a model call produced, as the cache sees it. */
export interface ComputedResponse<V extends JsonValue = JsonValue> {
  /** The response to store and return; JSON data only. */
  value: V;
  /** Model that answered; default: the request's model id. */
  modelId?: string;
  usage?: EntryUsage;
  /**
   * Why generation ended, in the AI SDK's unified vocabulary (`stop`, `length`, `tool-calls`,
   * `content-filter`, `error`, `other`). `undefined` means the caller did not say and counts as a
   * normal finish.
   */
  finishReason?: string;
  /** True when the call was aborted or cut; never stored. */
  aborted?: boolean;
  /**
   * `false` when the adapter knows the answer must not be stored, e.g. JSON output that does not
   * parse. Default: decided by the finish reason.
   */
  storable?: boolean;
}

/** Finish reasons stored by default: complete answers only, never truncated or filtered ones. */
export const defaultStorableFinishReasons: readonly string[] = ['stop', 'tool-calls'];

/** The default `shouldStore`: not aborted, and a storable (or unreported) finish reason. */
export function isStorableResponse(
  response: ComputedResponse,
  storableFinishReasons: readonly string[] = defaultStorableFinishReasons,
): boolean {
  if (response.aborted || response.storable === false) return false;
  return (
    response.finishReason === undefined || storableFinishReasons.includes(response.finishReason)
  );
}

/**
 * Whether a request's answer is deterministic enough to reuse: temperature 0 or unset, or a seed
 * set. Sampling at temperature > 0 without a seed is cached only when the user opts in.
 */
export function isDeterministicRequest(request: CacheRequest): boolean {
  const temperature = request.params?.temperature;
  return temperature === undefined || temperature === 0 || request.params?.seed !== undefined;
}
