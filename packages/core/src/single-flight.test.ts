import { describe, expect, test } from 'vitest';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  test('concurrent runs of one key share one task', async () => {
    const flight = new SingleFlight<number>();
    let calls = 0;
    const runs = Array.from({ length: 100 }, () =>
      flight.run('k', async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return 42;
      }),
    );
    expect(runs.filter((r) => !r.shared)).toHaveLength(1);
    expect(await Promise.all(runs.map((r) => r.promise))).toEqual(Array(100).fill(42));
    expect(calls).toBe(1);
    expect(flight.size).toBe(0);
  });

  test('a failure reaches every caller and the next run starts afresh', async () => {
    const flight = new SingleFlight<number>();
    const failing = () => Promise.reject(new Error('boom'));
    const a = flight.run('k', failing);
    const b = flight.run('k', failing);
    await expect(a.promise).rejects.toThrow('boom');
    await expect(b.promise).rejects.toThrow('boom');
    expect(flight.has('k')).toBe(false);
    expect(await flight.run('k', async () => 7).promise).toBe(7);
  });

  test('a task that throws synchronously still rejects instead of throwing', async () => {
    const flight = new SingleFlight<number>();
    const { promise } = flight.run('k', () => {
      throw new Error('sync');
    });
    await expect(promise).rejects.toThrow('sync');
  });
});
