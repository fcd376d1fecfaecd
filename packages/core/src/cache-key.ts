import type { CacheMessage, CachePart, CacheRequest } from './cache-request.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './hash.js';

/** Version of the key schema; part of every key, so a change never reads old entries. */
export const keySchemaVersion = 'v1';

/** Which text a semantic match compares. */
export type SemanticTextPolicy = 'last-user' | 'conversation';

/** Options of {@link deriveCacheKeys}. */
export interface CacheKeyOptions {
  /** Default `'last-user'`. */
  semanticText?: SemanticTextPolicy;
  /** Longer semantic texts are matched exactly only (never semantically). Default `2000`. */
  maxSemanticTextChars?: number;
}

/** Everything the cache derives from one request. */
export interface CacheKeys {
  /** SHA-256 of the whole request (canonical JSON). Equal keys mean equal requests. */
  exactKey: string;
  /**
   * SHA-256 of all but the text that is matched semantically; semantic hits stay inside it.
   * Computed on first read (an exact hit never reads it).
   */
  readonly contextKey: string;
  /** Text compared semantically; `undefined` when the request cannot be matched semantically. */
  semanticText: string | undefined;
  namespace: string;
  tenant: string | undefined;
  /** Length of the canonical request, for size limits. */
  size: number;
}

/**
 * Derives the exact key, the context key and the semantic text of a request.
 *
 * Only what shapes the answer is hashed: model, messages, output params, tools, tool choice,
 * response format and scope. Tool call ids are replaced by their order of appearance, because
 * providers generate them at random and they do not change the answer.
 *
 * Semantic matching applies only when the text to match is plain text: with `'last-user'` the
 * final message must be a user message of text parts only; with `'conversation'` every user and
 * assistant message must be text only.
 */
export function deriveCacheKeys(request: CacheRequest, options: CacheKeyOptions = {}): CacheKeys {
  const policy = options.semanticText ?? 'last-user';
  const maxChars = options.maxSemanticTextChars ?? 2000;
  const namespace = request.scope?.namespace ?? 'default';
  const tenant = request.scope?.tenant;
  const messages = renumberToolCalls(request.messages);
  const base = {
    schema: keySchemaVersion,
    model: { provider: request.model.provider, id: request.model.id },
    params: request.params,
    tools: request.tools,
    toolChoice: request.toolChoice,
    responseFormat: request.responseFormat,
    // Scope ids are compared code unit by code unit, never Unicode-normalised: two tenants whose
    // names are canonically equivalent are still two tenants.
    scope: {
      tenant: tenant === undefined ? undefined : codeUnits(tenant),
      namespace: codeUnits(namespace),
    },
  };
  const exactJson = canonicalJson({ ...base, messages });
  const exactKey = sha256Hex(`exact:${exactJson}`);

  let semanticText: string | undefined;
  let contextMaterial: unknown;
  if (policy === 'conversation') {
    const system = messages.filter((m) => m.role === 'system');
    const turns = messages.filter((m) => m.role !== 'system');
    const texts = turns.map((m) => textOnly(m));
    semanticText =
      texts.every((t) => t !== undefined) && turns.at(-1)?.role === 'user'
        ? turns.map((m, i) => `${m.role}: ${texts[i]}`).join('\n')
        : undefined;
    const extras = turns.map(beyondText);
    contextMaterial = {
      ...base,
      policy,
      system,
      ...(extras.some((extra) => extra !== undefined) ? { turnExtras: extras } : {}),
    };
  } else {
    const last = messages.at(-1);
    semanticText = last?.role === 'user' ? textOnly(last) : undefined;
    // Whatever the final message holds besides its text (its provider options, part options)
    // shapes the answer too: semantic hits must agree on it.
    const extra = last ? beyondText(last) : undefined;
    contextMaterial = {
      ...base,
      policy,
      messages: messages.slice(0, -1),
      ...(extra === undefined ? {} : { lastExtra: extra }),
    };
  }
  if (semanticText !== undefined) {
    semanticText = semanticText.trim();
    if (semanticText === '' || semanticText.length > maxChars) semanticText = undefined;
  }
  // An exact hit never needs the context key, so it is hashed on first use. The context material
  // is part of the exact material, which has already serialised, so hashing it later cannot throw.
  let contextKey: string | undefined;
  return {
    exactKey,
    get contextKey() {
      contextKey ??= sha256Hex(`context:${canonicalJson(contextMaterial)}`);
      return contextKey;
    },
    semanticText,
    namespace,
    tenant,
    size: exactJson.length,
  };
}

function codeUnits(id: string): string {
  return Buffer.from(id, 'utf16le').toString('hex');
}

/**
 * What a message holds besides the text the semantic match compares: its provider options and
 * every part field other than `type` and `text`; `undefined` when there is nothing else (so plain
 * requests keep the context keys they always had).
 */
function beyondText(message: CacheMessage): unknown {
  const parts = message.content.map((part) => {
    const { type: _type, text: _text, ...rest } = part as { type: string; text?: string };
    return Object.keys(rest).length > 0 ? rest : undefined;
  });
  const hasParts = parts.some((part) => part !== undefined);
  if (message.providerOptions === undefined && !hasParts) return undefined;
  return { providerOptions: message.providerOptions, parts: hasParts ? parts : undefined };
}

function textOnly(message: CacheMessage): string | undefined {
  const texts: string[] = [];
  for (const part of message.content) {
    if (part.type !== 'text') return undefined;
    texts.push(part.text);
  }
  return texts.join('\n');
}

function renumberToolCalls(messages: readonly CacheMessage[]): CacheMessage[] {
  const ids = new Map<string, string>();
  const rename = (id: string) => {
    let renamed = ids.get(id);
    if (renamed === undefined) {
      renamed = `call_${ids.size}`;
      ids.set(id, renamed);
    }
    return renamed;
  };
  return messages.map((message) => ({
    ...message,
    content: message.content.map(
      (part): CachePart =>
        part.type === 'tool-call' || part.type === 'tool-result'
          ? { ...part, toolCallId: rename(part.toolCallId) }
          : part,
    ),
  }));
}
