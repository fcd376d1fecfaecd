import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ModelSpec } from './model-specs.js';

/** Where and how {@link downloadModelFiles} downloads. */
export interface HubDownloadOptions {
  /** Base URL of the hub, without a trailing slash. */
  hubUrl: string;
  /** Branch, tag or commit of the repository. */
  revision: string;
  /** The fetch to use (tests pass one bound to a local server). */
  fetch: typeof globalThis.fetch;
}

/**
 * Downloads `files` of `spec`'s hub repository into `folder`, each from
 * `<hubUrl>/<repo>/resolve/<revision>/<file>`. A file is written to a temporary name beside its
 * final one and renamed only once complete (its byte count matches `content-length` when the
 * server sends one), so an interrupted download never leaves a file that looks complete, and
 * processes downloading at once do not see each other's partial files.
 */
export async function downloadModelFiles(
  spec: ModelSpec,
  folder: string,
  files: readonly string[],
  options: HubDownloadOptions,
): Promise<void> {
  for (const file of files) {
    const url = `${options.hubUrl}/${spec.hubRepo}/resolve/${encodeURIComponent(options.revision)}/${file}`;
    const target = join(folder, file);
    const partial = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
    await mkdir(dirname(target), { recursive: true });
    try {
      const response = await options.fetch(url, { redirect: 'follow' });
      if (!response.ok || !response.body) {
        throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`.trim());
      }
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        createWriteStream(partial),
      );
      const expected = Number(response.headers.get('content-length') ?? Number.NaN);
      const { size } = await stat(partial);
      if (Number.isFinite(expected) && size !== expected) {
        throw new Error(`GET ${url} ended after ${size} of ${expected} bytes`);
      }
      if (size === 0) throw new Error(`GET ${url} returned an empty file`);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }
}
