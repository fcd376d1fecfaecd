import { describe, expect, test } from 'vitest';
import { FaultPlan } from './fault-plan.js';
import type { MockErrorStatus } from './openai-error.js';

describe('FaultPlan', () => {
  test('serves queued failures in order, each count times', () => {
    const plan = new FaultPlan();
    plan.failNext({ status: 429, count: 2, retryAfterMs: 5 });
    plan.failNext({ status: 500, message: 'boom' });
    expect(plan.takeFailure()).toEqual({ status: 429, message: undefined, retryAfterMs: 5 });
    expect(plan.takeFailure()?.status).toBe(429);
    expect(plan.takeFailure()).toEqual({ status: 500, message: 'boom', retryAfterMs: 0 });
    expect(plan.takeFailure()).toBeUndefined();
  });

  test('serves queued cuts in order and clears everything', () => {
    const plan = new FaultPlan();
    plan.cutNextStream({ afterChunks: 2 });
    plan.cutNextStream({ afterChunks: 0 });
    expect(plan.takeCut()).toBe(2);
    plan.failNext({ status: 401 });
    plan.clear();
    expect(plan.takeCut()).toBeUndefined();
    expect(plan.takeFailure()).toBeUndefined();
  });

  test('rejects invalid options', () => {
    const plan = new FaultPlan();
    expect(() => plan.failNext({ status: 200 as MockErrorStatus })).toThrow(RangeError);
    expect(() => plan.failNext({ status: 500, count: 0 })).toThrow(RangeError);
    expect(() => plan.cutNextStream({ afterChunks: -1 })).toThrow(RangeError);
  });
});
