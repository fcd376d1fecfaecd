import { isSemcacheError } from '@semcache/core/internal';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
}, 20_000);
afterAll(async () => server.stop());

describe('CommandGate', () => {
  test('lets commands through while the client is ready', async () => {
    const client = server.client();
    await client.ping();
    const gate = new CommandGate(client, 10);
    expect(await gate.run('ping', () => client.ping())).toBe('PONG');
    expect(gate.pending).toBe(0);
  });

  test('rejects at once, without queueing, while the client is not ready', async () => {
    const client = server.client({ lazyConnect: true });
    const gate = new CommandGate(client, 10);
    let sent = false;
    const error = await gate
      .run('get', async () => {
        sent = true;
        return client.get('k');
      })
      .catch((e: unknown) => e);
    expect(sent).toBe(false);
    expect(isSemcacheError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/connection is wait, not ready/);
  });

  test('bounds the commands waiting for a reply', async () => {
    const client = server.client();
    await client.ping();
    const gate = new CommandGate(client, 2);
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = gate.run('a', () => blocked);
    const second = gate.run('b', () => blocked);
    await expect(gate.run('c', async () => 'never')).rejects.toThrow(/2 commands are waiting/);
    expect(gate.open).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(gate.open).toBe(true);
  });

  test('refuses everything once closed', async () => {
    const client = server.client();
    await client.ping();
    const gate = new CommandGate(client, 10);
    gate.close();
    await expect(gate.run('get', () => client.ping())).rejects.toThrow(/closed/);
  });
});
