import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type { JsonObject } from '@semcache/core';
import {
  type MockOpenAIOptions,
  type MockOpenAIServer,
  startMockOpenAI,
} from '@semcache/mock-openai';
import OpenAI from 'openai';
import type { ProxyOptions } from './proxy-options.js';
import { type RunningProxy, startProxy } from './start-proxy.js';

/** A mock upstream and a proxy in front of it, both on 127.0.0.1 with random ports. */
export interface ProxyFixture {
  mock: MockOpenAIServer;
  running: RunningProxy;
  /** The proxy's base URL (`http://127.0.0.1:PORT/v1`). */
  url: string;
  /** Log lines the proxy wrote. */
  logs: string[];
  /** The official OpenAI client pointed at the proxy. */
  openai(apiKey?: string): OpenAI;
  /** `POST /v1/chat/completions` with a JSON body (or raw text) and extra headers. */
  chat(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a mock upstream and a proxy forwarding to it. */
export async function startFixture(
  options: ProxyOptions = {},
  mockOptions: MockOpenAIOptions = {},
): Promise<ProxyFixture> {
  const mock = await startMockOpenAI(mockOptions);
  const logs: string[] = [];
  const running = await startProxy({
    upstream: mock.url,
    port: 0,
    log: (line) => logs.push(line),
    ...options,
  });
  return {
    mock,
    running,
    url: running.url,
    logs,
    openai: (apiKey = 'sk-client-not-checked') =>
      new OpenAI({ baseURL: running.url, apiKey, maxRetries: 0 }),
    chat: (body, headers = {}) =>
      fetch(`${running.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await running.close();
      await mock.close();
    },
  };
}

/** A chat body asking `text` of the mock model. */
export function ask(text: string, extra: Record<string, unknown> = {}): JsonObject {
  return { model: 'gpt-4.1', messages: [{ role: 'user', content: text }], ...extra } as JsonObject;
}

/** The `data:` payloads of an SSE body. */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

/** The text an SSE chat stream carries (content deltas joined). */
export function streamedText(body: string): string {
  return sseData(body)
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as { choices: { delta?: { content?: string | null } }[] })
    .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
    .join('');
}

/** Resolves once `condition()` holds; polls every 5 ms, fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A loopback port nothing listens on (taken, then freed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
