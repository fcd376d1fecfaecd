import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the benchmarks ran on. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  /** 1-minute load average when the run started (other work on the machine skews timings). */
  loadAverage: number;
  commit: string;
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' });
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' });
    return `${head.trim()}${dirty.trim() ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** Describes this machine; `redis` is the version the sections' server reported. */
export function describeMachine(root: string, redis: string): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    redis,
    loadAverage: os.loadavg()[0] ?? 0,
    commit: gitCommit(root),
  };
}
