import type {
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type { JsonObject, JsonValue } from '@semcache/core';
import { base64ToBytes, bytesToBase64, toJson } from './json-safe.js';

/**
 * What the middleware stores for one answer: the model's content and finish data, JSON only.
 * Generate and stream calls store and read the same shape, so each can answer the other. Raw HTTP
 * bodies, headers and request bodies are never stored.
 */
export interface StoredResult {
  [field: string]: JsonValue;
  content: JsonObject[];
  finishReason: { unified: string; raw: string | null };
  usage: JsonObject;
  providerMetadata: JsonObject | null;
  response: { id: string | null; modelId: string | null; timestamp: string | null };
  warnings: JsonValue[];
}

/** Converts a generate result into a {@link StoredResult}. */
export function storedFromGenerate(result: LanguageModelV4GenerateResult): StoredResult {
  return {
    content: result.content.map(storeContent),
    finishReason: { unified: result.finishReason.unified, raw: result.finishReason.raw ?? null },
    usage: storeUsage(result.usage),
    providerMetadata: result.providerMetadata
      ? (toJson(result.providerMetadata) as JsonObject)
      : null,
    response: {
      id: result.response?.id ?? null,
      modelId: result.response?.modelId ?? null,
      timestamp: isoOrNull(result.response?.timestamp),
    },
    warnings: result.warnings.map((warning) => toJson(warning)),
  };
}

/** Who else holds a stored result: revived results must never share objects with another caller. */
export interface OwnershipOptions {
  /**
   * True when the caller owns `stored` and nothing else holds it (a lookup hit, decoded from the
   * store for this call alone), so it is revived in place instead of copied first.
   */
  fresh?: boolean;
}

/** Rebuilds a generate result from a {@link StoredResult}, merging `semcache` metadata in. */
export function generateFromStored(
  shared: StoredResult,
  semcache: JsonObject,
  options: OwnershipOptions = {},
): LanguageModelV4GenerateResult {
  const stored = options.fresh ? shared : structuredClone(shared);
  return {
    content: stored.content.map(reviveContent),
    finishReason: reviveFinishReason(stored.finishReason),
    usage: reviveUsage(stored.usage),
    providerMetadata: withSemcache(stored.providerMetadata, semcache),
    response: reviveResponse(stored.response),
    warnings: stored.warnings as LanguageModelV4GenerateResult['warnings'],
  };
}

/** Options of {@link streamFromStored}. */
export interface ReplayOptions {
  /** Delay between replayed chunks; `0` (default) replays at once. */
  chunkDelayMs?: number;
}

/**
 * Replays a {@link StoredResult} as stream parts: the same text, reasoning, tool calls, finish
 * reason and usage as the original call. With `chunkDelayMs` text is split into word-sized chunks
 * and paced like a live model.
 */
export function streamFromStored(
  shared: StoredResult,
  semcache: JsonObject,
  options: ReplayOptions & OwnershipOptions = {},
): ReadableStream<LanguageModelV4StreamPart> {
  const stored = options.fresh ? shared : structuredClone(shared);
  // Built eagerly so a malformed entry fails here, where the middleware turns it into a miss.
  const parts = storedToParts(stored, semcache, (options.chunkDelayMs ?? 0) > 0);
  const delay = options.chunkDelayMs ?? 0;
  let index = 0;
  return new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      const part = parts[index++];
      if (!part) {
        controller.close();
        return;
      }
      if (
        delay > 0 &&
        index > 1 &&
        (part.type === 'text-delta' || part.type === 'reasoning-delta')
      ) {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      controller.enqueue(part);
    },
  });
}

function storedToParts(
  stored: StoredResult,
  semcache: JsonObject,
  chunked: boolean,
): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: stored.warnings as never },
  ];
  const response = reviveResponse(stored.response);
  parts.push({ type: 'response-metadata', ...response });
  stored.content.forEach((stored, i) => {
    const content = reviveContent(stored);
    const id = String(i);
    switch (content.type) {
      case 'text':
      case 'reasoning': {
        const meta = content.providerMetadata ? { providerMetadata: content.providerMetadata } : {};
        parts.push({ type: `${content.type}-start`, id, ...meta });
        for (const delta of chunked ? splitIntoChunks(content.text) : [content.text]) {
          parts.push({ type: `${content.type}-delta`, id, delta });
        }
        parts.push({ type: `${content.type}-end`, id });
        break;
      }
      case 'tool-call':
        parts.push({
          type: 'tool-input-start',
          id: content.toolCallId,
          toolName: content.toolName,
        });
        parts.push({ type: 'tool-input-delta', id: content.toolCallId, delta: content.input });
        parts.push({ type: 'tool-input-end', id: content.toolCallId });
        parts.push(content);
        break;
      default:
        parts.push(content as LanguageModelV4StreamPart);
    }
  });
  parts.push({
    type: 'finish',
    finishReason: reviveFinishReason(stored.finishReason),
    usage: reviveUsage(stored.usage),
    providerMetadata: withSemcache(stored.providerMetadata, semcache),
  });
  return parts;
}

function splitIntoChunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/gu) ?? [text];
}

/**
 * Collects stream parts into a {@link StoredResult}. `result()` is `undefined` until a `finish`
 * part arrived, and stays `undefined` for ever once an `error` part was seen.
 */
export class StreamRecorder {
  readonly #content: JsonObject[] = [];
  readonly #open = new Map<string, JsonObject>();
  #warnings: JsonValue[] = [];
  #response: StoredResult['response'] = { id: null, modelId: null, timestamp: null };
  #finish:
    | {
        finishReason: LanguageModelV4FinishReason;
        usage: LanguageModelV4Usage;
        providerMetadata?: SharedV4ProviderMetadata;
      }
    | undefined;
  #failed = false;

  /** Records one part. */
  record(part: LanguageModelV4StreamPart): void {
    switch (part.type) {
      case 'stream-start':
        this.#warnings = part.warnings.map((warning) => toJson(warning));
        break;
      case 'response-metadata':
        this.#response = {
          id: part.id ?? this.#response.id,
          modelId: part.modelId ?? this.#response.modelId,
          timestamp: isoOrNull(part.timestamp) ?? this.#response.timestamp,
        };
        break;
      case 'text-start':
      case 'reasoning-start': {
        const content: JsonObject = {
          type: part.type === 'text-start' ? 'text' : 'reasoning',
          text: '',
        };
        if (part.providerMetadata) content.providerMetadata = toJson(part.providerMetadata);
        this.#open.set(`${content.type}:${part.id}`, content);
        this.#content.push(content);
        break;
      }
      case 'text-delta':
      case 'reasoning-delta': {
        const kind = part.type === 'text-delta' ? 'text' : 'reasoning';
        let content = this.#open.get(`${kind}:${part.id}`);
        if (!content) {
          content = { type: kind, text: '' };
          this.#open.set(`${kind}:${part.id}`, content);
          this.#content.push(content);
        }
        content.text = `${content.text as string}${part.delta}`;
        break;
      }
      case 'text-end':
      case 'reasoning-end': {
        const kind = part.type === 'text-end' ? 'text' : 'reasoning';
        const content = this.#open.get(`${kind}:${part.id}`);
        if (content && part.providerMetadata)
          content.providerMetadata = toJson(part.providerMetadata);
        this.#open.delete(`${kind}:${part.id}`);
        break;
      }
      case 'tool-input-start':
      case 'tool-input-delta':
      case 'tool-input-end':
      case 'raw':
      case 'ping':
        break;
      case 'finish':
        this.#finish = {
          finishReason: part.finishReason,
          usage: part.usage,
          ...(part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}),
        };
        break;
      case 'error':
        this.#failed = true;
        break;
      default:
        this.#content.push(storeContent(part as LanguageModelV4Content));
    }
  }

  /** True once an `error` part was recorded. */
  get failed(): boolean {
    return this.#failed;
  }

  /** The finish reason, once the stream finished. */
  get finishReason(): string | undefined {
    return this.#finish?.finishReason.unified;
  }

  /** The complete result, or `undefined` if the stream has not finished or failed. */
  result(): StoredResult | undefined {
    if (!this.#finish || this.#failed) return undefined;
    return {
      content: this.#content,
      finishReason: {
        unified: this.#finish.finishReason.unified,
        raw: this.#finish.finishReason.raw ?? null,
      },
      usage: storeUsage(this.#finish.usage),
      providerMetadata: this.#finish.providerMetadata
        ? (toJson(this.#finish.providerMetadata) as JsonObject)
        : null,
      response: this.#response,
      warnings: this.#warnings,
    };
  }
}

/**
 * The {@link StoredResult} of a complete recorded stream and its finish reason; `result` is
 * `undefined` for a stream that did not finish or carried an `error` part.
 */
export function storedFromParts(parts: readonly LanguageModelV4StreamPart[]): {
  result: StoredResult | undefined;
  finishReason: string | undefined;
} {
  const recorder = new StreamRecorder();
  for (const part of parts) recorder.record(part);
  return { result: recorder.result(), finishReason: recorder.finishReason };
}

function storeContent(content: LanguageModelV4Content): JsonObject {
  if (
    (content.type === 'file' || content.type === 'reasoning-file') &&
    content.data.type === 'data'
  ) {
    const { data } = content.data;
    const stored = toJson({ ...content, data: { type: 'data' } }) as JsonObject;
    stored.data =
      typeof data === 'string'
        ? { type: 'data', string: data }
        : { type: 'data', base64: bytesToBase64(data) };
    return stored;
  }
  return toJson(content) as JsonObject;
}

// The revive functions take objects their caller owns (see OwnershipOptions) and may reuse them.
function reviveContent(stored: JsonObject): LanguageModelV4Content {
  const content = stored as Record<string, unknown>;
  if (
    (content.type === 'file' || content.type === 'reasoning-file') &&
    typeof content.data === 'object' &&
    content.data !== null
  ) {
    const data = content.data as { type: string; base64?: string; string?: string; url?: string };
    if (data.type === 'data') {
      content.data = {
        type: 'data',
        data: data.base64 !== undefined ? base64ToBytes(data.base64) : (data.string ?? ''),
      };
    } else if (data.type === 'url' && typeof data.url === 'string') {
      content.data = { ...data, url: new URL(data.url) };
    }
  }
  return content as unknown as LanguageModelV4Content;
}

function storeUsage(usage: LanguageModelV4Usage): JsonObject {
  const { raw: _raw, ...rest } = usage;
  return toJson(rest) as JsonObject;
}

function reviveUsage(stored: JsonObject): LanguageModelV4Usage {
  const usage = stored as Partial<LanguageModelV4Usage>;
  const tokens = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const input = (usage.inputTokens ?? {}) as Partial<LanguageModelV4Usage['inputTokens']>;
  const output = (usage.outputTokens ?? {}) as Partial<LanguageModelV4Usage['outputTokens']>;
  return {
    inputTokens: {
      total: tokens(input.total),
      noCache: tokens(input.noCache),
      cacheRead: tokens(input.cacheRead),
      cacheWrite: tokens(input.cacheWrite),
    },
    outputTokens: {
      total: tokens(output.total),
      text: tokens(output.text),
      reasoning: tokens(output.reasoning),
    },
  };
}

function reviveFinishReason(stored: StoredResult['finishReason']): LanguageModelV4FinishReason {
  return {
    unified: stored.unified as LanguageModelV4FinishReason['unified'],
    raw: stored.raw ?? undefined,
  };
}

function reviveResponse(stored: StoredResult['response']) {
  return {
    ...(stored.id !== null ? { id: stored.id } : {}),
    ...(stored.modelId !== null ? { modelId: stored.modelId } : {}),
    ...(stored.timestamp !== null ? { timestamp: new Date(stored.timestamp) } : {}),
  };
}

function withSemcache(stored: JsonObject | null, semcache: JsonObject): SharedV4ProviderMetadata {
  return { ...stored, semcache } as SharedV4ProviderMetadata;
}

function isoOrNull(date: Date | string | number | undefined): string | null {
  if (date === undefined) return null;
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

const contentTypes = new Set([
  'text',
  'reasoning',
  'file',
  'reasoning-file',
  'tool-call',
  'tool-result',
  'tool-approval-request',
  'source',
  'custom',
]);
const finishReasons = new Set([
  'stop',
  'length',
  'content-filter',
  'tool-calls',
  'error',
  'interrupted',
  'other',
]);

function isValidContent(part: JsonValue): boolean {
  if (typeof part !== 'object' || part === null || Array.isArray(part)) return false;
  if (typeof part.type !== 'string' || !contentTypes.has(part.type)) return false;
  if ((part.type === 'text' || part.type === 'reasoning') && typeof part.text !== 'string')
    return false;
  if (part.type === 'tool-call') {
    return (
      typeof part.toolCallId === 'string' &&
      typeof part.toolName === 'string' &&
      typeof part.input === 'string'
    );
  }
  return true;
}

/** Whether `value` has the shape of a {@link StoredResult} (entries written by another adapter are misses). */
export function isStoredResult(value: JsonValue): value is StoredResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Array.isArray(value.content) &&
    value.content.every(isValidContent) &&
    typeof value.finishReason === 'object' &&
    value.finishReason !== null &&
    !Array.isArray(value.finishReason) &&
    typeof value.finishReason.unified === 'string' &&
    finishReasons.has(value.finishReason.unified) &&
    typeof value.usage === 'object' &&
    value.usage !== null &&
    !Array.isArray(value.usage) &&
    Array.isArray(value.warnings) &&
    value.warnings.every(
      (warning) =>
        typeof warning === 'object' &&
        warning !== null &&
        !Array.isArray(warning) &&
        typeof warning.type === 'string',
    ) &&
    typeof value.response === 'object' &&
    value.response !== null
  );
}
