import type { CacheEngine } from './cache-engine.js';
import { type CacheHit, find, goesAround, type LookupResult, lookup } from './cache-lookup.js';
import type { CacheCallOptions } from './cache-options.js';
import type { ComputedResponse } from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import { writeResponse } from './cache-write.js';
import type { MissReason } from './events.js';
import type { JsonValue } from './json.js';
import { LiveParts } from './live-parts.js';

/** Per-call options of the coalescing calls: the cache's per-call options and the caller's signal. */
export type ComputeOptions = CacheCallOptions & {
  /**
   * The caller's abort signal. A waiting caller whose signal aborts stops waiting at once (with
   * the signal's reason); a leader whose call was aborted does not pass its abort on: the callers
   * waiting for it go on as if it had never started.
   */
  signal?: AbortSignal;
  /**
   * `false`: this call neither waits for an identical running call nor lets others wait for it
   * (no in-process sharing, no cross-process lease); it still reads and writes the cache.
   * @default true
   */
  coalesce?: boolean;
};

/** Result of `getOrCompute`. */
export type GetOrComputeResult<V extends JsonValue = JsonValue> =
  | (CacheHit<V> & { coalesced: boolean })
  | {
      kind: 'miss';
      value: V;
      reason: MissReason;
      /** True when this caller received another caller's model result. */
      coalesced: boolean;
      /**
       * True when the answer was accepted for storing. Written before the call returns, except
       * in a burst (writes queued): then in the background — `await cache.flush()` waits for it.
       */
      stored: boolean;
    };

/**
 * A model stream the cache may share: `start` opens it (once, for the caller that leads), and
 * `complete` turns the parts of a stream that ended cleanly into the response to store.
 */
export interface StreamSource<P, V extends JsonValue = JsonValue> {
  /**
   * Opens the model's stream. `signal` aborts when every reader has left before the end: stop the
   * model call then.
   */
  start(signal: AbortSignal): Promise<AsyncIterable<P>>;
  /**
   * The response to store (and to hand to waiting non-streaming callers) for a stream that ended
   * without error, from all its parts; `undefined` when it must not be stored (an error part, an
   * unfinished answer).
   */
  complete(parts: readonly P[]): ComputedResponse<V> | undefined;
}

/** Result of `getOrStream`. */
export type StreamResult<P, V extends JsonValue = JsonValue> =
  | (CacheHit<V> & { coalesced: false })
  | {
      /** A concurrent non-streaming call's answer: replay it. */
      kind: 'miss';
      reason: MissReason;
      coalesced: true;
      value: V;
    }
  | {
      /** A live model stream: this caller's own, or (`coalesced`) one it shares. */
      kind: 'live';
      reason: MissReason;
      coalesced: boolean;
      /** Every part from the first, then live parts as they arrive. */
      parts: AsyncIterable<P>;
      /** Whether the stream's answer was stored, once it ended (`false` for a shared stream). */
      stored: Promise<boolean>;
    };

/** Options of `lookupOrLead`. */
export interface LeadOptions {
  /**
   * True when the caller will report a failed model call with `abandon(tag)`: then identical calls
   * may wait for it up to `coalesceTimeoutMs`. Otherwise (a failure would go unseen) they wait
   * at most twice as long as this model has been seen to answer (0.5 s before it answered once),
   * and not at all on a request whose last lead vanished that way, until it is answered.
   */
  failureReported: boolean;
  /**
   * Identifies one batch of lookups whose results are computed together (LangChain's `generate()`
   * call): a lookup never waits for a lead of its own batch.
   */
  owner?: object;
  /** Names the lead for {@link abandon} (LangChain: the rendered prompt). */
  tag?: string;
}

/** Result of `lookupOrLead`. */
export type LeadResult<V extends JsonValue = JsonValue> =
  | (CacheHit<V> & { coalesced: boolean })
  | { kind: 'miss'; reason: MissReason; coalesced: true; value: V }
  /** Call the model, then `settle` (or report the failure with `abandon`). */
  | { kind: 'miss'; reason: MissReason; coalesced: false };

type FlightEnd =
  | { kind: 'value'; value: JsonValue }
  /** The leader's call failed: `getOrCompute` waiters receive the same error. */
  | { kind: 'failed'; error: unknown }
  /**
   * Aborted, cancelled, unfinished or vanished: waiters go on without it. A lead that vanished
   * unseen hands its waiters a `cohort`: they may go on together behind one of them, while later
   * callers of the request no longer wait.
   */
  | { kind: 'gave-up'; cohort?: object };

interface Flight {
  readonly end: Promise<FlightEnd>;
  ended: boolean;
  finish(end: FlightEnd): void;
  live?: LiveParts<unknown, boolean>;
  owner?: object;
  tag?: string;
  /** Set on the lead of a vanished request: only callers of this cohort wait for it. */
  cohort?: object;
  /** The cross-process lease this flight holds, released once its answer is written. */
  release?: () => Promise<void>;
  /** A `lookupOrLead` lead and its expiry. */
  lead?: { timer?: ReturnType<typeof setTimeout> };
}

type Distributed<V extends JsonValue> =
  | { kind: 'alone' }
  | { kind: 'answered'; hit: CacheHit<V> }
  | { kind: 'leader'; release: () => Promise<void> };

/** Successful lead durations remembered per model, for waits on leads whose failure goes unseen. */
const latencySamples = 16;
/**
 * How long a lead whose failure would go unseen is waited for before this model has answered
 * once: long enough for a fast model, short enough that a retry after an unseen failure costs
 * little.
 */
const unseenLeadMs = 500;
/** Vanished requests remembered (forgetting one only lets a caller wait once more). */
const maxVanished = 10_000;
/** Rounds a caller follows leaders that give up before it goes alone. */
const maxRounds = 3;

/**
 * All single-flight of one cache, in one place: in-process waiting for an identical running call
 * (computed, streamed, or led through `lookupOrLead`), cross-process leases through the store's
 * coordinator, and sharing one live stream among concurrent readers. Every coalesced caller is
 * counted (`coalesced`) and announced (`coalesced` event) the same way.
 */
export class Coalescer {
  readonly #engine: CacheEngine;
  readonly #flights = new Map<string, Flight>();
  readonly #latency = new Map<string, number[]>();
  /** Requests whose last lead with unseen failures expired unanswered: no more blind waits. */
  readonly #vanished = new Set<string>();
  /** When each request's latest lead started, until it is answered (for learning latencies). */
  readonly #leadStarts = new Map<string, number>();
  readonly #leaseTimeoutMs: number;

  constructor(engine: CacheEngine) {
    this.#engine = engine;
    this.#leaseTimeoutMs = Math.max(engine.options.storeTimeoutMs, 1000);
  }

  /** Identical calls running in this process. */
  get size(): number {
    return this.#flights.size;
  }

  async getOrCompute<V extends JsonValue>(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    options: ComputeOptions = {},
  ): Promise<GetOrComputeResult<V>> {
    const { signal, coalesce = true, ...callOptions } = options;
    const engine = this.#engine;
    const found = await lookup<V>(engine, request, callOptions);
    if (found.kind !== 'miss') return { ...found, coalesced: false };
    const { reason } = found;
    if (goesAround(reason)) {
      const response = await compute();
      return { kind: 'miss', value: response.value, reason, coalesced: false, stored: false };
    }
    const key = this.#key(request, callOptions);
    for (let round = 0; coalesce && round < maxRounds; round++) {
      const running = this.#flights.get(key);
      if (!running)
        return this.#computeAsLeader(key, request, compute, callOptions, signal, reason);
      const end = await this.#wait(running, signal);
      if (end.kind === 'value') {
        this.#coalesced(request, 'process');
        return {
          kind: 'miss',
          value: structuredClone(end.value) as V,
          reason,
          coalesced: true,
          stored: false,
        };
      }
      if (end.kind === 'failed') throw end.error;
      if (end.kind === 'timeout') break;
    }
    // Not coalescing, or the running call neither answers nor gives up: compute alone.
    const response = await compute();
    const write = writeResponse(engine, request, response, callOptions);
    return {
      kind: 'miss',
      value: response.value,
      reason,
      coalesced: false,
      stored: write.queued ? write.accepted : await write.written,
    };
  }

  async getOrStream<P, V extends JsonValue>(
    request: CacheRequest,
    source: StreamSource<P, V>,
    options: ComputeOptions = {},
  ): Promise<StreamResult<P, V>> {
    const { signal, coalesce = true, ...callOptions } = options;
    const engine = this.#engine;
    const found = await lookup<V>(engine, request, callOptions);
    if (found.kind !== 'miss') return { ...found, coalesced: false };
    const { reason } = found;
    if (goesAround(reason)) {
      // Not shared and not stored, but the model stream still stops when its reader leaves.
      const controller = new AbortController();
      const live = new LiveParts<P, boolean>(() => controller.abort());
      const parts = live.subscribe(signal);
      const upstream = await source.start(controller.signal);
      void (async () => {
        try {
          for await (const part of upstream) {
            if (controller.signal.aborted) break;
            live.push(part);
          }
          live.end(false);
        } catch (error) {
          live.fail(error);
        }
      })();
      return { kind: 'live', reason, coalesced: false, parts, stored: Promise.resolve(false) };
    }
    if (!coalesce) return this.#streamAlone(request, source, callOptions, reason, signal);
    const key = this.#key(request, callOptions);
    for (let round = 0; round < maxRounds; round++) {
      const running = this.#flights.get(key);
      if (!running) break;
      if (running.live) {
        this.#coalesced(request, 'process');
        return {
          kind: 'live',
          reason,
          coalesced: true,
          parts: running.live.subscribe(signal) as AsyncIterable<P>,
          stored: Promise.resolve(false),
        };
      }
      const end = await this.#wait(running, signal);
      if (end.kind === 'value') {
        this.#coalesced(request, 'process');
        return { kind: 'miss', reason, coalesced: true, value: structuredClone(end.value) as V };
      }
      if (end.kind === 'timeout') {
        return this.#streamAlone(request, source, callOptions, reason, signal);
      }
    }
    if (this.#flights.has(key)) {
      return this.#streamAlone(request, source, callOptions, reason, signal);
    }

    const controller = new AbortController();
    const live = new LiveParts<P, boolean>(() => {
      // Every reader left: stop the model call; the next caller starts a fresh one.
      controller.abort();
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    const flight = this.#open(key, { live: live as LiveParts<unknown, boolean> });
    let parts: AsyncIterable<P>;
    try {
      parts = await source.start(controller.signal);
    } catch (error) {
      this.#finish(
        key,
        flight,
        isGiveUp(error, signal) ? { kind: 'gave-up' } : { kind: 'failed', error },
      );
      live.fail(error);
      throw error;
    }
    const subscription = live.subscribe(signal);
    const stored = engine.calls.track(
      this.#pump(key, flight, live, parts, controller.signal, source, request, callOptions),
    );
    return { kind: 'live', reason, coalesced: false, parts: subscription, stored };
  }

  async lookupOrLead<V extends JsonValue>(
    request: CacheRequest,
    options: CacheCallOptions,
    lead: LeadOptions,
  ): Promise<LeadResult<V>> {
    const engine = this.#engine;
    const found = await lookup<V>(engine, request, options);
    if (found.kind !== 'miss') return { ...found, coalesced: false };
    const { reason } = found;
    if (goesAround(reason) || reason === 'refresh')
      return { kind: 'miss', reason, coalesced: false };
    const key = this.#key(request, options);
    let cohort: object | undefined;
    for (let round = 0; round < maxRounds; round++) {
      const running = this.#flights.get(key);
      if (!running) return this.#lead(key, request, options, lead, reason, cohort);
      // LangChain updates one generate() call's prompts only after all its lookups settled.
      if (lead.owner !== undefined && running.owner === lead.owner) break;
      if (running.cohort !== undefined && running.cohort !== cohort) break;
      const end = await this.#wait(running);
      if (end.kind === 'value') {
        this.#coalesced(request, 'process');
        return { kind: 'miss', reason, coalesced: true, value: structuredClone(end.value) as V };
      }
      if (end.kind !== 'gave-up') break;
      cohort = end.cohort;
    }
    return { kind: 'miss', reason, coalesced: false };
  }

  /**
   * Stores the answer of a call that looked up with `lookupOrLead` and hands it to every caller
   * waiting for that request; returns whether it was accepted for storing.
   */
  async settle(
    request: CacheRequest,
    response: ComputedResponse,
    options: CacheCallOptions = {},
  ): Promise<boolean> {
    const engine = this.#engine;
    const key = this.#key(request, options);
    const flight = this.#flights.get(key);
    const write = writeResponse(engine, request, response, options);
    // A late answer still teaches how long this model takes, and makes the request waitable again.
    const startedAt = this.#leadStarts.get(key);
    if (startedAt !== undefined) {
      this.#leadStarts.delete(key);
      this.#learn(request.model.id, performance.now() - startedAt);
    }
    this.#vanished.delete(key);
    if (flight?.lead) {
      this.#finish(key, flight, { kind: 'value', value: response.value }, write.written);
    }
    return write.queued ? write.accepted : write.written;
  }

  /** Releases the callers waiting for every lead named `tag`: its model call failed. */
  abandon(tag: string): void {
    for (const [key, flight] of [...this.#flights]) {
      if (flight.lead && flight.tag === tag) this.#finish(key, flight, { kind: 'gave-up' });
    }
  }

  #key(request: CacheRequest, options: CacheCallOptions): string {
    const { keys } = this.#engine.prepare(request);
    return `${keys.namespace}\u0000${keys.exactKey}${options.refresh ? '\u0000refresh' : ''}`;
  }

  #open(key: string, init: Partial<Pick<Flight, 'live' | 'owner' | 'tag' | 'lead'>> = {}): Flight {
    let finish!: (end: FlightEnd) => void;
    const end = new Promise<FlightEnd>((resolve) => {
      finish = resolve;
    });
    const flight: Flight = {
      end,
      ended: false,
      finish: (result) => {
        if (flight.ended) return;
        flight.ended = true;
        finish(result);
      },
      ...init,
    };
    this.#flights.set(key, flight);
    return flight;
  }

  /**
   * Ends `flight` for its waiters; an answer's flight keeps its key (later callers get the answer
   * at once) and its lease until `after` (the answer's write) settled, so callers in this and
   * other processes find the answer either in the flight or in the store.
   */
  #finish(key: string, flight: Flight, end: FlightEnd, after?: Promise<unknown>): void {
    flight.finish(end);
    const forget = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    // An answer stays shareable until its write settled: a caller that arrives in between missed
    // the store (not written yet) and would otherwise call the model again.
    if (after && end.kind === 'value') void after.then(forget, forget);
    else forget();
    clearTimeout(flight.lead?.timer);
    const release = flight.release;
    flight.release = undefined;
    if (release) {
      const released = (after ?? Promise.resolve()).then(
        () => this.#release(release),
        () => this.#release(release),
      );
      this.#engine.calls.track(released);
    }
  }

  /** Waits for a running flight's end, at most `coalesceTimeoutMs`; rejects when `signal` aborts. */
  #wait(flight: Flight, signal?: AbortSignal): Promise<FlightEnd | { kind: 'timeout' }> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve({ kind: 'timeout' });
      }, this.#engine.options.coalesceTimeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.end.then((end) => {
        done();
        resolve(end);
      });
    });
  }

  async #computeAsLeader<V extends JsonValue>(
    key: string,
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    options: CacheCallOptions,
    signal: AbortSignal | undefined,
    reason: MissReason,
  ): Promise<GetOrComputeResult<V>> {
    const flight = this.#open(key);
    const engine = this.#engine;
    try {
      const distributed = await this.#distributed<V>(
        request,
        options,
        engine.options.coalesceTimeoutMs,
      );
      if (distributed.kind === 'answered') {
        this.#coalesced(request, 'distributed');
        this.#finish(key, flight, { kind: 'value', value: distributed.hit.value });
        return { ...distributed.hit, coalesced: true };
      }
      if (distributed.kind === 'leader') flight.release = distributed.release;
      const started = performance.now();
      const response = await compute();
      this.#learn(request.model.id, performance.now() - started);
      this.#vanished.delete(key);
      const write = writeResponse(engine, request, response, options);
      this.#finish(key, flight, { kind: 'value', value: response.value }, write.written);
      const stored = write.queued ? write.accepted : await write.written;
      return { kind: 'miss', value: response.value, reason, coalesced: false, stored };
    } catch (error) {
      this.#finish(
        key,
        flight,
        isGiveUp(error, signal) ? { kind: 'gave-up' } : { kind: 'failed', error },
      );
      throw error;
    }
  }

  async #lead<V extends JsonValue>(
    key: string,
    request: CacheRequest,
    options: CacheCallOptions,
    lead: LeadOptions,
    reason: MissReason,
    cohort: object | undefined,
  ): Promise<LeadResult<V>> {
    const { coalesceTimeoutMs } = this.#engine.options;
    const holdMs = lead.failureReported
      ? coalesceTimeoutMs
      : cohort === undefined && this.#vanished.has(key)
        ? 0
        : this.#unseenHold(request);
    // The last lead of this request vanished unseen: a new caller does not wait, nor makes others.
    if (this.#leadStarts.size >= maxVanished) this.#leadStarts.clear();
    this.#leadStarts.set(key, performance.now());
    if (holdMs <= 0) return { kind: 'miss', reason, coalesced: false };
    const flight = this.#open(key, {
      ...(lead.owner === undefined ? {} : { owner: lead.owner }),
      ...(lead.tag === undefined ? {} : { tag: lead.tag }),
      ...(cohort === undefined ? {} : { cohort }),
      lead: {},
    });
    const state = flight.lead as NonNullable<Flight['lead']>;
    state.timer = setTimeout(() => {
      // The lead never answered: its call failed or gave up without telling us. Its waiters go
      // on together; later callers of the request no longer wait until it is answered.
      if (lead.failureReported) return this.#finish(key, flight, { kind: 'gave-up' });
      if (this.#vanished.size >= maxVanished) this.#vanished.clear();
      this.#vanished.add(key);
      this.#finish(key, flight, { kind: 'gave-up', cohort: cohort ?? {} });
    }, holdMs);
    state.timer.unref?.();
    const distributed = await this.#distributed<V>(request, options, holdMs);
    if (flight.ended) {
      // Abandoned or expired while taking the lease.
      if (distributed.kind === 'leader')
        this.#engine.calls.track(this.#release(distributed.release));
      return { kind: 'miss', reason, coalesced: false };
    }
    if (distributed.kind === 'answered') {
      this.#coalesced(request, 'distributed');
      this.#finish(key, flight, { kind: 'value', value: distributed.hit.value });
      return { ...distributed.hit, coalesced: true };
    }
    if (distributed.kind === 'leader') flight.release = distributed.release;
    return { kind: 'miss', reason, coalesced: false };
  }

  /** How long a lead whose failure would go unseen is waited for: what this model is known to take. */
  #unseenHold(request: CacheRequest): number {
    const samples = this.#latency.get(request.model.id);
    const known = samples && samples.length > 0 ? 2 * Math.max(...samples) + 100 : unseenLeadMs;
    return Math.min(this.#engine.options.coalesceTimeoutMs, known);
  }

  #learn(modelId: string, ms: number): void {
    let samples = this.#latency.get(modelId);
    if (!samples) {
      if (this.#latency.size >= 1000) this.#latency.clear();
      samples = [];
      this.#latency.set(modelId, samples);
    }
    samples.push(ms);
    if (samples.length > latencySamples) samples.shift();
  }

  async #streamAlone<P, V extends JsonValue>(
    request: CacheRequest,
    source: StreamSource<P, V>,
    options: CacheCallOptions,
    reason: MissReason,
    signal: AbortSignal | undefined,
  ): Promise<StreamResult<P, V>> {
    const controller = new AbortController();
    const live = new LiveParts<P, boolean>(() => controller.abort());
    const parts = await source.start(controller.signal);
    const subscription = live.subscribe(signal);
    const stored = this.#engine.calls.track(
      this.#pump(undefined, undefined, live, parts, controller.signal, source, request, options),
    );
    return { kind: 'live', reason, coalesced: false, parts: subscription, stored };
  }

  /** Reads the model stream to its end for every reader; stores a clean answer. */
  async #pump<P, V extends JsonValue>(
    key: string | undefined,
    flight: Flight | undefined,
    live: LiveParts<P, boolean>,
    parts: AsyncIterable<P>,
    abandoned: AbortSignal,
    source: StreamSource<P, V>,
    request: CacheRequest,
    options: CacheCallOptions,
  ): Promise<boolean> {
    const end = (result: FlightEnd, after?: Promise<unknown>) => {
      if (key !== undefined && flight) this.#finish(key, flight, result, after);
    };
    const iterator = parts[Symbol.asyncIterator]();
    const stop = () => void iterator.return?.().catch(() => {});
    abandoned.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || abandoned.aborted) break;
        live.push(next.value);
      }
    } catch (error) {
      end({ kind: 'gave-up' });
      live.fail(error);
      return false;
    } finally {
      abandoned.removeEventListener('abort', stop);
    }
    if (abandoned.aborted) {
      // Every reader left: the answer is unfinished and nobody waits for it.
      end({ kind: 'gave-up' });
      live.end(false);
      return false;
    }
    let response: ComputedResponse<V> | undefined;
    try {
      response = source.complete(live.items);
    } catch (error) {
      this.#engine.reportError('stream-complete', error);
    }
    if (!response) {
      end({ kind: 'gave-up' });
      live.end(false);
      return false;
    }
    const write = writeResponse(this.#engine, request, response, options);
    end({ kind: 'value', value: response.value }, write.written);
    const stored = write.queued ? write.accepted : await write.written;
    live.end(stored);
    return stored;
  }

  /**
   * Cross-process single-flight through the store's coordinator. `answered`: another process
   * computed the answer while we waited (or had stored it just before); `leader`: this process
   * holds the lease; `alone`: no coordinator, a refresh, or the lease could not be had in time.
   */
  async #distributed<V extends JsonValue>(
    request: CacheRequest,
    options: CacheCallOptions,
    leaseMs: number,
  ): Promise<Distributed<V>> {
    const engine = this.#engine;
    const coordinator = engine.store.coordinator;
    if (!coordinator || options.refresh) return { kind: 'alone' };
    const { keys } = engine.prepare(request);
    // Lease commands get a longer budget than lookups: a lease granted after its caller gave up
    // would be orphaned, and every other caller of this request would wait for its expiry.
    let acquiring: Promise<(() => Promise<void>) | undefined> | undefined;
    const lease = await engine.calls.run(
      'lease',
      () => {
        acquiring = coordinator.tryAcquire(keys.namespace, keys.exactKey, leaseMs);
        return acquiring;
      },
      this.#leaseTimeoutMs,
    );
    if (!lease.ok) {
      // A lease granted after the timeout belongs to nobody: hand it back as soon as it arrives.
      if (acquiring) {
        void acquiring.then((late) => late && this.#release(late)).catch(() => {});
      }
      return { kind: 'alone' };
    }
    const exactOnly = { ...options, semantic: false };
    if (lease.value === undefined) {
      try {
        await coordinator.waitForRelease(keys.namespace, keys.exactKey, leaseMs);
      } catch (error) {
        engine.reportError('wait', error);
      }
      // The leader has just released, so the answer is most likely stored: reading it is worth
      // the lease budget (a slow GET right after a deploy must not cost another model call).
      const again = await find<V>(engine, request, exactOnly, this.#leaseTimeoutMs, true);
      return again.kind === 'miss' ? { kind: 'alone' } : { kind: 'answered', hit: again };
    }
    const release = lease.value;
    // Another process may have stored the answer and released its lease between our lookup and
    // our lease: check once more before paying for a model call.
    const stored: LookupResult<V> = await find<V>(engine, request, exactOnly, undefined, true);
    if (stored.kind !== 'miss') {
      await this.#release(release);
      return { kind: 'answered', hit: stored };
    }
    return { kind: 'leader', release };
  }

  /**
   * Not behind the circuit breaker, which may have opened while the model was answering: a lease
   * left behind stalls every other caller of the request until it expires.
   */
  #release(release: () => Promise<void>): Promise<void> {
    return this.#engine.calls.always('release', release, this.#leaseTimeoutMs);
  }

  #coalesced(request: CacheRequest, scope: 'process' | 'distributed'): void {
    const engine = this.#engine;
    engine.counters.coalesced++;
    engine.events.emit('coalesced', { key: engine.prepare(request).keys.exactKey, scope });
  }
}

/** A leader's failure that is its own business (an abort or a timeout), not the request's. */
function isGiveUp(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}
