import { type RedisClient, waitForReady } from './redis-client.js';

/** One change of the shared index, as written to the change stream. */
export type ChangeRecord =
  | { op: 'add'; namespace: string; generation: number; key: string; header: Buffer }
  | { op: 'delete'; namespace: string; generation: number; key: string }
  | { op: 'generation'; namespace: string; generation: number };

/** The stream fields of a record: `o` op, `n` namespace, `g` generation (base 36), `k` key, `h` header. */
export function changeFields(record: ChangeRecord): (string | Buffer)[] {
  const op = record.op === 'add' ? 'a' : record.op === 'delete' ? 'd' : 'g';
  const fields: (string | Buffer)[] = [
    'o',
    op,
    'n',
    record.namespace,
    'g',
    record.generation.toString(36),
  ];
  if (record.op !== 'generation') fields.push('k', record.key);
  if (record.op === 'add') fields.push('h', record.header);
  return fields;
}

/** Parses stream fields written by {@link changeFields}; `undefined` for anything else. */
export function parseChange(fields: readonly Buffer[]): ChangeRecord | undefined {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    map.set((fields[i] as Buffer).toString(), fields[i + 1] as Buffer);
  }
  const op = map.get('o')?.toString();
  const namespace = map.get('n')?.toString('utf8');
  const generation = Number.parseInt(map.get('g')?.toString() ?? '', 36);
  const key = map.get('k')?.toString('utf8');
  if (namespace === undefined || !Number.isFinite(generation)) return undefined;
  if (op === 'g') return { op: 'generation', namespace, generation };
  if (key === undefined) return undefined;
  if (op === 'd') return { op: 'delete', namespace, generation, key };
  const header = map.get('h');
  if (op === 'a' && header) return { op: 'add', namespace, generation, key, header };
  return undefined;
}

/** Compares two stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bSeq = 0n] = b.split('-').map((part) => BigInt(part));
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/**
 * True when `XINFO STREAM` (RESP2 list or RESP3 map) says records after `position` were trimmed
 * before being read (Redis ≥ 7.0 reports `max-deleted-entry-id`).
 */
export function missedRecords(info: unknown, position: string): boolean {
  const maxDeleted = streamInfoField(info, 'max-deleted-entry-id');
  return typeof maxDeleted === 'string' && compareStreamIds(maxDeleted, position) > 0;
}

/** One field of an `XINFO STREAM` reply, RESP2 list or RESP3 map. */
export function streamInfoField(info: unknown, field: string): unknown {
  if (Array.isArray(info)) {
    const at = info.indexOf(field);
    return at >= 0 ? info[at + 1] : undefined;
  }
  if (info && typeof info === 'object') return (info as Record<string, unknown>)[field];
  return undefined;
}

/** Options of {@link ChangeFeed}. */
export interface ChangeFeedOptions {
  /**
   * A connection of the feed's own: it blocks in XREAD. A function makes it on the first
   * {@link ChangeFeed.start} (a store on vector sets never reads the feed, so never opens it).
   */
  connection: RedisClient | (() => RedisClient);
  stream: string;
  /** How long one XREAD blocks. */
  blockMs: number;
  onRecords: (records: ChangeRecord[]) => void;
  onError: (error: unknown) => void;
}

/**
 * Tails the change stream with `XREAD BLOCK` on its own connection and hands every record to
 * `onRecords`, in order. It survives disconnects: it waits for the connection to be ready again
 * and goes on from the last id it read.
 */
export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  #position = '0-0';
  #epoch = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #connection: RedisClient | undefined;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    if (typeof options.connection !== 'function') this.#connection = options.connection;
  }

  /** Id of the last record read (or the id reading starts after). */
  get position(): string {
    return this.#position;
  }

  /** Starts reading after `fromId`. */
  start(fromId: string): void {
    this.#position = fromId;
    if (!this.#stopped) return;
    this.#stopped = false;
    const { connection } = this.#options;
    this.#connection ??= typeof connection === 'function' ? connection() : connection;
    this.#loop = this.#run(this.#connection);
  }

  /** Goes on reading after `id` (records between are read again or skipped). */
  moveTo(id: string): void {
    this.#position = id;
    this.#epoch++;
  }

  /** Stops reading and closes the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connection?.disconnect();
    await this.#loop;
  }

  async #run(connection: RedisClient): Promise<void> {
    const { stream, blockMs } = this.#options;
    let failures = 0;
    while (!this.#stopped) {
      try {
        await waitForReady(connection, 1000);
      } catch {
        continue;
      }
      if (this.#stopped) break;
      const epoch = this.#epoch;
      try {
        const reply = (await connection.xreadBuffer(
          'COUNT',
          1000,
          'BLOCK',
          blockMs,
          'STREAMS',
          stream,
          this.#position,
        )) as [Buffer, [Buffer, Buffer[]][]][] | null;
        failures = 0;
        if (!reply || this.#stopped) continue;
        const records: ChangeRecord[] = [];
        let last: string | undefined;
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) {
            last = id.toString();
            const record = parseChange(fields);
            if (record) records.push(record);
          }
        }
        if (last !== undefined && epoch === this.#epoch) this.#position = last;
        if (records.length > 0) this.#options.onRecords(records);
      } catch (error) {
        if (this.#stopped) break;
        failures++;
        if (connection.status === 'ready') this.#options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * failures)));
      }
    }
  }
}
