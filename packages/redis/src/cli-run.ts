import { parseArgs } from 'node:util';
import { SemcacheError } from '@semcache/core';
import {
  type AdminOptions,
  clearEntries,
  collectStats,
  connectRedis,
  describeConnection,
  type InspectedEntry,
  inspectEntry,
  redactUrl,
  type ScanProgress,
  type StoreStats,
} from './admin.js';
import type { RedisClient } from './redis-client.js';

/** What the CLI reads and writes; the `semcache` bin passes the process's own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Asks a yes/no question; absent when nobody can answer (stdin is not a terminal). */
  confirm?: (question: string) => Promise<boolean>;
  /** True when stderr is a terminal, so progress can redraw one line. */
  progressTty?: boolean;
}

/** Usage text of the `semcache` command. */
export const usage = `Usage: semcache <command> [options]

Commands:
  stats                         entries, bytes, namespaces, Redis 8 vector sets, hit counters
  clear --namespace N           clear a namespace (instant for every app), then free its keys
  clear --model M | --tenant T  delete the entries of a model and/or tenant (within --namespace N)
  inspect <key>                 show the entries stored under an exact key or a Redis key

Options:
  --url URL       Redis to use (default: $REDIS_URL, then redis://127.0.0.1:6379)
  --prefix P      key prefix of the store (default: semcache:)
  --namespace N   namespace (clear, inspect)
  --model M       model id label (clear)
  --tenant T      tenant label (clear)
  --yes, -y       do not ask for confirmation (clear)
  --json          print JSON (stats, inspect)
  --help, -h      show this help
`;

/**
 * Runs the `semcache` command line and returns its exit code: 0 on success, 1 when the work
 * failed (Redis unreachable, nothing confirmed), 2 for a usage error. Errors are one line on
 * stderr, never a stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`semcache: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    (command === undefined && !values.help ? io.stderr : io.stdout).write(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!['stats', 'clear', 'inspect'].includes(command)) {
    io.stderr.write(`semcache: unknown command "${command}"\n\n${usage}`);
    return 2;
  }
  if (command === 'inspect' ? rest.length !== 1 : rest.length !== 0) {
    io.stderr.write(
      `semcache: ${command === 'inspect' ? 'inspect takes exactly one key' : `${command} takes no arguments`}\n\n${usage}`,
    );
    return 2;
  }
  if (command === 'clear' && !values.namespace && !values.model && !values.tenant) {
    io.stderr.write('semcache: clear needs --namespace, --model or --tenant\n');
    return 2;
  }

  const url = values.url ?? io.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = values.prefix ?? 'semcache:';
  let client: RedisClient | undefined;
  try {
    if (command === 'clear' && !values.yes) {
      const what = describeFilter(values);
      if (!io.confirm) {
        io.stderr.write(`semcache: refusing to delete ${what} without confirmation; pass --yes.\n`);
        return 1;
      }
      if (!(await io.confirm(`Delete ${what} (prefix "${prefix}") in ${redactUrl(url)}? [y/N] `))) {
        io.stderr.write('Nothing deleted.\n');
        return 1;
      }
    }
    client = await connectRedis(url);
    const progress = progressReporter(io, command === 'clear');
    const options: AdminOptions = { prefix, onProgress: progress.update };
    if (command === 'stats') {
      const stats = await collectStats(client, options);
      progress.done();
      io.stdout.write(
        values.json
          ? `${JSON.stringify(stats, null, 2)}\n`
          : formatStats(stats, url, prefix, client),
      );
    } else if (command === 'clear') {
      const result = await clearEntries(
        client,
        {
          ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
          ...(values.model !== undefined ? { modelId: values.model } : {}),
          ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
        },
        options,
      );
      progress.done();
      const onlyNamespace = values.model === undefined && values.tenant === undefined;
      io.stdout.write(
        onlyNamespace && !result.changed
          ? `Namespace "${values.namespace}" has no entries (prefix "${prefix}"): nothing to clear, nothing changed.\n`
          : onlyNamespace
            ? `Cleared namespace "${values.namespace}": no app serves its entries any more; deleted ${count(result.deleted)} keys of older generations (scanned ${count(result.scanned)}).\n`
            : `Deleted ${count(result.deleted)} entries (${describeFilter(values)}; scanned ${count(result.scanned)} keys).\n`,
      );
    } else {
      const entries = await inspectEntry(client, rest[0] as string, {
        prefix,
        ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
      });
      if (values.json) {
        io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      } else if (entries.length === 0) {
        io.stdout.write(`No entry under "${rest[0]}" (prefix "${prefix}").\n`);
      } else {
        io.stdout.write(entries.map(formatEntry).join('\n'));
      }
      if (entries.length === 0) return 1;
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(
      `semcache: ${SemcacheError.isInstance(error) ? message : `${command} failed: ${message}`}\n`,
    );
    return 1;
  } finally {
    client?.disconnect();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      prefix: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      model: { type: 'string' },
      tenant: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function describeFilter(values: { namespace?: string; model?: string; tenant?: string }): string {
  const parts: string[] = [];
  if (values.model !== undefined) parts.push(`model "${values.model}"`);
  if (values.tenant !== undefined) parts.push(`tenant "${values.tenant}"`);
  const scope =
    values.namespace !== undefined ? `namespace "${values.namespace}"` : 'every namespace';
  return parts.length === 0
    ? `every entry of ${scope}`
    : `the entries of ${parts.join(' and ')} in ${scope}`;
}

/**
 * Progress on stderr: one redrawn line on a terminal, an occasional line otherwise; `deletes`
 * adds the deleted count (not shown for a read-only scan).
 */
function progressReporter(
  io: CliIo,
  deletes: boolean,
): {
  update: (progress: ScanProgress) => void;
  done: () => void;
} {
  let last = 0;
  let shown = false;
  let lastLine = 0;
  return {
    update: (progress) => {
      const line = `scanned ${count(progress.scanned)} keys, matched ${count(progress.matched)}${deletes ? `, deleted ${count(progress.deleted)}` : ''}`;
      if (io.progressTty) {
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        shown = true;
        io.stderr.write(`\r${line}\u001b[K`);
      } else if (progress.scanned - lastLine >= 100_000) {
        lastLine = progress.scanned;
        io.stderr.write(`${line}\n`);
      }
    },
    done: () => {
      if (shown) io.stderr.write('\r\u001b[K');
    },
  };
}

function formatStats(stats: StoreStats, url: string, prefix: string, client: RedisClient): string {
  const rows = [
    ['namespace', 'generation', 'entries', 'stale', 'indexed', 'vectors', 'bytes', 'counters'],
    ...stats.namespaces.map((s) => [
      s.namespace,
      s.generation === undefined ? '-' : String(s.generation),
      count(s.entries),
      count(s.staleEntries),
      count(s.indexed),
      s.vectorSets === 0 ? '-' : `${count(s.vectors)} in ${count(s.vectorSets)}`,
      bytes(s.bytes),
      Object.entries(s.counters)
        .map(([name, value]) => `${name}=${count(value)}`)
        .join(' ') || '-',
    ]),
    [
      'total',
      '',
      count(stats.entries),
      count(stats.staleEntries),
      '',
      count(stats.vectorSets.vectors),
      bytes(stats.bytes),
      '',
    ],
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const table = rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 || column === 7
            ? cell.padEnd(widths[column] ?? 0)
            : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return `Redis ${redactUrl(url)} (${describeConnection(client)}), prefix "${prefix}"\n\n${table}\n\nused_memory ${bytes(stats.usedMemory)}; change stream ${count(stats.streamLength)} records; vector sets ${count(stats.vectorSets.sets)} (${count(stats.vectorSets.vectors)} vectors, ${bytes(stats.vectorSets.bytes)})\n`;
}

function formatEntry(entry: InspectedEntry): string {
  const lines = [
    `${entry.redisKey}`,
    `  namespace ${JSON.stringify(entry.namespace)}, generation ${entry.generation}${entry.current ? '' : ' (stale: cleared, never served)'}`,
    `  ${bytes(entry.bytes)}${entry.deflated ? ' (deflated)' : ''}, format ${entry.format}, ttl ${entry.ttlMs === undefined ? 'none' : `${Math.round(entry.ttlMs / 1000)} s`}`,
    `  model ${entry.modelId ?? '-'}, tenant ${entry.tenant ?? '-'}`,
    `  index ${entry.index ? `partition ${entry.index.partition}, ${entry.index.dimensions} dimensions` : '-'}`,
    `  entry ${JSON.stringify(entry.entry, null, 2).replace(/\n/g, '\n  ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
