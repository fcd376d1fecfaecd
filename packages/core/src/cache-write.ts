import type { CacheEngine, Exploration } from './cache-engine.js';
import { cacheability } from './cache-lookup.js';
import { type CacheCallOptions, checkTtl } from './cache-options.js';
import { type ComputedResponse, isStorableResponse } from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import { encodeEntry } from './codec.js';
import { describeValue, SemcacheError } from './errors.js';
import type { JsonValue } from './json.js';

/** A write handed to the store's write queue. */
export interface PendingWrite {
  /** False when policy refused the response (nothing is written). */
  accepted: boolean;
  /** True when the write waits behind others (a burst): the caller need not wait for it. */
  queued: boolean;
  /** Resolves with whether the entry was written. */
  written: Promise<boolean>;
}

const refused: PendingWrite = { accepted: false, queued: false, written: Promise.resolve(false) };

/**
 * Stores a computed response unless policy says not to: embeds the semantic text, encodes (and
 * encrypts) the entry and queues the write. Store trouble is reported, never thrown.
 *
 * @throws {SemcacheError} `INVALID_REQUEST` for a malformed request.
 */
export function writeResponse(
  engine: CacheEngine,
  request: CacheRequest,
  response: ComputedResponse,
  callOptions: CacheCallOptions = {},
): PendingWrite {
  // A malformed request throws INVALID_REQUEST here: that is the caller's bug, not the store's.
  if (cacheability(engine, request, callOptions) !== undefined) return refused;
  if (engine.explorations.size > 0) checkExploration(engine, request, response);
  if (!shouldStore(engine, response)) return refused;
  const { calls } = engine;
  const queued = calls.pendingWrites >= engine.options.writeConcurrency;
  const written = calls.track(write(engine, request, response, callOptions));
  return { accepted: true, queued, written };
}

async function write(
  engine: CacheEngine,
  request: CacheRequest,
  response: ComputedResponse,
  callOptions: CacheCallOptions,
): Promise<boolean> {
  const { options, store } = engine;
  const prepared = engine.prepare(request);
  const { keys } = prepared;
  const ttlMs = checkTtl(callOptions.ttlSeconds ?? options.ttlSeconds) * 1000;
  const semantic = (callOptions.semantic ?? options.semantic) && keys.semanticText !== undefined;
  const vector = semantic ? await engine.embed(prepared) : undefined;
  const createdAt = options.now();
  const modelId = response.modelId ?? request.model.id;
  let payload: string;
  try {
    const encoded = encodeEntry({
      key: keys.exactKey,
      value: response.value,
      modelId,
      createdAt,
      expiresAt: createdAt + ttlMs,
      ...(vector && keys.semanticText !== undefined ? { text: keys.semanticText } : {}),
      ...(response.usage ? { usage: response.usage } : {}),
    });
    payload = engine.cipher ? engine.cipher.encrypt(encoded) : encoded;
  } catch (error) {
    engine.reportError(
      'encode',
      new SemcacheError(
        'INVALID_REQUEST',
        `Response could not be encoded as JSON: ${describeValue(error)}; it was not cached.`,
        { cause: error },
      ),
    );
    return false;
  }
  const written = await engine.calls.write(keys.exactKey, 'set', () =>
    store.set(keys.namespace, {
      key: keys.exactKey,
      payload,
      ttlMs,
      ...(vector ? { index: { partition: engine.partitionOf(keys), vector } } : {}),
      labels: {
        modelId,
        ...(keys.tenant === undefined ? {} : { tenant: keys.tenant }),
      },
    }),
  );
  if (!written.ok) return false;
  engine.counters.stores++;
  engine.events.emit('store', { key: keys.exactKey, bytes: payload.length, ttlMs });
  return true;
}

/**
 * Verified caching: when `request` had a candidate under check, compares it with this complete
 * fresh answer (whether or not the answer is stored) in the background.
 */
function checkExploration(
  engine: CacheEngine,
  request: CacheRequest,
  response: ComputedResponse,
): void {
  const { exactKey } = engine.prepare(request).keys;
  const exploration = engine.explorations.get(exactKey);
  if (!exploration) return;
  engine.explorations.delete(exactKey);
  if (!isStorableResponse(response)) return;
  engine.calls.track(judge(engine, exactKey, exploration, response.value));
}

/** How long a check waits for its fresh answer before it is forgotten. */
const explorationTtlMs = 10 * 60_000;

/** Compares a checked candidate's answer with the fresh one and records the outcome. Never throws. */
async function judge(
  engine: CacheEngine,
  key: string,
  exploration: Exploration,
  fresh: JsonValue,
): Promise<void> {
  const verify = engine.options.verify;
  if (!verify?.judge || !engine.outcomes) return;
  if (engine.options.now() - exploration.at > explorationTtlMs) return;
  let correct: boolean;
  try {
    correct = await verify.judge({
      cached: exploration.candidateValue,
      fresh,
      request: exploration.requestText,
      cachedRequest: exploration.candidateText,
    });
  } catch (error) {
    engine.reportError('judge', error);
    return;
  }
  const { counters } = engine;
  if (correct) counters.verificationsCorrect++;
  else counters.verificationsWrong++;
  engine.events.emit('verify', {
    key,
    candidateKey: exploration.candidateKey,
    similarity: exploration.similarity,
    correct: correct === true,
    errorEstimate: exploration.errorEstimate,
  });
  await engine.outcomes.record(
    exploration.namespace,
    exploration.candidateKey,
    engine.embedder.id,
    exploration.informed,
    exploration.similarity,
    correct === true,
    exploration.candidateTtlMs,
  );
}

function shouldStore(engine: CacheEngine, response: ComputedResponse): boolean {
  try {
    return engine.options.shouldStore(response);
  } catch (error) {
    engine.reportError('shouldStore', error);
    return false;
  }
}
