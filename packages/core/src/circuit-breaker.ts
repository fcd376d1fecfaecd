/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default `5`. */
  failureThreshold?: number;
  /** How long an open circuit refuses operations before letting one trial through. Default `5000`. */
  cooldownMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Stops calling a failing dependency for a while. Closed: every operation is allowed. After
 * `failureThreshold` consecutive failures it opens and refuses operations for `cooldownMs`; then
 * one trial is let through (half-open): success closes it, failure opens it again.
 */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #consecutiveFailures = 0;
  #openUntil = 0;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#failureThreshold = options.failureThreshold ?? 5;
    this.#cooldownMs = options.cooldownMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** `'closed'`, `'open'` (refusing) or `'half-open'` (one trial allowed). */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#consecutiveFailures < this.#failureThreshold) return 'closed';
    return this.#now() < this.#openUntil ? 'open' : 'half-open';
  }

  /** Whether an operation may run now. In half-open state only the first caller gets `true`. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  /** Reports a successful operation; returns true when it closed an open (or half-open) circuit. */
  succeeded(): boolean {
    const wasOpen = this.#consecutiveFailures >= this.#failureThreshold;
    this.#consecutiveFailures = 0;
    this.#trialInFlight = false;
    return wasOpen;
  }

  /** Reports a failed operation; returns true when this failure opened the circuit. */
  failed(): boolean {
    this.#trialInFlight = false;
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= this.#failureThreshold) {
      this.#openUntil = this.#now() + this.#cooldownMs;
      return this.#consecutiveFailures === this.#failureThreshold;
    }
    return false;
  }
}
