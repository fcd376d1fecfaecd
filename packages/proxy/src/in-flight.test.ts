import { expect, test } from 'vitest';
import { InFlight } from './in-flight.js';

test('drain waits for every request in flight, or gives up at its timeout', async () => {
  const inFlight = new InFlight();
  expect(await inFlight.drain(10)).toBe(true);
  const first = inFlight.begin();
  const second = inFlight.begin();
  expect(inFlight.count).toBe(2);
  const drained = inFlight.drain(10_000);
  first();
  first();
  expect(inFlight.count).toBe(1);
  second();
  expect(await drained).toBe(true);
  inFlight.begin();
  expect(await inFlight.drain(5)).toBe(false);
});
