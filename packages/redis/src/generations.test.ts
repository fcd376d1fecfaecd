import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import { bumpGeneration, Generations, readOrCreateGeneration } from './generations.js';
import { keyLayout } from './key-layout.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let run = 0;
beforeAll(async () => {
  server = await startRedisServer();
  client = server.client();
  await client.ping();
}, 20_000);
afterAll(async () => server.stop());

describe('namespace generations', () => {
  test('created once from the server clock, then stable', async () => {
    const layout = keyLayout(`gen${++run}:`);
    const first = await readOrCreateGeneration(client, layout, 'ns');
    expect(first).toBeGreaterThan(1_600_000_000_000);
    expect(await readOrCreateGeneration(client, layout, 'ns')).toBe(first);
  });

  test('a bump is always newer, even twice within a millisecond', async () => {
    const layout = keyLayout(`gen${++run}:`);
    const first = await readOrCreateGeneration(client, layout, 'ns');
    const second = await bumpGeneration(client, layout, 'ns');
    const third = await bumpGeneration(client, layout, 'ns');
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
  });

  test('a lost generation key comes back newer, so cleared entries never return', async () => {
    const layout = keyLayout(`gen${++run}:`);
    const first = await bumpGeneration(client, layout, 'ns');
    await client.del(layout.generation('ns'));
    expect(await readOrCreateGeneration(client, layout, 'ns')).toBeGreaterThanOrEqual(first);
  });

  test('the cache serves known generations without a round trip and learns newer ones', async () => {
    const layout = keyLayout(`gen${++run}:`);
    const changes: [string, number][] = [];
    const generations = new Generations(client, new CommandGate(client, 100), layout, (ns, g) =>
      changes.push([ns, g]),
    );
    expect(generations.known('ns')).toBeUndefined();
    const first = await generations.current('ns');
    expect(generations.current('ns')).toBe(first);
    generations.observe('ns', first - 1);
    expect(generations.known('ns')).toBe(first);
    const bumped = await bumpGeneration(client, layout, 'ns');
    await generations.refresh();
    expect(generations.known('ns')).toBe(bumped);
    expect(changes).toEqual([
      ['ns', first],
      ['ns', bumped],
    ]);
    await client.del(layout.generation('ns'));
    await generations.refresh();
    expect(generations.known('ns')).toBeUndefined();
  });
});
