import { describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import { startRedisServer } from './testing.js';
import { isUnknownCommand, VectorSetSupport } from './vector-set-support.js';

describe('VectorSetSupport', () => {
  test('a server without vector sets (the redis-server on PATH, Redis 7) says no; the answer is forgotten on reconnect', async () => {
    const server = await startRedisServer({ useEnvUrl: false });
    try {
      const client = server.client({ maxRetriesPerRequest: 1, retryStrategy: () => 20 });
      await client.ping();
      const version = /redis_version:(\d+)/.exec(await client.info('server'))?.[1];
      const support = new VectorSetSupport(client, new CommandGate(client, 100));
      expect(await support.supported()).toBe(Number(version) >= 8);
      expect(support.known).toBe(Number(version) >= 8);
      const ready = new Promise((resolve) => client.once('ready', resolve));
      await server.kill();
      await server.restart();
      await ready;
      expect(support.known).toBeUndefined();
      expect(await support.supported()).toBe(Number(version) >= 8);
      support.close();
    } finally {
      await server.stop();
    }
  });

  test('a probe while Redis is away rejects and caches nothing', async () => {
    const server = await startRedisServer({ useEnvUrl: false });
    try {
      const client = server.client({ maxRetriesPerRequest: 1, retryStrategy: () => 20 });
      await client.ping();
      const support = new VectorSetSupport(client, new CommandGate(client, 100));
      await server.kill();
      await expect(support.supported()).rejects.toThrow();
      expect(support.known).toBeUndefined();
      support.close();
    } finally {
      await server.stop();
    }
  });

  test('isUnknownCommand', () => {
    expect(
      isUnknownCommand(new Error("ERR unknown command 'VSIM', with args beginning with:")),
    ).toBe(true);
    expect(isUnknownCommand(new Error('WRONGTYPE'))).toBe(false);
  });
});
