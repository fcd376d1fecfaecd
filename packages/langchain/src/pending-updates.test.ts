import { describe, expect, test } from 'vitest';
import { PendingUpdates } from './pending-updates.js';

const long = { timeoutMs: 60_000 };

describe('PendingUpdates', () => {
  test('the first caller leads; later callers receive its value', async () => {
    const pending = new PendingUpdates<string>();
    const token = {};
    expect(pending.claim('k', token, long).leader).toBe(true);
    const waiter = pending.claim('k', {}, long);
    if (waiter.leader) throw new Error('expected a waiter');
    expect(waiter.leaderToken).toBe(token);
    const value = waiter.wait();
    pending.settle('k', 'answer');
    await expect(value).resolves.toBe('answer');
    expect(pending.size).toBe(0);
    expect(pending.claim('k', {}, long).leader).toBe(true);
  });

  test('a leader that never settles releases its waiters at the bound and frees the key', async () => {
    const pending = new PendingUpdates<string>();
    const leader = pending.claim('k', {}, { timeoutMs: 20 });
    const cleanups: string[] = [];
    if (leader.leader) leader.onEnd(() => cleanups.push('released'));
    const waiter = pending.claim('k', {}, long);
    if (waiter.leader) throw new Error('expected a waiter');
    await expect(waiter.wait()).resolves.toBeUndefined();
    expect(cleanups).toEqual(['released']);
    expect(pending.claim('k', {}, long).leader).toBe(true);
  });

  test('abandon and abandonTagged release waiters without a value', async () => {
    const pending = new PendingUpdates<string>();
    pending.claim('a', {}, { ...long, tag: 'prompt one' });
    pending.claim('b', {}, { ...long, tag: 'prompt two' });
    pending.claim('c', {}, long);
    const [a, b, c] = ['a', 'b', 'c'].map((key) => pending.claim(key, {}, long));
    pending.abandonTagged('prompt one');
    pending.abandon('c');
    for (const claim of [a, c]) {
      if (claim?.leader !== false) throw new Error('expected a waiter');
      await expect(claim.wait()).resolves.toBeUndefined();
    }
    expect(pending.size).toBe(1);
    pending.settle('b', 'two');
    if (b?.leader !== false) throw new Error('expected a waiter');
    await expect(b.wait()).resolves.toBe('two');
  });

  test('settling a key nobody leads does nothing', () => {
    const pending = new PendingUpdates<string>();
    pending.settle('nobody', 'x');
    pending.abandon('nobody');
    expect(pending.size).toBe(0);
  });
});
