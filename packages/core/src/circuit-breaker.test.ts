import { expect, test } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

test('opens after consecutive failures, lets one trial through after the cool-down, closes on success', () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, now: () => now });
  expect(breaker.allow()).toBe(true);
  expect(breaker.failed()).toBe(false);
  breaker.succeeded();
  breaker.failed();
  expect(breaker.failed()).toBe(true);
  expect(breaker.state).toBe('open');
  expect(breaker.allow()).toBe(false);
  now = 100;
  expect(breaker.state).toBe('half-open');
  expect(breaker.allow()).toBe(true);
  expect(breaker.allow()).toBe(false);
  breaker.failed();
  expect(breaker.state).toBe('open');
  now = 200;
  expect(breaker.allow()).toBe(true);
  breaker.succeeded();
  expect(breaker.state).toBe('closed');
  expect(breaker.allow()).toBe(true);
});
