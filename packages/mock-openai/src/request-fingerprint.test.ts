import { describe, expect, test } from 'vitest';
import { requestFingerprint } from './request-fingerprint.js';

const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };

describe('requestFingerprint', () => {
  test('is 8 hex chars and ignores key order and delivery fields', () => {
    const fp = requestFingerprint(body);
    expect(fp).toMatch(/^[0-9a-f]{8}$/);
    expect(
      requestFingerprint({
        temperature: 0,
        messages: body.messages,
        model: 'm',
        stream: true,
        stream_options: { include_usage: true },
        user: 'u1',
      }),
    ).toBe(fp);
  });

  test('changes with any output-shaping field', () => {
    const fp = requestFingerprint(body);
    expect(requestFingerprint({ ...body, temperature: 1 })).not.toBe(fp);
    expect(requestFingerprint({ ...body, seed: 1 })).not.toBe(fp);
    expect(
      requestFingerprint({
        ...body,
        messages: [{ role: 'system', content: 'x' }, ...body.messages],
      }),
    ).not.toBe(fp);
  });
});
