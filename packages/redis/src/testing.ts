import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SemcacheError } from '@semcache/core';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. Ignored with `REDIS_URL`. */
  args?: readonly string[];
  /**
   * Use the server at `REDIS_URL` when that variable is set instead of starting one. Default
   * `true`. Tests that pause, kill or restart the server pass `false`: they need a server of
   * their own.
   */
  useEnvUrl?: boolean;
  /** How long to wait for the server to accept connections. Default `10000`. */
  startTimeoutMs?: number;
  /**
   * The `redis-server` executable to run, e.g. {@link findRedis8Server}'s. Default: the one on
   * `PATH`. Ignored with `REDIS_URL`.
   */
  binary?: string;
}

/** A Redis server for tests, from {@link startRedisServer}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (or `REDIS_URL`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when this handle started the server (false when it uses `REDIS_URL`). */
  readonly owned: boolean;
  /** A new client of this server with an `error` listener attached; closed by {@link stop}. */
  client(options?: RedisOptions): Redis;
  /** Kills the server at once (SIGKILL), as a crash would; {@link restart} brings it back. */
  kill(): Promise<void>;
  /** Starts the server again on the same port, empty; kills it first when it runs. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  /** Undoes {@link pause} (SIGCONT). */
  resume(): void;
  /**
   * Starts recording every command the server receives (Redis `MONITOR`), on a raw connection of
   * its own that follows the server across {@link kill} and {@link restart}. Use it instead of
   * ioredis's `monitor()`, whose connection raises an unhandled "Command queue state error" when
   * the first monitored command arrives in the same read as MONITOR's `OK` (a busy server).
   */
  monitor(): Promise<CommandMonitor>;
  /** Closes the clients made by {@link client} and stops the server (when owned). */
  stop(): Promise<void>;
}

/** The commands a Redis server received, from {@link RedisServer.monitor}. */
export interface CommandMonitor {
  /** Every command received so far, as its arguments joined by spaces (`set k v`), in order. */
  readonly commands: readonly string[];
  /**
   * Resolves once every command the server executed before this call is in {@link commands}
   * (MONITOR lines arrive asynchronously; this sends a marker and waits for it).
   */
  settle(timeoutMs?: number): Promise<void>;
  /** Stops recording. */
  close(): void;
}

/** A local Redis Cluster for tests, from {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** The masters, each owning a third of the slots. */
  readonly nodes: readonly { host: string; port: number }[];
  /** A new cluster client with an `error` listener attached; closed by {@link stop}. */
  client(options?: ClusterOptions): Cluster;
  /** Closes the clients and stops every node. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const running = new Set<ServerProcess>();
let exitHookInstalled = false;

/**
 * Starts a private `redis-server` from `PATH` on a free loopback port, without persistence (or
 * uses `REDIS_URL` when set, see {@link RedisServerOptions.useEnvUrl}). Stop it with
 * {@link RedisServer.stop}; servers still running when the process exits are killed, and a
 * server outlives a killed test process by no more than the moment its wrapper notices.
 *
 * @throws {SemcacheError} `STORE_UNAVAILABLE` when `redis-server` is not on `PATH` or does not start.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const clients = new Set<Redis>();
  const makeClient = (url: string, clientOptions: RedisOptions = {}) => {
    const client = new Redis(url, clientOptions);
    client.on('error', () => {});
    clients.add(client);
    client.once('end', () => clients.delete(client));
    return client;
  };
  const closeClients = () => {
    for (const client of clients) client.disconnect();
    clients.clear();
  };

  const envUrl = process.env.REDIS_URL;
  if ((options.useEnvUrl ?? true) && envUrl) {
    const parsed = new URL(envUrl);
    const notOwned = (what: string) => () => {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `startRedisServer: cannot ${what} the server at REDIS_URL; call startRedisServer({ useEnvUrl: false }) for a private server.`,
      );
    };
    return {
      url: envUrl,
      host: parsed.hostname,
      port: Number(parsed.port || 6379),
      owned: false,
      client: (clientOptions) => makeClient(envUrl, clientOptions),
      kill: async () => notOwned('kill')(),
      restart: async () => notOwned('restart')(),
      pause: notOwned('pause'),
      resume: notOwned('resume'),
      monitor: async () => {
        const monitor = new RawMonitor(Number(parsed.port || 6379), () => {}, parsed.hostname);
        await monitor.attach();
        return monitor;
      },
      stop: async () => closeClients(),
    };
  }

  const command = options.binary ?? findRedisServer();
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const args = options.args ?? [];
  let server: ServerProcess | undefined;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      server = await startProcess(command, port, args, startTimeoutMs);
      break;
    } catch (error) {
      // Another process may take the port between our probe and redis-server's bind.
      if (attempt >= 3 || !String(error).includes('in use')) throw error;
    }
  }
  const url = `redis://${host}:${port}`;
  const monitors = new Set<RawMonitor>();
  return {
    url,
    host,
    port,
    owned: true,
    client: (clientOptions) => makeClient(url, clientOptions),
    kill: async () => {
      if (server) await server.stop('SIGKILL');
    },
    restart: async () => {
      if (server) await server.stop('SIGKILL');
      server = await startProcess(command, port, args, startTimeoutMs);
      // Monitors follow the server: they are recording again before restart resolves.
      await Promise.all([...monitors].map((monitor) => monitor.attach()));
    },
    monitor: async () => {
      const monitor = new RawMonitor(port, () => monitors.delete(monitor));
      monitors.add(monitor);
      await monitor.attach();
      return monitor;
    },
    pause: () => server?.signal('SIGSTOP'),
    resume: () => server?.signal('SIGCONT'),
    stop: async () => {
      closeClients();
      if (server) await server.stop('SIGTERM');
      server = undefined;
    },
  };
}

/**
 * Starts a Redis Cluster of three masters (no replicas) on loopback from the `redis-server` on
 * `PATH` (or `binary`, with extra server `args`), assigns the slots and waits until every node reports `cluster_state:ok`.
 *
 * @throws {SemcacheError} `STORE_UNAVAILABLE` when `redis-server` is not on `PATH` or the
 *   cluster does not form within `startTimeoutMs` (default `20000`).
 */
export async function startRedisCluster(
  options: { startTimeoutMs?: number; binary?: string; args?: readonly string[] } = {},
): Promise<RedisClusterHandle> {
  const command = options.binary ?? findRedisServer();
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'semcache-cluster-'));
  const servers: ServerProcess[] = [];
  const admins: Redis[] = [];
  const clients = new Set<Cluster>();
  const stop = async () => {
    for (const client of clients) client.disconnect();
    clients.clear();
    for (const admin of admins) admin.disconnect();
    await Promise.all(servers.map((server) => server.stop('SIGTERM')));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freeClusterPort();
      if (ports.includes(port)) continue;
      const args = [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '5000',
        '--dir',
        dir,
        ...(options.args ?? []),
      ];
      servers.push(await startProcess(command, port, args, startTimeoutMs));
      ports.push(port);
    }
    for (const port of ports) {
      const admin = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
      admin.on('error', () => {});
      await admin.connect();
      admins.push(admin);
    }
    const slotsPerNode = Math.ceil(16_384 / ports.length);
    await Promise.all(
      admins.map((admin, i) => {
        const first = i * slotsPerNode;
        const last = Math.min(16_383, first + slotsPerNode - 1);
        const slots = Array.from({ length: last - first + 1 }, (_, k) => first + k);
        return admin.call('CLUSTER', 'ADDSLOTS', ...slots);
      }),
    );
    const [first] = admins;
    for (const port of ports.slice(1)) await first?.call('CLUSTER', 'MEET', host, port);
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO')));
      const ok = infos.every(
        (info) =>
          String(info).includes('cluster_state:ok') &&
          String(info).includes(`cluster_known_nodes:${ports.length}`),
      );
      if (ok) break;
      if (Date.now() > deadline) {
        throw new SemcacheError(
          'STORE_UNAVAILABLE',
          `startRedisCluster: the cluster on ports ${ports.join(', ')} did not reach cluster_state:ok within ${startTimeoutMs} ms.`,
        );
      }
      await sleep(50);
    }
    const nodes = ports.map((port) => ({ host, port }));
    return {
      nodes,
      client: (clientOptions = {}) => {
        const client = new Cluster(nodes, clientOptions);
        client.on('error', () => {});
        clients.add(client);
        client.once('end', () => clients.delete(client));
        return client;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * MONITOR over a plain socket: `+OK`, then one simple-string line per command,
 * `+<time> [<db> <client>] "arg" "arg"…`, arguments escaped as `sdscatrepr` does.
 */
class RawMonitor implements CommandMonitor {
  readonly commands: string[] = [];
  readonly #port: number;
  readonly #host: string;
  readonly #onClose: () => void;
  readonly #markers = new Map<string, () => void>();
  #socket: Socket | undefined;
  #closed = false;

  constructor(port: number, onClose: () => void, monitorHost = host) {
    this.#port = port;
    this.#host = monitorHost;
    this.#onClose = onClose;
  }

  /** (Re)connects and resolves once the server acknowledged MONITOR. */
  attach(timeoutMs = 10_000): Promise<void> {
    this.#socket?.destroy();
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const socket = connect(this.#port, this.#host);
      this.#socket = socket;
      let buffer = '';
      let acknowledged = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`MONITOR on port ${this.#port} was not acknowledged within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.setEncoding('latin1');
      socket.on('error', () => {});
      socket.on('close', () => clearTimeout(timer));
      socket.on('connect', () => socket.write('MONITOR\r\n'));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\r\n');
        while (end >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\r\n');
          if (!acknowledged) {
            if (line !== '+OK') continue;
            acknowledged = true;
            clearTimeout(timer);
            resolve();
            continue;
          }
          this.#record(line);
        }
      });
    });
  }

  async settle(timeoutMs = 10_000): Promise<void> {
    const marker = `semcache-monitor-mark-${Math.random().toString(36).slice(2)}`;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#markers.delete(marker);
        reject(new Error(`MONITOR did not show the marker within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#markers.set(marker, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const sender = connect(this.#port, this.#host);
    sender.on('error', () => {});
    sender.write(`PING ${marker}\r\n`);
    try {
      await seen;
    } finally {
      sender.destroy();
    }
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
    this.#onClose();
  }

  #record(line: string): void {
    const at = line.indexOf('"');
    if (!line.startsWith('+') || at < 0) return;
    const args = parseQuoted(line.slice(at));
    const [name, first] = args;
    if (name?.toLowerCase() === 'ping' && first !== undefined && this.#markers.has(first)) {
      const done = this.#markers.get(first);
      this.#markers.delete(first);
      done?.();
      return;
    }
    this.commands.push(args.join(' '));
  }
}

/** Splits `"a" "b\"c" "\x00"` into its unescaped arguments (bytes as latin1, then UTF-8 decoded). */
function parseQuoted(text: string): string[] {
  const args: string[] = [];
  let at = 0;
  while (at < text.length) {
    if (text[at] !== '"') {
      at++;
      continue;
    }
    at++;
    let bytes = '';
    while (at < text.length && text[at] !== '"') {
      const char = text[at] as string;
      if (char === '\\' && at + 1 < text.length) {
        const next = text[at + 1] as string;
        if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(at + 2, at + 4))) {
          bytes += String.fromCharCode(Number.parseInt(text.slice(at + 2, at + 4), 16));
          at += 4;
          continue;
        }
        const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };
        bytes += escapes[next] ?? next;
        at += 2;
        continue;
      }
      bytes += char;
      at++;
    }
    at++;
    args.push(Buffer.from(bytes, 'latin1').toString('utf8'));
  }
  return args;
}

interface ServerProcess {
  readonly pid: number;
  signal(signal: NodeJS.Signals): void;
  stop(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Runs redis-server under a `sh` wrapper that kills it when our end of the wrapper's stdin closes,
 * which happens when this process exits for any reason, even SIGKILL: no orphan servers.
 */
function startProcess(
  command: string,
  port: number,
  args: readonly string[],
  timeoutMs: number,
): Promise<ServerProcess> {
  const script =
    '"$@" & pid=$!; echo "semcache-redis-pid $pid"; read _unused; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null';
  const serverArgs = [
    command,
    '--port',
    String(port),
    '--bind',
    host,
    '--save',
    '',
    '--appendonly',
    'no',
    ...args,
  ];
  const child: ChildProcessWithoutNullStreams = spawn(
    '/bin/sh',
    ['-c', script, 'sh', ...serverArgs],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  return new Promise<ServerProcess>((resolve, reject) => {
    let output = '';
    let pid = 0;
    let settled = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdin.end();
      const lastLines = output.trim().split('\n').slice(-3).join(' | ');
      reject(
        new SemcacheError(
          'STORE_UNAVAILABLE',
          `redis-server on port ${port} ${why}${lastLines ? `: ${lastLines}` : ''}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      if (settled) return;
      output += chunk.toString();
      const pidMatch = /semcache-redis-pid (\d+)/.exec(output);
      if (pidMatch) pid = Number(pidMatch[1]);
      if (pid === 0 || !output.includes('Ready to accept connections')) return;
      settled = true;
      clearTimeout(timer);
      const handle: ServerProcess = {
        pid,
        signal: (signal) => {
          try {
            process.kill(pid, signal);
          } catch {
            // Already gone.
          }
        },
        stop: async (signal) => {
          if (!running.has(handle)) return;
          running.delete(handle);
          handle.signal('SIGCONT');
          handle.signal(signal);
          child.stdin.end();
          await exited;
        },
      };
      running.add(handle);
      installExitHook();
      resolve(handle);
    };
    // Listening for the whole life of the server also keeps draining its output, so a chatty
    // server never blocks on a full pipe.
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => {});
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    child.once('exit', (code) => {
      const inUse = output.includes('Address already in use');
      fail(inUse ? 'could not bind: address in use' : `exited with code ${String(code)}`);
    });
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of running) server.signal('SIGKILL');
  });
}

/** Where {@link findRedis8Server} looks when `SEMCACHE_REDIS8_SERVER` is not set (`.ci/run` builds it there). */
const redis8CacheDir = join(
  homedir(),
  '.cache',
  'semcache-ci-tools',
  'redis-8.8.0',
  'src',
  'redis-server',
);

/**
 * The path of a Redis 8 `redis-server` (vector sets) for tests: `SEMCACHE_REDIS8_SERVER` when set,
 * else the one `.ci/run` builds into `~/.cache/semcache-ci-tools`; `undefined` when neither is an
 * executable file. Tests that need Redis 8 skip with a reason when this is `undefined`.
 */
export function findRedis8Server(): string | undefined {
  const candidates = [process.env.SEMCACHE_REDIS8_SERVER, redis8CacheDir];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** Why Redis 8 tests are skipped, for `describe.skipIf(!findRedis8Server())` titles. */
export const redis8SkipReason =
  'needs a Redis 8 redis-server (vector sets): set SEMCACHE_REDIS8_SERVER to its path, or run .ci/run, which builds it';

function findRedisServer(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  const error = new SemcacheError(
    'STORE_UNAVAILABLE',
    'redis-server not found on PATH: install it (apt-get install redis-server) or set REDIS_URL.',
  );
  // A missing prerequisite is not a bug: show the instruction, not a stack trace.
  error.stack = `${error.name}: ${error.message}`;
  throw error;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A child `node` process started by {@link startNodeWorker}. */
export interface NodeWorker {
  readonly child: ChildProcess;
  /** Resolves with the rest of the first stdout line that starts with `prefix` (rejects if it exits first). */
  line(prefix: string): Promise<string>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

const workers = new Set<ChildProcess>();
let workerExitHookInstalled = false;

/**
 * Runs `script` in a new `node` process — a serverless cold start, a cron job, a script — with
 * `args` as its arguments. With `sources: true` (tests inside this repository) it runs the
 * TypeScript sources with plain node: the `@semcache/source` condition plus a resolve hook for
 * `.js` specifiers, no build step. Processes still running when this one exits are killed.
 */
export function startNodeWorker(
  script: string,
  args: readonly string[] = [],
  options: { sources?: boolean; env?: NodeJS.ProcessEnv } = {},
): NodeWorker {
  const hooks = fileURLToPath(new URL('../scripts/source-hooks.mjs', import.meta.url));
  const nodeArgs = options.sources
    ? ['--conditions=@semcache/source', '--import', hooks, script, ...args]
    : [script, ...args];
  const child = spawn(process.execPath, nodeArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  workers.add(child);
  if (!workerExitHookInstalled) {
    workerExitHookInstalled = true;
    process.once('exit', () => {
      for (const worker of workers) worker.kill('SIGKILL');
    });
  }
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      workers.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = stdout.split('\n').find((line) => line.startsWith(prefix));
          if (found !== undefined) {
            listeners.delete(check);
            resolve(found.slice(prefix.length).trim());
          }
        };
        listeners.add(check);
        check();
        void exited.then((code) => {
          check();
          reject(
            new Error(`worker exited (${String(code)}) without "${prefix}": ${stderr.slice(-800)}`),
          );
        });
      }),
  };
}
