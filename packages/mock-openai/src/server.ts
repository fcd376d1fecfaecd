import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planChatAnswer } from './chat-answer.js';
import { buildChatChunks } from './chat-chunks.js';
import { buildChatCompletion } from './chat-completion.js';
import { parseChatRequest } from './chat-request.js';
import type { CompletionMeta } from './completion-meta.js';
import { buildEmbeddingsResponse } from './embeddings-response.js';
import {
  type CutStreamOptions,
  type FailNextOptions,
  FaultPlan,
  type InjectedFailure,
} from './fault-plan.js';
import { readBody, sendJson, sleep } from './http-io.js';
import { isJsonObject, parseJson } from './json.js';
import { buildModelList } from './models.js';
import { openAIErrorBody } from './openai-error.js';
import {
  type MockRequestCounts,
  type MockRequestLogEntry,
  type MockRoute,
  RequestLog,
} from './request-log.js';
import { writeChatStream } from './sse-writer.js';

/** Options for {@link startMockOpenAI}. */
export interface MockOpenAIOptions {
  /** Delay before the first byte of every response. Default 0. */
  latencyMs?: number;
  /** Port to listen on. Default 0: a random free port. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Delay between SSE chunks of streamed responses. Default 0. */
  chunkDelayMs?: number;
}

/** A running mock OpenAI server. */
export interface MockOpenAIServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** The port the server listens on. */
  readonly port: number;
  /** A snapshot of the request counters. */
  readonly requests: MockRequestCounts;
  /** A snapshot of every received request, oldest first. */
  readonly log: readonly MockRequestLogEntry[];
  /** Zeroes the counters, empties the log and drops queued `failNext`/`cutNextStream` faults. */
  reset(): void;
  /**
   * Makes the next `count` chat or embeddings requests fail with `status` and an OpenAI-style
   * error body; a 429 carries `retry-after` and `retry-after-ms` headers. Calls queue up.
   */
  failNext(options: FailNextOptions): void;
  /** Makes the next streamed chat response drop its socket after `afterChunks` delta chunks. */
  cutNextStream(options: CutStreamOptions): void;
  /** Changes the delay before the first byte of each response. */
  setLatency(ms: number): void;
  /** Changes the delay between SSE chunks. */
  setChunkDelay(ms: number): void;
  /** Stops listening and drops open connections; resolves once the port is free. Idempotent. */
  close(): Promise<void>;
}

interface ServerState {
  latencyMs: number;
  chunkDelayMs: number;
  apiKey: string | undefined;
  readonly log: RequestLog;
  readonly faults: FaultPlan;
  completions: number;
}

const maxBodyBytes = 16 * 1024 * 1024;

/**
 * Starts an OpenAI-compatible HTTP server (`/v1/chat/completions`, `/v1/embeddings`,
 * `/v1/models`) whose answers are deterministic functions of the request.
 *
 * @example
 * const server = await startMockOpenAI();
 * const openai = createOpenAICompatible({ name: 'mock', baseURL: server.url });
 * // ...
 * await server.close();
 */
export async function startMockOpenAI(options: MockOpenAIOptions = {}): Promise<MockOpenAIServer> {
  const host = options.host ?? '127.0.0.1';
  const state: ServerState = {
    latencyMs: checkDelay('latencyMs', options.latencyMs ?? 0),
    chunkDelayMs: checkDelay('chunkDelayMs', options.chunkDelayMs ?? 0),
    apiKey: options.apiKey,
    log: new RequestLog(),
    faults: new FaultPlan(),
    completions: 0,
  };
  const server = createServer((req, res) => {
    handle(req, res, state).catch(() => {
      // A handler bug must cost one request, never the server.
      if (!res.headersSent) sendJson(res, 500, openAIErrorBody(500, 'Mock server error.'));
      else res.destroy();
    });
  });
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    get requests() {
      return state.log.counts;
    },
    get log() {
      return state.log.entries;
    },
    reset() {
      state.log.reset();
      state.faults.clear();
    },
    failNext: (failure) => state.faults.failNext(failure),
    cutNextStream: (cut) => state.faults.cutNextStream(cut),
    setLatency(ms) {
      state.latencyMs = checkDelay('latencyMs', ms);
    },
    setChunkDelay(ms) {
      state.chunkDelayMs = checkDelay('chunkDelayMs', ms);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function checkDelay(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`${name} must be a finite number >= 0, got ${ms}.`);
  return ms;
}

function routeOf(method: string, path: string): MockRoute {
  if (method === 'POST' && path === '/v1/chat/completions') return 'chat';
  if (method === 'POST' && path === '/v1/embeddings') return 'embeddings';
  if (method === 'GET' && path === '/v1/models') return 'models';
  return 'unknown';
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  state: ServerState,
): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const { signal } = controller;
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://mock').pathname.replace(/(.)\/+$/, '$1');
  const route = routeOf(method, path);

  const received = await readBody(req, maxBodyBytes);
  const rawBody = received.ok ? received.text : '';
  const parsed = rawBody.length > 0 ? parseJson(rawBody) : undefined;
  const body = parsed?.ok && isJsonObject(parsed.value) ? parsed.value : undefined;
  state.log.record(route, body?.stream === true, {
    method,
    path,
    headers: { ...req.headers },
    body,
    rawBody,
    receivedAt: Date.now(),
  });

  await sleep(state.latencyMs, signal);
  if (signal.aborted) return;

  if (!received.ok) {
    sendJson(res, 413, openAIErrorBody(413), { connection: 'close' });
    return;
  }
  if (state.apiKey !== undefined && req.headers.authorization !== `Bearer ${state.apiKey}`) {
    sendJson(res, 401, openAIErrorBody(401));
    return;
  }
  if (route === 'unknown') {
    sendJson(res, 404, openAIErrorBody(404, `Invalid URL (${method} ${path})`));
    return;
  }
  if (route === 'models') {
    sendJson(res, 200, buildModelList());
    return;
  }
  const failure = state.faults.takeFailure();
  if (failure) {
    sendFailure(res, failure);
    return;
  }
  if (parsed?.ok === false) {
    sendJson(res, 400, openAIErrorBody(400, 'We could not parse the JSON body of your request.'));
    return;
  }
  if (route === 'embeddings') {
    const result = buildEmbeddingsResponse(parsed?.value);
    if (result.ok) sendJson(res, 200, result.body);
    else sendJson(res, 400, openAIErrorBody(400, result.message, result.param));
    return;
  }
  await handleChat(res, parsed?.value, state, signal);
}

function sendFailure(res: ServerResponse, failure: InjectedFailure): void {
  const headers: Record<string, string> =
    failure.status === 429
      ? {
          'retry-after': String(Math.ceil(failure.retryAfterMs / 1000)),
          'retry-after-ms': String(failure.retryAfterMs),
        }
      : {};
  sendJson(res, failure.status, openAIErrorBody(failure.status, failure.message), headers);
}

async function handleChat(
  res: ServerResponse,
  body: unknown,
  state: ServerState,
  signal: AbortSignal,
): Promise<void> {
  const result = parseChatRequest(body);
  if (!result.ok) {
    sendJson(res, 400, openAIErrorBody(400, result.message, result.param));
    return;
  }
  const { request } = result;
  const answer = planChatAnswer(request);
  state.completions += 1;
  const meta: CompletionMeta = {
    id: `chatcmpl-${state.completions}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  if (!request.stream) {
    sendJson(res, 200, buildChatCompletion(answer, meta));
    return;
  }
  await writeChatStream(res, buildChatChunks(answer, meta, request.includeUsage), {
    chunkDelayMs: state.chunkDelayMs,
    cutAfterChunks: state.faults.takeCut(),
    signal,
  });
}
