import type {
  CacheParams,
  CacheRequest,
  CacheResponseFormat,
  CacheScope,
  CacheTool,
  JsonObject,
  JsonValue,
} from '@semcache/core';
import { parseLlmKey } from './parse-llm-key.js';
import { parsePrompt } from './parse-prompt.js';
import { collectSecrets, stripSecrets } from './strip-secrets.js';

/**
 * Options that say how or where a call is sent, never what is answered. They are removed from
 * `llmKey` before anything is derived from it (secret-looking names are removed as well, see
 * `isSecretName`). `user`, `store`, `metadata`, `service_tier` and the prompt-cache hints are
 * here because they label or route a request without changing the answer; isolate users with the
 * `tenant` option instead.
 */
const transportOptions = new Set([
  'apiKey',
  'openAIApiKey',
  'baseURL',
  'baseUrl',
  'base_url',
  'basePath',
  'endpoint',
  'configuration',
  'clientConfig',
  'client',
  'organization',
  'project',
  'defaultHeaders',
  'defaultQuery',
  'headers',
  'timeout',
  'maxRetries',
  'max_retries',
  'maxConcurrency',
  'signal',
  'callbacks',
  'verbose',
  'cache',
  'dangerouslyAllowBrowser',
  'fetch',
  'httpAgent',
  'stream',
  'streaming',
  'stream_options',
  'streamOptions',
  'streamUsage',
  'user',
  'service_tier',
  'serviceTier',
  'prompt_cache_key',
  'promptCacheKey',
  'prompt_cache_retention',
  'promptCacheRetention',
  'safety_identifier',
  'safetyIdentifier',
  'store',
  'metadata',
  'tags',
  'runName',
  'runId',
  'run_id',
  'recursionLimit',
  'configurable',
  'promptIndex',
  'zdrEnabled',
  'azureOpenAIEndpoint',
  'azureOpenAIBasePath',
  'azureOpenAIApiInstanceName',
  'azureOpenAIApiVersion',
]);

/** Option names read into the model id. */
const modelOptions = ['model', 'model_name', 'modelName'] as const;

/** Where a model call's options land in the request, by LangChain / provider spelling. */
const paramAliases = {
  temperature: ['temperature'],
  topP: ['top_p', 'topP'],
  topK: ['top_k', 'topK'],
  maxOutputTokens: [
    'max_tokens',
    'maxTokens',
    'max_completion_tokens',
    'maxCompletionTokens',
    'max_output_tokens',
    'maxOutputTokens',
  ],
  stopSequences: ['stop', 'stopSequences', 'stop_sequences'],
  seed: ['seed'],
  presencePenalty: ['presence_penalty', 'presencePenalty'],
  frequencyPenalty: ['frequency_penalty', 'frequencyPenalty'],
  reasoning: ['reasoning', 'reasoning_effort', 'reasoningEffort'],
} as const satisfies Record<Exclude<keyof CacheParams, 'providerOptions'>, readonly string[]>;

const toolAliases = ['tools'] as const;
const toolChoiceAliases = ['tool_choice', 'toolChoice'] as const;
const responseFormatAliases = ['response_format', 'responseFormat'] as const;

/** A LangChain cache call turned into a core request. */
export interface LangChainRequest {
  request: CacheRequest;
  /** Why this call must not be cached, when it must not. */
  uncacheable?: string;
}

/**
 * Builds the core {@link CacheRequest} of one LangChain cache call from its `prompt` and `llmKey`.
 *
 * - model: `provider` is `langchain.<_type>.<chat|llm>`, `id` the `model` / `model_name` option;
 * - messages: the parsed prompt (chat models) or the whole prompt as one user message (LLMs);
 * - params: temperature, top-p/k, max tokens, stop, seed, penalties and reasoning under their
 *   core names, whatever their LangChain spelling; `tools`, `tool_choice` and `response_format`
 *   in their own fields;
 * - every other option is kept in `params.providerOptions`, because an unknown option may shape
 *   the answer — except transport options (API key, base URL, headers, timeouts, retries,
 *   streaming flags, ...), LangSmith tracing fields (`ls_*`) and anything that looks secret,
 *   which are removed first.
 *
 * Streaming and non-streaming calls of the same model get the same request.
 *
 * @throws {SemcacheError} `INVALID_REQUEST` when `llmKey` cannot be parsed.
 */
export function toCacheRequest(
  prompt: string,
  llmKey: string,
  scope?: CacheScope,
): LangChainRequest {
  const model = modelPartOf(llmKey);
  const parsed = model.isLlm ? undefined : parsePrompt(prompt);
  let params = model.params;
  if (parsed?.preamble) {
    params = {
      ...params,
      providerOptions: { ...params?.providerOptions, langchainPromptPreamble: true },
    };
  }
  const request: CacheRequest = {
    model: model.model,
    messages: parsed
      ? parsed.messages
      : [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    ...(params !== undefined ? { params } : {}),
    ...(model.tools !== undefined ? { tools: model.tools } : {}),
    ...(model.toolChoice !== undefined ? { toolChoice: model.toolChoice } : {}),
    ...(model.responseFormat !== undefined ? { responseFormat: model.responseFormat } : {}),
    ...(scope && (scope.tenant !== undefined || scope.namespace !== undefined) ? { scope } : {}),
  };
  const placeholder = mediaPlaceholder(prompt);
  return placeholder === undefined
    ? { request }
    : {
        request,
        uncacheable: `the prompt holds ${placeholder}: LangChain renders images, audio and files as placeholders, so two different attachments would share an entry`,
      };
}

/** What one `llmKey` contributes to a request; deep-frozen, because it is shared between calls. */
interface ModelPart {
  isLlm: boolean;
  model: CacheRequest['model'];
  params: CacheParams | undefined;
  tools: CacheRequest['tools'];
  toolChoice: CacheRequest['toolChoice'];
  responseFormat: CacheRequest['responseFormat'];
}

// An application sends the same few llmKeys over and over (one per model configuration), and
// parsing one and stripping its secrets costs more than the rest of a cache hit.
const modelParts = new Map<string, ModelPart>();
const maxModelParts = 256;

function modelPartOf(llmKey: string): ModelPart {
  let part = modelParts.get(llmKey);
  if (part === undefined) {
    part = deepFreeze(parseModelPart(llmKey));
    if (modelParts.size >= maxModelParts) {
      const oldest = modelParts.keys().next().value;
      if (oldest !== undefined) modelParts.delete(oldest);
    }
    modelParts.set(llmKey, part);
  }
  return part;
}

function parseModelPart(llmKey: string): ModelPart {
  const fields = parseLlmKey(llmKey);
  const knownSecrets = [...collectSecrets(fields), ...transportStrings(fields)];
  const isLlm = fields._model === 'base_llm';
  const type = typeof fields._type === 'string' && fields._type !== '' ? fields._type : 'unknown';
  const rest = new Map(Object.entries(fields));
  rest.delete('_model');
  rest.delete('_type');

  const modelId = takeModelId(rest);
  const params: CacheParams = {};
  for (const [name, aliases] of Object.entries(paramAliases) as [
    keyof typeof paramAliases,
    readonly string[],
  ][]) {
    const value = take(rest, aliases, (candidate) => paramValue(name, candidate));
    if (value !== undefined) (params as Record<string, JsonValue>)[name] = value;
  }
  const tools = take(rest, toolAliases, toCacheTools);
  const toolChoice = take(rest, toolChoiceAliases, (value) => value);
  const responseFormat = take(rest, responseFormatAliases, toResponseFormat);

  const providerOptions: JsonObject = {};
  for (const [name, value] of rest) {
    if (transportOptions.has(name) || name.startsWith('ls_') || name.startsWith('__')) continue;
    const kept = stripSecrets({ [name]: value }, knownSecrets);
    if (kept && typeof kept === 'object' && !Array.isArray(kept) && kept[name] !== undefined) {
      providerOptions[name] = kept[name];
    }
  }
  if (Object.keys(providerOptions).length > 0) params.providerOptions = providerOptions;

  return {
    isLlm,
    model: { provider: `langchain.${type}.${isLlm ? 'llm' : 'chat'}`, id: modelId },
    params: Object.keys(params).length > 0 ? params : undefined,
    tools,
    toolChoice,
    responseFormat,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}

/**
 * Finds a placeholder LangChain writes into the prompt instead of a multimodal block
 * (`[image]`, `[audio]`, `[video]`, `[file]`, or `[<block type>]`).
 */
export function mediaPlaceholder(prompt: string): string | undefined {
  return /\[(?:image|image_url|audio|input_audio|video|file|text-plain file|document|[a-z]+_[a-z_]+)\]/.exec(
    prompt,
  )?.[0];
}

function takeModelId(rest: Map<string, JsonValue>): string {
  let id: string | undefined;
  for (const name of modelOptions) {
    const value = rest.get(name);
    if (typeof value === 'string' && value !== '') {
      if (id === undefined) id = value;
      if (value === id) rest.delete(name);
    }
  }
  return id ?? 'unknown';
}

/**
 * Takes the first alias that converts; drops the other aliases when they agree with it and keeps
 * them (in `rest`, hence in providerOptions) when they differ, so nothing that shapes the answer
 * is lost.
 */
function take<T>(
  rest: Map<string, JsonValue>,
  aliases: readonly string[],
  convert: (value: JsonValue) => T | undefined,
): T | undefined {
  let result: T | undefined;
  let source: string | undefined;
  for (const alias of aliases) {
    const value = rest.get(alias);
    if (value === undefined || value === null) {
      rest.delete(alias);
      continue;
    }
    const converted = convert(value);
    if (converted === undefined) continue;
    if (result === undefined) {
      result = converted;
      source = JSON.stringify(value);
      rest.delete(alias);
    } else if (JSON.stringify(value) === source) {
      rest.delete(alias);
    }
  }
  return result;
}

function paramValue(name: keyof typeof paramAliases, value: JsonValue): JsonValue | undefined {
  switch (name) {
    case 'stopSequences':
      if (typeof value === 'string') return [value];
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? value
        : undefined;
    case 'reasoning':
      return value;
    default:
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
}

function toCacheTools(value: JsonValue): CacheTool[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((tool, index): CacheTool => {
    if (tool === null || typeof tool !== 'object' || Array.isArray(tool)) {
      return { name: `tool-${index}`, definition: tool };
    }
    const fn = tool.function;
    if (tool.type === 'function' && fn !== null && typeof fn === 'object' && !Array.isArray(fn)) {
      const { name, description, parameters, ...other } = fn;
      const { type: _type, function: _function, ...outer } = tool;
      return {
        ...outer,
        ...other,
        name: typeof name === 'string' ? name : `tool-${index}`,
        ...(description === undefined ? {} : { description: String(description) }),
        ...(parameters === undefined ? {} : { inputSchema: parameters }),
      };
    }
    const { name, description, input_schema, parameters, schema, ...other } = tool;
    const inputSchema = input_schema ?? parameters ?? schema;
    return {
      ...other,
      name: typeof name === 'string' ? name : `tool-${index}`,
      ...(description === undefined ? {} : { description: String(description) }),
      ...(inputSchema === undefined ? {} : { inputSchema }),
    };
  });
}

function toResponseFormat(value: JsonValue): CacheResponseFormat | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (value.type === 'text' && keys.length === 1) return { type: 'text' };
  if (value.type === 'json_object' && keys.length === 1) return { type: 'json' };
  const spec = value.json_schema;
  if (
    value.type === 'json_schema' &&
    keys.length === 2 &&
    spec &&
    typeof spec === 'object' &&
    !Array.isArray(spec)
  ) {
    const { name, description, schema, strict, ...other } = spec;
    // `strict` has no place in the core format; such formats stay whole in providerOptions.
    if (Object.keys(other).length > 0 || strict !== undefined) return undefined;
    return {
      type: 'json',
      ...(schema === undefined ? {} : { schema }),
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    };
  }
  return undefined;
}

/** String values of transport options (base URLs, organisation ids) that must not leak either. */
function transportStrings(fields: Record<string, JsonValue>): string[] {
  const found: string[] = [];
  for (const name of [
    'baseURL',
    'baseUrl',
    'base_url',
    'basePath',
    'endpoint',
    'azureOpenAIEndpoint',
  ]) {
    const value = fields[name];
    if (typeof value === 'string' && value.length >= 8) found.push(value);
  }
  const configuration = fields.configuration;
  if (configuration && typeof configuration === 'object' && !Array.isArray(configuration)) {
    const baseURL = configuration.baseURL;
    if (typeof baseURL === 'string' && baseURL.length >= 8) found.push(baseURL);
  }
  return found;
}
