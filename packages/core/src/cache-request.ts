import type { JsonObject, JsonValue } from './json.js';

/**
 * A part of a message, normalised from any framework's message format. `providerOptions` holds
 * part-level provider settings that shape the answer (e.g. image detail).
 */
export type CachePart = (
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | {
      type: 'file';
      mediaType: string;
      /** Base64 data, a data URL or a URL. */
      data: string;
      filename?: string;
    }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: JsonValue }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: JsonValue }
) & { providerOptions?: JsonObject };

/** One message of the conversation sent to the model. */
export interface CacheMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: CachePart[];
  /** Message-level provider settings that shape the answer. */
  providerOptions?: JsonObject;
}

/** A tool the model may call; everything here shapes the answer. */
export interface CacheTool {
  name: string;
  description?: string;
  /** JSON Schema of the tool input. */
  inputSchema?: JsonValue;
  /** Any other tool field that shapes the answer (provider tools, strict mode, ...). */
  [field: string]: JsonValue | undefined;
}

/** Every option that shapes the model's output. Volatile transport options never belong here. */
export interface CacheParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Reasoning effort or budget, as the framework expresses it. */
  reasoning?: JsonValue;
  /** Provider options that shape output (after the adapter's allow-list). */
  providerOptions?: JsonObject;
}

/** Output format: free text or JSON, optionally constrained by a schema. */
export type CacheResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: JsonValue; name?: string; description?: string };

/** Who an entry belongs to. Entries never cross scopes, exact or semantic. */
export interface CacheScope {
  /** Isolates users or customers of a multi-tenant app. */
  tenant?: string;
  /** Groups entries for invalidation; defaults to `'default'`. */
  namespace?: string;
}

/**
 * A model call in a framework-neutral form. Adapters build it; the core derives keys from it.
 * It must hold everything that shapes the answer and nothing volatile (headers, abort signals,
 * request ids, API keys, base URLs).
 */
export interface CacheRequest {
  model: { provider: string; id: string };
  messages: CacheMessage[];
  params?: CacheParams;
  tools?: CacheTool[];
  toolChoice?: JsonValue;
  responseFormat?: CacheResponseFormat;
  scope?: CacheScope;
}
