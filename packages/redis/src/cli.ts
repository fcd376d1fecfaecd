#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { runCli } from './cli-run.js';

const confirm = process.stdin.isTTY
  ? async (question: string) => {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await prompt.question(question)).trim());
      } finally {
        prompt.close();
      }
    }
  : undefined;

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  ...(confirm ? { confirm } : {}),
  progressTty: process.stderr.isTTY === true,
});
