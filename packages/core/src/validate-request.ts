import type { CacheMessage, CachePart, CacheRequest } from './cache-request.js';
import { describeValue, SemcacheError } from './errors.js';
import type { JsonObject } from './json.js';

const roles = new Set(['system', 'user', 'assistant', 'tool']);
const numericParams = [
  'temperature',
  'topP',
  'topK',
  'maxOutputTokens',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
] as const;

/**
 * Checks that `request` has the shape of a {@link CacheRequest} and returns it with string message
 * contents turned into text parts. Data that cannot be hashed (NaN, circular references) is
 * reported by the key derivation with its path.
 *
 * @throws {SemcacheError} `INVALID_REQUEST` with a message naming the offending field.
 */
export function validateCacheRequest(request: unknown): CacheRequest {
  if (!isRecord(request)) fail('request', 'must be an object');
  const { model, messages, params } = request;
  if (
    !isRecord(model) ||
    typeof model.provider !== 'string' ||
    typeof model.id !== 'string' ||
    model.id === ''
  ) {
    fail('model', 'must be { provider: string, id: string } with a non-empty id');
  }
  if (!Array.isArray(messages)) fail('messages', 'must be an array');
  const normalizedMessages = messages.map((message, i) =>
    validateMessage(message, `messages[${i}]`),
  );
  if (params !== undefined) {
    if (!isRecord(params)) fail('params', 'must be an object');
    for (const name of numericParams) {
      const value = params[name];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
        fail(`params.${name}`, `must be a finite number or undefined, got ${describeValue(value)}`);
      }
    }
    const stop = params.stopSequences;
    if (stop !== undefined && (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string'))) {
      fail('params.stopSequences', 'must be an array of strings');
    }
  }
  if (request.tools !== undefined && !Array.isArray(request.tools))
    fail('tools', 'must be an array');
  const scope = request.scope;
  if (scope !== undefined) {
    if (!isRecord(scope)) fail('scope', 'must be an object');
    for (const field of ['tenant', 'namespace'] as const) {
      if (scope[field] !== undefined && typeof scope[field] !== 'string') {
        fail(`scope.${field}`, 'must be a string');
      }
    }
  }
  return { ...(request as unknown as CacheRequest), messages: normalizedMessages };
}

function validateMessage(message: unknown, path: string): CacheMessage {
  if (!isRecord(message)) fail(path, 'must be an object');
  if (typeof message.role !== 'string' || !roles.has(message.role)) {
    fail(
      `${path}.role`,
      `must be one of system, user, assistant, tool; got ${describeValue(message.role)}`,
    );
  }
  const role = message.role as CacheMessage['role'];
  const { content } = message;
  const providerOptions =
    message.providerOptions === undefined
      ? {}
      : { providerOptions: message.providerOptions as JsonObject };
  if (typeof content === 'string')
    return { role, content: [{ type: 'text', text: content }], ...providerOptions };
  if (!Array.isArray(content)) fail(`${path}.content`, 'must be a string or an array of parts');
  return {
    role,
    content: content.map((part, i) => validatePart(part, `${path}.content[${i}]`)),
    ...providerOptions,
  };
}

function validatePart(part: unknown, path: string): CachePart {
  if (!isRecord(part)) fail(path, 'must be an object');
  switch (part.type) {
    case 'text':
    case 'reasoning':
      if (typeof part.text !== 'string')
        fail(`${path}.text`, `must be a string, got ${typeof part.text}`);
      break;
    case 'file':
      if (typeof part.mediaType !== 'string' || typeof part.data !== 'string') {
        fail(path, 'a file part needs string mediaType and data (base64, data URL or URL)');
      }
      break;
    case 'tool-call':
    case 'tool-result':
      if (typeof part.toolCallId !== 'string' || typeof part.toolName !== 'string') {
        fail(path, `a ${part.type} part needs string toolCallId and toolName`);
      }
      break;
    default:
      fail(`${path}.type`, `unknown part type ${describeValue(part.type)}`);
  }
  return part as CachePart;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, problem: string): never {
  throw new SemcacheError('INVALID_REQUEST', `Invalid cache request: ${path} ${problem}.`);
}
