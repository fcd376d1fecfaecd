import { describe, expect, test } from 'vitest';
import { sampleFromSchema } from './schema-sample.js';

describe('sampleFromSchema', () => {
  test('generates every declared and required property, recursively', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        score: { type: 'number', maximum: 10 },
        active: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        address: {
          type: 'object',
          properties: { city: { type: 'string' }, zip: { type: ['string', 'null'] } },
          required: ['city'],
        },
      },
      required: ['name', 'age', 'extra'],
    };
    expect(sampleFromSchema(schema, { seed: 'abcd1234' })).toEqual({
      name: 'mock-name-abcd1234',
      age: 42,
      score: 10,
      active: true,
      tags: ['mock-tags-abcd1234'],
      address: { city: 'mock-city-abcd1234', zip: 'mock-zip-abcd1234' },
      extra: 'mock-extra-abcd1234',
    });
  });

  test('honours enum, const, formats, bounds and string lengths', () => {
    const schema = {
      type: 'object',
      properties: {
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        kind: { const: 'weather' },
        when: { type: 'string', format: 'date-time' },
        small: { type: 'integer', exclusiveMaximum: 5 },
        big: { type: 'number', minimum: 100 },
        code: { type: 'string', minLength: 20, maxLength: 25 },
        pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'boolean' }] },
        many: { type: 'array', items: { type: 'null' }, minItems: 2 },
      },
    };
    const value = sampleFromSchema(schema) as Record<string, unknown>;
    expect(value).toMatchObject({
      unit: 'celsius',
      kind: 'weather',
      when: '2024-01-01T00:00:00Z',
      small: 4,
      big: 100,
      pair: [42, true],
      many: [null, null],
    });
    expect(String(value.code).length).toBeGreaterThanOrEqual(20);
  });

  test('resolves local $refs and picks the first non-null anyOf branch', () => {
    const schema = {
      type: 'object',
      properties: {
        item: { $ref: '#/$defs/item' },
        maybe: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
        merged: {
          allOf: [
            { type: 'object', properties: { a: { type: 'boolean' } } },
            { type: 'object', properties: { b: { type: 'integer' } } },
          ],
        },
      },
      $defs: { item: { type: 'object', properties: { id: { type: 'integer' } } } },
    };
    expect(sampleFromSchema(schema)).toEqual({
      item: { id: 42 },
      maybe: 42,
      merged: { a: true, b: 42 },
    });
  });

  test('applies stringFor to plain string properties at any depth', () => {
    const schema = {
      type: 'object',
      properties: {
        location: { type: 'string' },
        nested: { type: 'object', properties: { city: { type: 'string' } } },
        unit: { type: 'string', enum: ['c'] },
      },
    };
    const stringFor = (key: string) => (key === 'city' || key === 'location' ? 'Paris' : undefined);
    expect(sampleFromSchema(schema, { stringFor })).toEqual({
      location: 'Paris',
      nested: { city: 'Paris' },
      unit: 'c',
    });
  });

  test('survives self-referencing schemas and non-schema input', () => {
    const schema = { $ref: '#' };
    expect(typeof sampleFromSchema(schema)).toBe('string');
    expect(sampleFromSchema(undefined)).toBe('mock-value');
  });
});
