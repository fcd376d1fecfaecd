#!/usr/bin/env node
import { SemcacheError } from '@semcache/core';
import { parseCli } from './cli-args.js';
import { startProxy } from './start-proxy.js';

/**
 * `semcache-proxy`: starts the proxy from flags and environment (see `--help`), logs one JSON line
 * per request on stderr, and on SIGTERM / SIGINT shuts down gracefully (stop accepting, finish
 * requests in flight, flush cache writes, close the store) and exits 0. Bad flags or options:
 * one line on stderr, exit 2.
 */
async function main(): Promise<number | undefined> {
  const command = parseCli(process.argv.slice(2), process.env);
  if (command.kind === 'help') {
    process.stdout.write(command.text);
    return 0;
  }
  if (command.kind === 'error') {
    process.stderr.write(`semcache-proxy: ${command.message} (see --help)\n`);
    return 2;
  }
  const log = command.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  let running: Awaited<ReturnType<typeof startProxy>>;
  try {
    running = await startProxy({ ...command.options, ...(log ? { log } : {}) });
  } catch (error) {
    if (SemcacheError.isInstance(error, 'INVALID_OPTIONS')) {
      process.stderr.write(`semcache-proxy: ${error.message}\n`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    process.stderr.write(`semcache-proxy: cannot start: ${code ?? (error as Error).message}\n`);
    return 1;
  }
  const { upstream, redisUrl, upstreamKey } = command.options;
  process.stdout.write(
    `semcache-proxy listening on ${running.url} → ${upstream ?? 'https://api.holysheep.ai/v1'} (store: ${redisUrl ? 'redis' : 'memory'}, clients: ${upstreamKey ? 'client keys' : 'their own upstream keys'})\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    log?.(JSON.stringify({ time: new Date().toISOString(), event: 'shutdown', signal }));
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`semcache-proxy: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
