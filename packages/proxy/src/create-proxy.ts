import { readFileSync } from 'node:fs';
import { createSemanticCache, type SemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { chatPath, handleChat } from './chat-route.js';
import { createClientAuth } from './client-auth.js';
import { InFlight } from './in-flight.js';
import { errorResponse, tooLarge } from './openai-error.js';
import { handlePassthrough } from './passthrough-route.js';
import type { LogRecord, ProxyContext } from './proxy-context.js';
import { ProxyMetrics, type ProxyStats } from './proxy-metrics.js';
import {
  type ProxyOptions,
  type ResolvedProxyOptions,
  resolveProxyOptions,
} from './proxy-options.js';
import { isStreamed, watchBody } from './watch-body.js';

/** A caching proxy, ready to answer requests; {@link startProxy} serves it over HTTP. */
export interface SemcacheProxy {
  /** Answers one request (Fetch API), so the proxy can be mounted in any server. */
  fetch(request: Request): Promise<Response>;
  /** The cache behind the proxy. */
  readonly cache: SemanticCache;
  /** The proxy's own prom-client registry (what `GET /metrics` serves). */
  readonly registry: Registry;
  /** The live numbers of the page (`GET /stats`). */
  stats(): ProxyStats;
  /** Requests in flight now (streams until their last byte). */
  readonly inFlight: number;
  /**
   * Stops taking requests (503), waits up to `shutdownTimeoutMs` for those in flight, waits for
   * every pending cache write (`cache.flush()`), then closes what the proxy created (cache,
   * Redis store and connection). Idempotent.
   */
  close(): Promise<void>;
}

const page = readFileSync(new URL('../page/index.html', import.meta.url), 'utf8');
/** How long the proxy waits for Redis at start before serving without it (fail open). */
const redisStartMs = 5000;

/**
 * Creates the proxy: checks the options, connects to Redis when asked (waiting up to 5 s for the
 * first connection and up to 5 s more for the shared semantic index, so the first request after a
 * restart can already be a hit; without Redis it starts anyway and answers from the upstream),
 * and builds the routes:
 *
 * - `POST /v1/chat/completions`: cached (JSON and SSE);
 * - any other `/v1/*`: passed through;
 * - `GET /healthz`, `GET /metrics` (Prometheus), `GET /stats` (JSON), `GET /` (the live page).
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for an unknown option or a wrong value.
 */
export async function createProxy(options: ProxyOptions = {}): Promise<SemcacheProxy> {
  const resolved = resolveProxyOptions(options);
  const write = resolved.log;
  const log = (record: LogRecord) => {
    if (write) write(JSON.stringify({ time: new Date().toISOString(), ...record }));
  };
  const owned = await ownedCache(resolved, log);
  const cache = resolved.cache ?? owned.cache;
  const metrics = new ProxyMetrics();
  const detach = metrics.attach(cache);
  const stopErrorLog = cache.on('error', (event) =>
    log({ event: 'cache-error', operation: event.operation, code: event.error.code }),
  );
  const context: ProxyContext = {
    options: resolved,
    cache,
    metrics,
    authorize: createClientAuth(resolved),
    log,
  };
  const app = createApp(context);
  const inFlight = new InFlight();
  let closing: Promise<void> | undefined;

  return {
    cache,
    registry: metrics.registry,
    stats: () => metrics.stats(),
    get inFlight() {
      return inFlight.count;
    },
    async fetch(request) {
      if (closing) {
        return errorResponse(503, 'semcache-proxy is shutting down; retry.', 'shutting_down', {
          headers: { connection: 'close' },
        });
      }
      const end = inFlight.begin();
      let response: Response;
      try {
        response = await app.fetch(request);
      } catch (error) {
        end();
        throw error;
      }
      const route = routeOf(pathOf(request.url));
      metrics.request(route, response.status);
      if (!response.body || !isStreamed(response)) {
        end();
        return response;
      }
      return new Response(watchBody(response.body, end), response);
    },
    close() {
      closing ??= (async () => {
        const drained = await inFlight.drain(resolved.shutdownTimeoutMs);
        if (!drained)
          log({ event: 'shutdown', message: 'requests still in flight at the timeout' });
        await cache.flush();
        detach();
        stopErrorLog();
        await owned.close();
      })();
      return closing;
    },
  };
}

/** The path of an absolute URL, without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

function routeOf(path: string): string {
  if (path === chatPath) return 'chat';
  if (path.startsWith('/v1/')) return 'passthrough';
  // Known paths only: a label per arbitrary path would let any scanner grow the metrics.
  if (path === '/') return 'page';
  if (path === '/healthz' || path === '/metrics' || path === '/stats') return path.slice(1);
  return 'other';
}

function createApp(context: ProxyContext): Hono {
  const { metrics } = context;
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get(
    '/metrics',
    async () =>
      new Response(await metrics.registry.metrics(), {
        headers: { 'content-type': metrics.registry.contentType },
      }),
  );
  app.get('/stats', (c) => c.json(metrics.stats()));
  app.get('/', (c) => c.html(page));
  // Chat completions read their body themselves (limit included), before the body-limit
  // middleware below: Hono's bodyLimit turns node-server's light request into a full web Request,
  // which costs a hit more than the cache lookup does.
  app.post(chatPath, (c) => handleChat(c.req.raw, context));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: context.options.maxBodyBytes,
      onError: () => tooLarge(context.options.maxBodyBytes),
    }),
  );
  app.all('/v1/*', (c) => handlePassthrough(c.req.raw, context));
  app.notFound(() =>
    errorResponse(
      404,
      'Not found: semcache-proxy serves /v1/*, /healthz, /metrics, /stats and /.',
      'unknown_url',
    ),
  );
  app.onError((error) => {
    context.log({
      event: 'proxy-error',
      message: error instanceof Error ? error.message : String(error),
    });
    return errorResponse(500, 'semcache-proxy failed on this request.', 'proxy_error');
  });
  return app;
}

/** The cache the proxy creates (unless given one), and how to close what it created. */
async function ownedCache(
  options: ResolvedProxyOptions,
  log: (record: LogRecord) => void,
): Promise<{ cache: SemanticCache; close: () => Promise<void> }> {
  if (options.cache) return { cache: options.cache, close: async () => {} };
  if (options.redisUrl === undefined) {
    const cache = createSemanticCache(options.cacheOptions);
    return { cache, close: () => cache.close() };
  }
  const client = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    enableAutoPipelining: true,
  });
  let lastError = '';
  client.on('error', (error: Error & { code?: string }) => {
    // Reported once per kind of failure; ioredis keeps reconnecting by itself.
    const kind = error.code ?? error.name;
    if (kind === lastError) return;
    lastError = kind;
    log({ event: 'redis-error', code: kind });
  });
  client.on('ready', () => {
    lastError = '';
  });
  const ready = await new Promise<boolean>((resolve) => {
    if (client.status === 'ready') return resolve(true);
    const timer = setTimeout(() => resolve(false), redisStartMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) {
    log({ event: 'redis-unavailable', message: 'serving without the cache until Redis answers' });
  }
  const store = new RedisStore({
    client,
    onError: (error) => log({ event: 'redis-store-error', code: error.code }),
  });
  if (ready) {
    // Semantic hits on entries other processes stored need the shared index: load it first
    // (bounded; exact hits work without it).
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      store.whenSynced(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, redisStartMs);
      }),
    ]);
    clearTimeout(timer);
  }
  const cache = createSemanticCache({ ...options.cacheOptions, store });
  return {
    cache,
    close: async () => {
      await cache.close();
      await store.close();
      client.disconnect();
    },
  };
}
