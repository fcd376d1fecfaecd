import type { CommandGate } from './command-gate.js';
import { isCluster, masters, type RedisClient } from './redis-client.js';

/**
 * Whether the server (every master of a Cluster) has Redis 8 vector sets, probed with
 * `COMMAND INFO VADD` (a server without them answers `[null]`) once per connection and cached.
 * The answer is forgotten when the client reconnects or a Cluster's nodes change, so a failover
 * to a server of another version is noticed; {@link invalidate} forgets it too (a vector-set
 * command answered `unknown command`).
 */
export class VectorSetSupport {
  readonly #client: RedisClient;
  readonly #gate: CommandGate;
  #known: boolean | undefined;
  #probing: Promise<boolean> | undefined;
  #epoch = 0;
  readonly #forget = () => this.invalidate();

  constructor(client: RedisClient, gate: CommandGate) {
    this.#client = client;
    this.#gate = gate;
    client.on('ready', this.#forget);
    if (isCluster(client)) {
      client.on('+node', this.#forget);
      client.on('-node', this.#forget);
    }
  }

  /** The cached answer; `undefined` until a probe succeeded (or after it was forgotten). */
  get known(): boolean | undefined {
    return this.#known;
  }

  /**
   * The cached answer, or a probe (one round trip, shared by concurrent callers).
   *
   * @throws {SemcacheError} `STORE_UNAVAILABLE` when Redis is not reachable (nothing is cached).
   */
  supported(): Promise<boolean> {
    if (this.#known !== undefined) return Promise.resolve(this.#known);
    if (!this.#probing) {
      const epoch = this.#epoch;
      this.#probing = this.#gate
        .run('vector-set probe', () => this.#probe())
        .then((answer) => {
          if (epoch === this.#epoch) this.#known = answer;
          return answer;
        })
        .finally(() => {
          this.#probing = undefined;
        });
    }
    return this.#probing;
  }

  /** Forgets the cached answer: the next call probes again. */
  invalidate(): void {
    this.#epoch++;
    this.#known = undefined;
    this.#probing = undefined;
  }

  /** Stops listening to the client. */
  close(): void {
    this.#client.off('ready', this.#forget);
    if (isCluster(this.#client)) {
      this.#client.off('+node', this.#forget);
      this.#client.off('-node', this.#forget);
    }
  }

  async #probe(): Promise<boolean> {
    const nodes = masters(this.#client);
    if (nodes.length === 0) return false;
    const replies = await Promise.all(nodes.map((node) => node.call('COMMAND', 'INFO', 'VADD')));
    return replies.every((reply) => Array.isArray(reply) && Array.isArray(reply[0]));
  }
}

/** True when `error` is a server's answer to a command it does not have. */
export function isUnknownCommand(error: unknown): boolean {
  return /unknown command/i.test(String((error as Error | undefined)?.message ?? error));
}
