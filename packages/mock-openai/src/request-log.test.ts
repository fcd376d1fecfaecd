import { describe, expect, test } from 'vitest';
import { type MockRequestLogEntry, RequestLog } from './request-log.js';

const entry = (path: string): MockRequestLogEntry => ({
  method: 'POST',
  path,
  headers: {},
  body: undefined,
  rawBody: '',
  receivedAt: 0,
});

describe('RequestLog', () => {
  test('counts by route and records entries', () => {
    const log = new RequestLog();
    log.record('chat', false, entry('/v1/chat/completions'));
    log.record('chat', true, entry('/v1/chat/completions'));
    log.record('embeddings', false, entry('/v1/embeddings'));
    log.record('models', false, entry('/v1/models'));
    log.record('unknown', false, entry('/nope'));
    expect(log.counts).toEqual({ chat: 1, chatStream: 1, embeddings: 1, models: 1, total: 5 });
    expect(log.entries.map((e) => e.path)).toEqual([
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/embeddings',
      '/v1/models',
      '/nope',
    ]);
  });

  test('returns snapshots and resets', () => {
    const log = new RequestLog();
    const before = log.counts;
    log.record('chat', false, entry('/x'));
    expect(before.total).toBe(0);
    log.reset();
    expect(log.counts.total).toBe(0);
    expect(log.entries).toEqual([]);
  });
});
