import { isJsonObject, type JsonObject } from './json.js';

/** Options for {@link sampleFromSchema}. */
export interface SchemaSampleOptions {
  /** Appended to generated strings, so different requests with the same schema differ. */
  seed?: string;
  /**
   * A fixed value for a plain string property, by property name (e.g. `city` → `"Paris"`);
   * return `undefined` to fall back to the generated string.
   */
  stringFor?: (propertyName: string) => string | undefined;
}

const maxDepth = 24;

const formatSamples: Readonly<Record<string, string>> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  email: 'mock@example.com',
  uri: 'https://example.com/mock',
  url: 'https://example.com/mock',
  uuid: '00000000-0000-4000-8000-000000000000',
  ipv4: '127.0.0.1',
  hostname: 'example.com',
};

interface SampleContext {
  root: unknown;
  options: SchemaSampleOptions;
}

/**
 * Generates a small value that validates against a JSON Schema: strings are deterministic
 * (`mock-<property>-<seed>`, or a sample for known formats), numbers 42 (clamped to the bounds),
 * booleans `true`, arrays one item (or `minItems`), objects every declared property, recursively.
 * `const`, `enum` (first value), `anyOf`/`oneOf` (first non-null branch), `allOf` (merged) and
 * local `$ref`s are honoured; anything unrecognised yields a string.
 */
export function sampleFromSchema(schema: unknown, options: SchemaSampleOptions = {}): unknown {
  return sample(schema, { root: schema, options }, 'value', 0);
}

function sample(schema: unknown, ctx: SampleContext, label: string, depth: number): unknown {
  if (!isJsonObject(schema) || depth > maxDepth) return mockString({}, ctx, label);
  if (typeof schema.$ref === 'string') {
    return sample(resolveRef(ctx.root, schema.$ref), ctx, label, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (Array.isArray(branches) && branches.length > 0) {
    const branch = branches.find((b) => !(isJsonObject(b) && b.type === 'null')) ?? branches[0];
    return sample(branch, ctx, label, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const parts = schema.allOf.map((part) => sample(part, ctx, label, depth + 1));
    return parts.every(isJsonObject) ? Object.assign({}, ...parts) : parts[0];
  }
  switch (schemaType(schema)) {
    case 'null':
      return null;
    case 'boolean':
      return true;
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'array':
      return sampleArray(schema, ctx, label, depth);
    case 'object':
      return sampleObject(schema, ctx, depth);
    default:
      return mockString(schema, ctx, label);
  }
}

function schemaType(schema: JsonObject): string {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const first = type.find((t) => t !== 'null') ?? type[0];
    if (typeof first === 'string') return first;
  }
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) {
    return 'object';
  }
  if ('items' in schema || 'prefixItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema) return 'number';
  return 'string';
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    node = isJsonObject(node) ? node[key] : undefined;
  }
  return node;
}

function mockString(schema: JsonObject, ctx: SampleContext, label: string): string {
  const format = typeof schema.format === 'string' ? formatSamples[schema.format] : undefined;
  let text = format ?? `mock-${label}${ctx.options.seed ? `-${ctx.options.seed}` : ''}`;
  const { minLength, maxLength } = schema;
  if (typeof minLength === 'number' && text.length < minLength) text = text.padEnd(minLength, 'x');
  if (typeof maxLength === 'number' && text.length > maxLength) text = text.slice(0, maxLength);
  return text;
}

function sampleNumber(schema: JsonObject, integer: boolean): number {
  const step = integer ? 1 : 0.5;
  const lower =
    numberOrUndefined(schema.minimum) ??
    addOrUndefined(numberOrUndefined(schema.exclusiveMinimum), step);
  const upper =
    numberOrUndefined(schema.maximum) ??
    addOrUndefined(numberOrUndefined(schema.exclusiveMaximum), -step);
  let value = 42;
  if (lower !== undefined && value < lower) value = lower;
  if (upper !== undefined && value > upper) value = upper;
  const multipleOf = numberOrUndefined(schema.multipleOf);
  if (multipleOf !== undefined && multipleOf > 0)
    value = Math.ceil(value / multipleOf) * multipleOf;
  return integer ? Math.ceil(value) : value;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function addOrUndefined(value: number | undefined, delta: number): number | undefined {
  return value === undefined ? undefined : value + delta;
}

function sampleArray(schema: JsonObject, ctx: SampleContext, label: string, depth: number) {
  const { items, prefixItems, minItems, maxItems } = schema;
  const tuple = Array.isArray(prefixItems) ? prefixItems : Array.isArray(items) ? items : undefined;
  if (tuple) return tuple.map((item) => sample(item, ctx, label, depth + 1));
  let count = Math.max(1, typeof minItems === 'number' ? minItems : 0);
  if (typeof maxItems === 'number') count = Math.min(count, maxItems);
  return Array.from({ length: count }, () => sample(items, ctx, label, depth + 1));
}

function sampleObject(schema: JsonObject, ctx: SampleContext, depth: number): JsonObject {
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required)
    ? schema.required.filter((key): key is string => typeof key === 'string')
    : [];
  const result: JsonObject = {};
  for (const key of new Set([...Object.keys(properties), ...required])) {
    const property = properties[key];
    const fixed = isPlainString(property) ? ctx.options.stringFor?.(key) : undefined;
    result[key] = fixed ?? sample(property, ctx, key, depth + 1);
  }
  return result;
}

function isPlainString(schema: unknown): boolean {
  if (!isJsonObject(schema) || 'enum' in schema || 'const' in schema || 'format' in schema) {
    return false;
  }
  const { type } = schema;
  return type === 'string' || (Array.isArray(type) && type.includes('string'));
}
