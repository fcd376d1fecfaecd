import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ChangeFeed } from './change-feed.js';
import { missedRecords, streamInfoField } from './change-feed.js';
import { readHeader } from './entry-format.js';
import type { Generations } from './generations.js';
import type { IndexReplica, ReplicaMode } from './index-replica.js';
import type { KeyLayout } from './key-layout.js';
import { isCluster, type RedisClient, scanKeys, waitForReady } from './redis-client.js';

/** Bytes read per entry when syncing the index: enough for the header of a 1536-dimension int8 vector. */
const headerReadBytes = 2048;
const syncBatchKeys = 250;

/** Options of {@link IndexSync}. */
export interface IndexSyncOptions {
  client: RedisClient;
  layout: KeyLayout;
  replica: IndexReplica;
  generations: Generations;
  feed: ChangeFeed;
  mode: ReplicaMode;
  /** Reports a failed sync (it is retried by itself). */
  onError: (what: string, error: unknown) => void;
}

/**
 * Keeps the replica's view of Redis consistent: remembers the change stream's position and
 * starts reading it from there, and in `'full'` mode loads every entry's vector (SCAN +
 * `GETRANGE` of each header) in slices so requests keep flowing. It runs at start, after a
 * restart or failover of the server (new `run_id`), and when the stream was trimmed past its
 * position; a reconnect to the same server just reads the stream on.
 *
 * In `'on-demand'` mode the sync only positions the stream (one round trip): partitions are loaded
 * when first searched (see `partition-list.ts`), which must wait for {@link positioned}.
 */
export class IndexSync {
  readonly #options: IndexSyncOptions;
  /** `run_id` of the standalone server the replica was loaded from. */
  #serverRunId: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #syncs = 0;
  #synced = false;
  #complete = false;
  #closed = false;
  #waiters: (() => void)[] = [];
  #positioned: Promise<void>;
  #resolvePositioned: () => void = () => {};

  constructor(options: IndexSyncOptions) {
    this.#options = options;
    this.#positioned = this.#newPositioned();
  }

  /** True once the first sync finished (the stream is read; in full mode every entry is loaded). */
  get synced(): boolean {
    return this.#synced;
  }

  /** True while the replica is as complete as the mode promises (no sync running since). */
  get complete(): boolean {
    return this.#complete;
  }

  /** True while a sync runs. */
  get syncing(): boolean {
    return this.#running !== undefined;
  }

  /** Syncs run so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Resolves once the change stream is read from a known position (a partition load waits for it). */
  positioned(): Promise<void> {
    return this.#positioned;
  }

  /** Resolves once the first sync finished, or when closed. */
  whenSynced(): Promise<void> {
    if (this.#synced || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Starts a sync, or another one right after the running one. */
  schedule(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run()
      .catch((error: unknown) => {
        this.#options.onError('loading the index', error);
        if (!this.#closed) setTimeout(() => this.schedule(), 1000).unref?.();
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.schedule();
        }
      });
  }

  /**
   * After a reconnect to the same server whose stream still holds every record since our
   * position, reading the stream on is enough. A restarted or failed-over server (new run_id), a
   * trimmed stream or a Cluster means a new sync.
   */
  async reconnected(): Promise<void> {
    if (!this.#synced || this.#serverRunId === undefined || this.#closed) return this.schedule();
    try {
      const [runId, info] = await Promise.all([
        this.#runId(),
        this.#streamInfo().catch(() => undefined),
      ]);
      if (runId !== this.#serverRunId || missedRecords(info, this.#options.feed.position)) {
        this.schedule();
      }
    } catch {
      this.schedule();
    }
  }

  /** Checks the stream for records trimmed before this process read them. */
  async check(): Promise<void> {
    if (!this.#synced || this.#running !== undefined) return;
    const info = await this.#streamInfo().catch(() => undefined);
    if (missedRecords(info, this.#options.feed.position)) this.schedule();
  }

  /** Stops syncing; waiters are released. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
    this.#resolvePositioned();
    await this.#running?.catch(() => {});
  }

  #newPositioned(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#resolvePositioned = resolve;
    });
  }

  async #runId(): Promise<string | undefined> {
    const { client } = this.#options;
    if (isCluster(client)) return undefined;
    return /run_id:(\w+)/.exec(await client.info('server'))?.[1];
  }

  #streamInfo(): Promise<unknown> {
    return this.#options.client.call('XINFO', 'STREAM', this.#options.layout.changes);
  }

  /**
   * Remembers the stream's last id, (full mode) scans every entry reading only its header, then
   * reads the stream from that id, so nothing written meanwhile is missed.
   */
  async #run(): Promise<void> {
    const { client, replica, generations, feed, mode } = this.#options;
    this.#complete = false;
    if (this.#synced) this.#positioned = this.#newPositioned();
    await waitForReady(client, 60_000);
    // Both in one round trip: a new process's first partition load waits for this.
    const [runId, info] = await Promise.all([
      this.#runId(),
      this.#streamInfo().catch((error: unknown) => {
        if (String((error as Error)?.message).includes('no such key')) return undefined;
        throw error;
      }),
    ]);
    this.#serverRunId = runId;
    const tail = String(streamInfoField(info, 'last-generated-id') ?? '0-0');
    generations.forget();
    replica.clear();
    feed.start(tail);
    feed.moveTo(tail);
    this.#resolvePositioned();
    if (mode === 'full') await this.#loadAll();
    if (this.#closed) return;
    this.#syncs++;
    this.#synced = true;
    this.#complete = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  async #loadAll(): Promise<void> {
    const { client, layout, replica, generations } = this.#options;
    const seen = new Map<string, number | undefined>();
    for await (const { node, keys } of scanKeys(client, layout.allEntries, syncBatchKeys)) {
      if (this.#closed) return;
      const parsed = keys.map((key) => layout.parseEntry(key));
      for (const entry of parsed) {
        if (entry && !seen.has(entry.namespace)) {
          seen.set(entry.namespace, await generations.peek(entry.namespace));
          const generation = seen.get(entry.namespace);
          if (generation !== undefined) generations.observe(entry.namespace, generation);
        }
      }
      const wanted = parsed.filter(
        (entry): entry is NonNullable<typeof entry> =>
          entry !== undefined && seen.get(entry.namespace) === entry.generation,
      );
      if (wanted.length === 0) continue;
      const pipeline = node.pipeline();
      for (const entry of wanted) {
        pipeline.getrangeBuffer(
          layout.entry(entry.namespace, entry.generation, entry.key),
          0,
          headerReadBytes - 1,
        );
      }
      const replies = (await pipeline.exec()) ?? [];
      let sliceStarted = performance.now();
      for (const [i, entry] of wanted.entries()) {
        // Reading headers costs CPU: let requests through every few milliseconds.
        if (performance.now() - sliceStarted > 4) {
          await yieldToEventLoop();
          if (this.#closed) return;
          sliceStarted = performance.now();
        }
        const reply = replies[i];
        let value = reply && !reply[0] ? (reply[1] as Buffer) : undefined;
        if (value && value.length === headerReadBytes && readHeader(value).ok === false) {
          value =
            (await node.getBuffer(layout.entry(entry.namespace, entry.generation, entry.key))) ??
            undefined;
        }
        if (!value) continue;
        const read = readHeader(value);
        if (!read.ok || !read.header.index) continue;
        const { index, expiresAt } = read.header;
        replica.add(
          entry.namespace,
          entry.generation,
          entry.key,
          index.partition,
          index.vector,
          expiresAt,
        );
      }
      await yieldToEventLoop();
    }
  }
}
