/** How often the probe expects to run, in milliseconds. */
const probeIntervalMs = 10;
/** How long a measured delay keeps counting as "recent" for {@link LoopDelay.recentMs}. */
const recentWindowMs = 1000;

/**
 * Measures how late this process's event loop runs, so that time a store operation spent queued
 * behind the app's own CPU work is not counted against the store. A probe timer runs every
 * 10 ms; any delay beyond that is loop delay, added to a running total. Shared by every cache in
 * the process while at least one uses it; unref'd, so it never keeps a process alive.
 */
export interface LoopDelay {
  /** Milliseconds of loop delay since the probe started, including a delay still in progress. */
  totalMs(): number;
  /** The longest single delay seen in about the last second, including one still in progress. */
  recentMs(): number;
  /** Stops sharing the probe; the last user stops it. */
  release(): void;
}

interface Probe {
  users: number;
  timer: ReturnType<typeof setInterval>;
  last: number;
  total: number;
  peaks: { at: number; ms: number }[];
}

let probe: Probe | undefined;

// Taken at load, so fake timers in tests (which replace these globals) never skew the probe.
const clock = performance.now.bind(performance);
const every = globalThis.setInterval;
const stopEvery = globalThis.clearInterval;

/** Starts (or joins) the process's loop-delay probe. */
export function useLoopDelay(): LoopDelay {
  probe ??= startProbe();
  const current = probe;
  current.users++;
  let released = false;
  const pending = () => Math.max(0, clock() - current.last - probeIntervalMs);
  return {
    totalMs: () => current.total + pending(),
    recentMs: () => {
      const since = clock() - recentWindowMs;
      let max = pending();
      for (const peak of current.peaks) if (peak.at >= since && peak.ms > max) max = peak.ms;
      return max;
    },
    release: () => {
      if (released) return;
      released = true;
      current.users--;
      if (current.users === 0 && probe === current) {
        stopEvery(current.timer);
        probe = undefined;
      }
    },
  };
}

function startProbe(): Probe {
  const state: Probe = {
    users: 0,
    last: clock(),
    total: 0,
    peaks: [],
    timer: every(() => {
      const now = clock();
      const delay = Math.max(0, now - state.last - probeIntervalMs);
      state.last = now;
      if (delay < 1) return;
      state.total += delay;
      state.peaks.push({ at: now, ms: delay });
      if (state.peaks.length > 64 || (state.peaks[0]?.at ?? now) < now - recentWindowMs) {
        const since = now - recentWindowMs;
        state.peaks = state.peaks.filter((peak) => peak.at >= since).slice(-64);
      }
    }, probeIntervalMs),
  };
  state.timer.unref?.();
  return state;
}
