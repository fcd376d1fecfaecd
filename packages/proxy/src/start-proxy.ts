import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createProxy, type SemcacheProxy } from './create-proxy.js';
import { type ProxyOptions, resolveProxyOptions } from './proxy-options.js';

/** A proxy serving HTTP, from {@link startProxy}. */
export interface RunningProxy {
  /** Base URL of its OpenAI-compatible API, e.g. `http://127.0.0.1:8787/v1`. */
  readonly url: string;
  /** The port it listens on (useful with `port: 0`). */
  readonly port: number;
  readonly proxy: SemcacheProxy;
  /**
   * Graceful shutdown: stops accepting connections, lets the requests in flight finish (at most
   * `shutdownTimeoutMs`, then their connections are closed), waits for pending cache writes and
   * closes the store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates the proxy ({@link createProxy}) and serves it on `host:port` (Hono on
 * `@hono/node-server`).
 *
 * ```ts
 * const running = await startProxy({ upstream: 'https://api.holysheep.ai/v1', port: 8787 });
 * // OpenAI clients: baseURL = running.url
 * process.once('SIGTERM', () => running.close());
 * ```
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for an unknown option or a wrong value.
 */
export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const { host, port } = resolveProxyOptions(options);
  const proxy = await createProxy(options);
  const server = createAdaptorServer({ fetch: (request) => proxy.fetch(request) }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}/v1`,
    port: bound,
    proxy,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in flight finish (bounded); the proxy then flushes and closes the store.
        await proxy.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
