import type { IncomingHttpHeaders } from 'node:http';
import type { JsonObject } from './json.js';

/** Which endpoint a request hit. */
export type MockRoute = 'chat' | 'embeddings' | 'models' | 'unknown';

/**
 * Requests received since start (or the last reset). `chat` counts non-streaming chat completions,
 * `chatStream` streaming ones; `total` counts every request, including errors and 404s.
 */
export interface MockRequestCounts {
  chat: number;
  chatStream: number;
  embeddings: number;
  models: number;
  total: number;
}

/** One received request, as recorded for assertions. */
export interface MockRequestLogEntry {
  method: string;
  /** URL path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request headers, names lowercased. */
  headers: IncomingHttpHeaders;
  /** The parsed body when it is a JSON object, else `undefined`. */
  body: Readonly<JsonObject> | undefined;
  /** The body exactly as received (empty for GET). */
  rawBody: string;
  /** `Date.now()` when the body was fully received. */
  receivedAt: number;
}

const zeroCounts = (): MockRequestCounts => ({
  chat: 0,
  chatStream: 0,
  embeddings: 0,
  models: 0,
  total: 0,
});

/** Counters and log of received requests. */
export class RequestLog {
  #counts = zeroCounts();
  #entries: MockRequestLogEntry[] = [];

  /** Counts and records one request. `stream` distinguishes streaming chat completions. */
  record(route: MockRoute, stream: boolean, entry: MockRequestLogEntry): void {
    this.#counts.total += 1;
    if (route === 'chat') this.#counts[stream ? 'chatStream' : 'chat'] += 1;
    else if (route !== 'unknown') this.#counts[route] += 1;
    this.#entries.push(entry);
  }

  /** A snapshot of the counters; later requests do not change it. */
  get counts(): MockRequestCounts {
    return { ...this.#counts };
  }

  /** A snapshot of the log, oldest first. */
  get entries(): readonly MockRequestLogEntry[] {
    return [...this.#entries];
  }

  /** Zeroes the counters and empties the log. */
  reset(): void {
    this.#counts = zeroCounts();
    this.#entries = [];
  }
}
