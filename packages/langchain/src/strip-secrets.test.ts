import { describe, expect, test } from 'vitest';
import {
  collectSecrets,
  isSecretName,
  looksLikeCredential,
  stripSecrets,
} from './strip-secrets.js';

describe('isSecretName', () => {
  test.each([
    'apiKey',
    'openAIApiKey',
    'azureOpenAIApiKey',
    'api_key',
    'x-api-key',
    'secret',
    'clientSecret',
    'accessToken',
    'token',
    'password',
    'Authorization',
    'azureADTokenProvider',
    'sessionId',
    'cookie',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  test.each([
    'max_tokens',
    'maxTokens',
    'max_completion_tokens',
    'top_k',
    'temperature',
    'tool_choice',
    'logprobs',
    'monkey',
  ])('%s is not secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe('looksLikeCredential', () => {
  test.each([
    'sk-proj-abcdefghijklmnopqrstuvwx',
    'Bearer abcdefghijklmnop',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
    'AKIAABCDEFGHIJKLMNOP',
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  ])('%s looks like a credential', (value) => {
    expect(looksLikeCredential(value)).toBe(true);
  });

  test.each(['gpt-4.1', 'sk', 'hello world', 'json_schema'])('%s does not', (value) => {
    expect(looksLikeCredential(value)).toBe(false);
  });
});

describe('stripSecrets', () => {
  test('removes secret fields at any depth and strings holding known secrets', () => {
    const value = {
      reasoning: { effort: 'low' },
      headers: {
        Authorization: 'Bearer abcdefghijklmnop',
        'x-trace': 'copy of hunter2-secret-value',
      },
      nested: [{ apiKey: 'k' }, 'sk-proj-abcdefghijklmnopqrstuvwx', 'kept'],
    };
    expect(stripSecrets(value, ['hunter2-secret-value'])).toEqual({
      reasoning: { effort: 'low' },
      headers: {},
      nested: [{}, 'kept'],
    });
  });

  test('collectSecrets finds values under secret names', () => {
    expect(
      collectSecrets({
        apiKey: 'abcdefgh123',
        a: { password: 'longenough' },
        short: { token: 'x' },
      }),
    ).toEqual(['abcdefgh123', 'longenough']);
  });
});
