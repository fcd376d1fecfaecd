import type { CommandGate } from './command-gate.js';
import { PackedPartition, storedNorm } from './packed-partition.js';
import { luaScript, type RedisClient, runScript } from './redis-client.js';

/** Bytes per page of a partition's vectors: big enough that a large partition is few `GET`s. */
export const partitionPageBytes = 256 * 1024;

/**
 * A partition's vectors live in pages `<key>:<n>` (strings of records) next to a small hash
 * `<key>` holding the current page number `n`. Appending adds the record to page `n`, starts page
 * `n + 1` once it is full and deletes the page that falls out of the newest `ARGV[3]`; page and
 * hash live at least as long as the entry (`ARGV[4]` ms). The page keys share the hash's hash tag,
 * so this is one slot in a Cluster. (`PEXPIRE … GT` would need Redis ≥ 7.)
 */
const appendScript = luaScript(`
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local page = KEYS[1] .. ':' .. n
local length = redis.call('APPEND', page, ARGV[1])
local ttl = tonumber(ARGV[4])
if redis.call('PTTL', page) < ttl then redis.call('PEXPIRE', page, ttl) end
if length >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'n', n + 1)
  local old = n + 1 - tonumber(ARGV[3])
  if old >= 0 then
    redis.call('DEL', KEYS[1] .. ':' .. old)
    redis.call('HSET', KEYS[1], 'f', old + 1)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n
`);

/** Every live page of a partition, oldest first, in one round trip. */
const readScript = luaScript(`
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local first = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local pages = {}
for i = first, n do
  local page = redis.call('GET', KEYS[1] .. ':' .. i)
  if page then pages[#pages + 1] = page end
end
return pages
`);

/**
 * A record of a partition's pages: the entry's exact key (2-byte length + UTF-8), the norm of the
 * stored vector (float32, so a search can skip the components its query does not have), then the
 * entry's header (expiry, partition digest, vector, no labels) in the entry format.
 */
export function encodePartitionRecord(key: string, header: Buffer): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  if (keyBytes.length > 0xffff) throw new RangeError('entry keys longer than 65535 bytes');
  const out = Buffer.allocUnsafe(2 + keyBytes.length + 4 + header.length);
  out.writeUInt16LE(keyBytes.length, 0);
  keyBytes.copy(out, 2);
  out.writeFloatLE(storedNorm(header), 2 + keyBytes.length);
  header.copy(out, 2 + keyBytes.length + 4);
  return out;
}

/** Pages kept so that at least `maxRecords` records of `recordBytes` fit. */
function pagesFor(maxRecords: number, recordBytes: number): number {
  return Math.ceil((maxRecords * recordBytes) / partitionPageBytes) + 1;
}

/** Appends a record to a partition's pages (see `appendScript`). */
export function appendPartitionRecord(
  client: RedisClient,
  gate: CommandGate,
  partitionKey: string,
  record: Buffer,
  maxRecords: number,
  ttlMs: number,
): Promise<unknown> {
  return gate.run('index', () =>
    runScript(
      client,
      appendScript,
      [partitionKey],
      [
        record,
        partitionPageBytes,
        pagesFor(maxRecords, record.length),
        Math.max(1, Math.ceil(ttlMs)),
      ],
    ),
  );
}

/**
 * The live records of a partition (at least its newest `maxPartitionEntries`), in the order they
 * were written; later records of a key supersede earlier ones.
 */
export async function readPartition(
  client: RedisClient,
  gate: CommandGate,
  partitionKey: string,
  now: number,
): Promise<PackedPartition> {
  // ioredis generates a Buffer-reply variant of every command but types only some. (Not
  // `callBuffer`: with enableAutoPipelining, ioredis 6.0 drops its command name.)
  const binary = client as unknown as BufferScripts;
  const pages = (await gate.run('partition load', () =>
    binary.evalshaBuffer(readScript.sha, 1, partitionKey).catch((error: unknown) => {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return binary.evalBuffer(readScript.source, 1, partitionKey);
    }),
  )) as Buffer[];
  return PackedPartition.parse(pages, now);
}

interface BufferScripts {
  evalshaBuffer(sha: string, keys: number, ...args: string[]): Promise<unknown>;
  evalBuffer(source: string, keys: number, ...args: string[]): Promise<unknown>;
}
