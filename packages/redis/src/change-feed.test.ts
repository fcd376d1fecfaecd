import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ChangeFeed,
  type ChangeRecord,
  changeFields,
  compareStreamIds,
  missedRecords,
  parseChange,
} from './change-feed.js';
import { duplicateConnection } from './redis-client.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client();
  await client.ping();
}, 20_000);
afterAll(async () => server.stop());

const toBuffers = (fields: (string | Buffer)[]) =>
  fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)));

describe('change records', () => {
  test('round-trip through stream fields', () => {
    const records: ChangeRecord[] = [
      {
        op: 'add',
        namespace: 'n:1',
        generation: 1_795_836_152_736,
        key: 'k',
        header: Buffer.from([0xf5, 1, 2]),
      },
      { op: 'delete', namespace: '客户', generation: 3, key: 'k2' },
      { op: 'generation', namespace: 'docs', generation: 42 },
    ];
    for (const record of records)
      expect(parseChange(toBuffers(changeFields(record)))).toEqual(record);
    expect(parseChange(toBuffers(['o', 'x', 'n', 'a', 'g', '1', 'k', 'k']))).toBeUndefined();
    expect(parseChange(toBuffers(['o', 'a', 'n', 'a', 'g', '1', 'k', 'k']))).toBeUndefined();
  });

  test('stream ids compare by time, then sequence', () => {
    expect(compareStreamIds('1-0', '1-0')).toBe(0);
    expect(compareStreamIds('2-0', '10-0')).toBe(-1);
    expect(compareStreamIds('5-10', '5-9')).toBe(1);
    expect(missedRecords(['max-deleted-entry-id', '7-0'], '6-5')).toBe(true);
    expect(missedRecords({ 'max-deleted-entry-id': '7-0' }, '7-0')).toBe(false);
    expect(missedRecords(undefined, '0-0')).toBe(false);
  });
});

describe('ChangeFeed', () => {
  test('delivers records appended after its start, in order, and survives a reconnect', async () => {
    const stream = `feed-${Date.now()}`;
    await client.xadd(
      stream,
      '*',
      ...changeFields({ op: 'generation', namespace: 'before', generation: 1 }),
    );
    const start = (await client.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] as string;
    const received: ChangeRecord[] = [];
    const connection = duplicateConnection(client, 'test-feed');
    const feed = new ChangeFeed({
      connection,
      stream,
      blockMs: 200,
      onRecords: (records) => received.push(...records),
      onError: () => {},
    });
    feed.start(start);
    try {
      for (let i = 0; i < 3; i++) {
        await client.xadd(
          stream,
          '*',
          ...changeFields({ op: 'delete', namespace: 'n', generation: 1, key: `k${i}` }),
        );
      }
      await until(() => received.length === 3);
      expect(received.map((r) => (r.op === 'delete' ? r.key : r.op))).toEqual(['k0', 'k1', 'k2']);

      connection.disconnect(true);
      await client.xadd(
        stream,
        '*',
        ...changeFields({ op: 'delete', namespace: 'n', generation: 1, key: 'while-away' }),
      );
      await until(() => received.length === 4);
      expect(received[3]).toMatchObject({ key: 'while-away' });
    } finally {
      await feed.stop();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
