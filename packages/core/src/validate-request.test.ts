import { expect, test } from 'vitest';
import { validateCacheRequest } from './validate-request.js';

test('accepts string contents as text parts', () => {
  const request = validateCacheRequest({
    model: { provider: 'p', id: 'm' },
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(request.messages[0]!.content).toEqual([{ type: 'text', text: 'hi' }]);
});

test.each([
  [null, /request must be an object/],
  [{ model: 'gpt', messages: [] }, /model must be/],
  [{ model: { provider: 'p', id: 'm' }, messages: {} }, /messages must be an array/],
  [
    {
      model: { provider: 'p', id: 'm' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 1 }] }],
    },
    /messages\[0\]\.content\[0\]\.text must be a string/,
  ],
  [
    {
      model: { provider: 'p', id: 'm' },
      messages: [{ role: 'user', content: [{ type: 'video' }] }],
    },
    /unknown part type "video"/,
  ],
  [
    { model: { provider: 'p', id: 'm' }, messages: [], params: { topP: Number.POSITIVE_INFINITY } },
    /params\.topP must be a finite number/,
  ],
  [
    { model: { provider: 'p', id: 'm' }, messages: [], params: { stopSequences: [1] } },
    /stopSequences/,
  ],
  [
    { model: { provider: 'p', id: 'm' }, messages: [], scope: { tenant: 5 } },
    /scope\.tenant must be a string/,
  ],
])('rejects malformed requests with a message naming the field (%#)', (request, message) => {
  expect(() => validateCacheRequest(request)).toThrow(message);
});
