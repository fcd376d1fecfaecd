import { describe, expect, test } from 'vitest';
import { mockErrorStatuses, openAIErrorBody } from './openai-error.js';

describe('openAIErrorBody', () => {
  test('gives every injectable status an OpenAI-style body', () => {
    for (const status of mockErrorStatuses) {
      const { error } = openAIErrorBody(status);
      expect(error.message.length).toBeGreaterThan(0);
      expect(error.type.length).toBeGreaterThan(0);
      expect(error.code).toEqual(expect.any(String));
      expect(error.param).toBeNull();
    }
  });

  test('uses known codes and accepts a custom message and param', () => {
    expect(openAIErrorBody(401).error.code).toBe('invalid_api_key');
    expect(openAIErrorBody(429).error.code).toBe('rate_limit_exceeded');
    expect(openAIErrorBody(400, 'bad model', 'model').error).toEqual({
      message: 'bad model',
      type: 'invalid_request_error',
      param: 'model',
      code: 'invalid_request',
    });
    expect(openAIErrorBody(418).error.type).toBe('server_error');
  });
});
