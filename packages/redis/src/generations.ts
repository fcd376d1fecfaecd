import type { CommandGate } from './command-gate.js';
import type { KeyLayout } from './key-layout.js';
import { isCluster, luaScript, type RedisClient, runScript } from './redis-client.js';

/**
 * Returns the namespace's generation, creating it from the server clock when missing. A
 * generation is milliseconds of server time, so one created after the key was lost (evicted,
 * or a restarted empty server) is newer than every earlier one: cleared entries never return.
 */
const currentScript = luaScript(`
local g = redis.call('GET', KEYS[1])
if g then return g end
local t = redis.call('TIME')
g = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('SET', KEYS[1], g)
return g
`);

/** Moves the namespace to a new generation: server time, or one more than the current one. */
const bumpScript = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local g = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if now <= g then now = g + 1 end
local s = string.format('%.0f', now)
redis.call('SET', KEYS[1], s)
return s
`);

/** Reads the namespace's generation, creating it when missing (a write only then). */
export async function readOrCreateGeneration(
  client: RedisClient,
  layout: KeyLayout,
  namespace: string,
): Promise<number> {
  const key = layout.generation(namespace);
  // A plain GET first: it works even when Redis refuses writes (maxmemory reached).
  const stored = await client.get(key);
  return Number(stored ?? (await runScript(client, currentScript, [key], [])));
}

/** Moves the namespace to a new generation, which makes every entry of it unreachable at once. */
export async function bumpGeneration(
  client: RedisClient,
  layout: KeyLayout,
  namespace: string,
): Promise<number> {
  return Number(await runScript(client, bumpScript, [layout.generation(namespace)], []));
}

/**
 * The current generation of each namespace, cached in process. A cached value serves every
 * `get` without a round trip; changes arrive through {@link observe} (the change stream) and a
 * periodic {@link refresh}.
 */
export class Generations {
  readonly #client: RedisClient;
  readonly #gate: CommandGate;
  readonly #layout: KeyLayout;
  readonly #onChange: (namespace: string, generation: number) => void;
  readonly #known = new Map<string, number>();
  readonly #loading = new Map<string, Promise<number>>();

  constructor(
    client: RedisClient,
    gate: CommandGate,
    layout: KeyLayout,
    onChange: (namespace: string, generation: number) => void,
  ) {
    this.#client = client;
    this.#gate = gate;
    this.#layout = layout;
    this.#onChange = onChange;
  }

  /** The cached generation, without a round trip. */
  known(namespace: string): number | undefined {
    return this.#known.get(namespace);
  }

  /** The cached generation, or the server's (created when missing). */
  current(namespace: string): number | Promise<number> {
    const known = this.#known.get(namespace);
    if (known !== undefined) return known;
    let loading = this.#loading.get(namespace);
    if (!loading) {
      loading = this.#gate
        .run('generation', () => readOrCreateGeneration(this.#client, this.#layout, namespace))
        .then((generation) => {
          this.observe(namespace, generation);
          return this.#known.get(namespace) ?? generation;
        })
        .finally(() => this.#loading.delete(namespace));
      this.#loading.set(namespace, loading);
    }
    return loading;
  }

  /** Reads the stored generation without creating it; `undefined` when there is none. */
  async peek(namespace: string): Promise<number | undefined> {
    const stored = await this.#gate.run('generation', () =>
      this.#client.get(this.#layout.generation(namespace)),
    );
    return stored === null ? undefined : Number(stored);
  }

  /** Moves `namespace` to a new generation (clearing it) and returns it. */
  async bump(namespace: string): Promise<number> {
    const generation = await this.#gate.run('clear', () =>
      bumpGeneration(this.#client, this.#layout, namespace),
    );
    this.observe(namespace, generation);
    return generation;
  }

  /** Learns of a generation seen elsewhere; only a newer one replaces the cached value. */
  observe(namespace: string, generation: number): void {
    if (!Number.isFinite(generation)) return;
    const known = this.#known.get(namespace);
    if (known !== undefined && known >= generation) return;
    this.#known.set(namespace, generation);
    this.#onChange(namespace, generation);
  }

  /**
   * Re-reads every cached generation. One that vanished (evicted, or a restarted server) is
   * forgotten, so the next use creates a newer one.
   */
  async refresh(): Promise<void> {
    const namespaces = [...this.#known.keys()];
    if (namespaces.length === 0) return;
    const keys = namespaces.map((namespace) => this.#layout.generation(namespace));
    const client = this.#client;
    const stored: (string | null)[] = [];
    // MGET in a standalone server (one round trip per 1000); one GET per key across slots.
    for (let at = 0; at < keys.length; at += 1000) {
      const chunk = keys.slice(at, at + 1000);
      stored.push(
        ...(await this.#gate.run('generation refresh', () =>
          isCluster(client)
            ? Promise.all(chunk.map((key) => client.get(key)))
            : client.mget(...chunk),
        )),
      );
    }
    namespaces.forEach((namespace, i) => {
      const value = stored[i];
      if (value === null || value === undefined) this.#known.delete(namespace);
      else this.observe(namespace, Number(value));
    });
  }

  /** Forgets every cached generation (after a reconnect the server may have lost them). */
  forget(): void {
    this.#known.clear();
  }
}
