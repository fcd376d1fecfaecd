import { expect, test } from 'vitest';
import { CacheEventEmitter } from './events.js';

test('listeners receive payloads, can unsubscribe, and a throwing listener does not stop the others', () => {
  const reported: unknown[] = [];
  const emitter = new CacheEventEmitter((error) => reported.push(error));
  const seen: string[] = [];
  emitter.on('store', () => {
    throw new Error('bad listener');
  });
  const off = emitter.on('store', (event) => seen.push(event.key));
  expect(emitter.hasListeners('store')).toBe(true);
  emitter.emit('store', { key: 'a', bytes: 1, ttlMs: 1 });
  off();
  emitter.emit('store', { key: 'b', bytes: 1, ttlMs: 1 });
  expect(seen).toEqual(['a']);
  expect(reported).toHaveLength(2);
});
