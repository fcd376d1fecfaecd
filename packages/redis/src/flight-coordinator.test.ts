import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import { RedisFlightCoordinator } from './flight-coordinator.js';
import { Generations } from './generations.js';
import { keyLayout } from './key-layout.js';
import { duplicateConnection } from './redis-client.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let run = 0;
const coordinators: RedisFlightCoordinator[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
}, 20_000);
afterEach(() => {
  for (const coordinator of coordinators.splice(0)) coordinator.close();
});
afterAll(async () => server.stop());

function coordinator(prefix: string, redis: Redis = client, leaseTtlMs?: number) {
  const layout = keyLayout(prefix);
  const gate = new CommandGate(redis, 100);
  const made = new RedisFlightCoordinator({
    client: redis,
    gate,
    layout,
    generations: new Generations(redis, gate, layout, () => {}),
    subscriber: duplicateConnection(redis, 'test-flights'),
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  });
  coordinators.push(made);
  return { coordinator: made, layout };
}

describe('RedisFlightCoordinator', () => {
  test('one holder at a time; release lets the next one in', async () => {
    const prefix = `fc${++run}:`;
    const a = coordinator(prefix).coordinator;
    const b = coordinator(prefix).coordinator;
    const release = await a.tryAcquire('ns', 'k', 10_000);
    expect(release).toBeTypeOf('function');
    expect(await b.tryAcquire('ns', 'k', 10_000)).toBeUndefined();
    expect(await b.tryAcquire('ns', 'other', 10_000)).toBeTypeOf('function');
    await release?.();
    expect(await b.tryAcquire('ns', 'k', 10_000)).toBeTypeOf('function');
  });

  test('a waiter wakes up on release, long before its bound', async () => {
    const prefix = `fc${++run}:`;
    const a = coordinator(prefix).coordinator;
    const b = coordinator(prefix).coordinator;
    const release = await a.tryAcquire('ns', 'k', 30_000);
    let woke = false;
    const waiting = b.waitForRelease('ns', 'k', 20_000).then(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woke).toBe(false);
    await release?.();
    await waiting;
    expect(woke).toBe(true);
  }, 5000);

  test('a lease that is never released ends by itself and frees its waiters', async () => {
    const prefix = `fc${++run}:`;
    const a = coordinator(prefix).coordinator;
    const b = coordinator(prefix).coordinator;
    expect(await a.tryAcquire('ns', 'k', 300)).toBeTypeOf('function');
    await b.waitForRelease('ns', 'k', 20_000);
    expect(await b.tryAcquire('ns', 'k', 300)).toBeTypeOf('function');
  }, 5000);

  test('a holder that keeps working keeps its lease past the lease TTL', async () => {
    const prefix = `fc${++run}:`;
    // TTL 600 ms, renewed every 200 ms: only a renewal more than 400 ms late could lose it.
    const { coordinator: a, layout } = coordinator(prefix, client, 600);
    const b = coordinator(prefix, client, 600).coordinator;
    const release = await a.tryAcquire('ns', 'k', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(await b.tryAcquire('ns', 'k', 30_000)).toBeUndefined();
    expect(await client.pttl(layout.lease('ns', 'k'))).toBeGreaterThan(0);
    await release?.();
    expect(await b.tryAcquire('ns', 'k', 30_000)).toBeTypeOf('function');
  });

  test('renewal stops at the lease length the holder asked for', async () => {
    const prefix = `fc${++run}:`;
    const { coordinator: a, layout } = coordinator(prefix, client, 150);
    expect(await a.tryAcquire('ns', 'k', 400)).toBeTypeOf('function');
    while ((await client.pttl(layout.lease('ns', 'k'))) !== -2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await a.tryAcquire('ns', 'k', 400)).toBeTypeOf('function');
  }, 5000);

  test('a lease nobody renews any more frees its waiters after its TTL, not its full length', async () => {
    // The holder's process went away without releasing (crash, or its release timed out).
    const prefix = `fc${++run}:`;
    const a = coordinator(prefix, client, 300).coordinator;
    const b = coordinator(prefix, client, 300).coordinator;
    expect(await a.tryAcquire('ns', 'k', 60_000)).toBeTypeOf('function');
    a.close();
    await b.waitForRelease('ns', 'k', 60_000);
    expect(await b.tryAcquire('ns', 'k', 60_000)).toBeTypeOf('function');
  }, 5000);

  test('a release that failed can be sent again', async () => {
    const prefix = `fc${++run}:`;
    const own = server.client({ enableOfflineQueue: false });
    await new Promise((resolve) => own.once('ready', resolve));
    const { coordinator: a, layout } = coordinator(prefix, own);
    const release = await a.tryAcquire('ns', 'k', 30_000);
    own.disconnect();
    await expect(release?.()).rejects.toThrow();
    expect(await client.pttl(layout.lease('ns', 'k'))).toBeGreaterThan(0);
    while (own.status !== 'end') await new Promise((resolve) => setTimeout(resolve, 5));
    await own.connect();
    await release?.();
    expect(await client.pttl(layout.lease('ns', 'k'))).toBe(-2);
    own.disconnect();
  });

  test('a late release of an expired lease does not free the next holder', async () => {
    const prefix = `fc${++run}:`;
    const { coordinator: a, layout } = coordinator(prefix);
    const b = coordinator(prefix).coordinator;
    const stale = await a.tryAcquire('ns', 'k', 50);
    while ((await client.pttl(layout.lease('ns', 'k'))) !== -2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await b.tryAcquire('ns', 'k', 10_000)).toBeTypeOf('function');
    await stale?.();
    expect(await a.tryAcquire('ns', 'k', 10_000)).toBeUndefined();
  });

  test('no lease when the entry is already stored: the caller reads it instead', async () => {
    const prefix = `fc${++run}:`;
    const { coordinator: a, layout } = coordinator(prefix);
    // The namespace's generation is created on first use; store the entry under it.
    const release = await a.tryAcquire('ns', 'probe', 1000);
    await release?.();
    const current = Number(await client.get(layout.generation('ns')));
    await client.set(layout.entry('ns', current, 'done'), 'x');
    expect(await a.tryAcquire('ns', 'done', 10_000)).toBeUndefined();
    await a.waitForRelease('ns', 'done', 10_000);
  }, 5000);

  test('waiting ends at once when Redis is unreachable', async () => {
    const prefix = `fc${++run}:`;
    const offline = server.client({ lazyConnect: true, enableOfflineQueue: false });
    const { coordinator: c } = coordinator(prefix, offline);
    await c.waitForRelease('ns', 'k', 60_000);
  }, 5000);
});
