import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { downloadModelFiles } from './hub-download.js';
import { chineseModel } from './model-specs.js';

// A stand-in for the hub on 127.0.0.1: serves `/<repo>/resolve/<revision>/<file>`.
const served = new Map<string, string>([
  ['/Xenova/bge-small-zh-v1.5/resolve/v1/tokenizer.json', '{"tokenizer":true}'],
  ['/Xenova/bge-small-zh-v1.5/resolve/v1/onnx/model_quantized.onnx', 'weights'],
]);
const requests: string[] = [];
let server: Server;
let hubUrl: string;
const root = await mkdtemp(join(tmpdir(), 'semcache-hub-download-'));

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    if (url.endsWith('/short.json')) {
      // Announces more bytes than it sends, then drops the connection: an interrupted download.
      response.writeHead(200, { 'content-length': '100' });
      response.write('{"cut":', () => response.socket?.destroy());
      return;
    }
    const body = served.get(url);
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(root, { recursive: true, force: true });
});

describe('downloadModelFiles', () => {
  test('writes each file at its path from <hub>/<repo>/resolve/<revision>/<file>', async () => {
    const folder = join(root, 'ok');
    await downloadModelFiles(
      chineseModel,
      folder,
      ['tokenizer.json', 'onnx/model_quantized.onnx'],
      {
        hubUrl,
        revision: 'v1',
        fetch,
      },
    );
    expect(await readFile(join(folder, 'tokenizer.json'), 'utf8')).toBe('{"tokenizer":true}');
    expect(await readFile(join(folder, 'onnx/model_quantized.onnx'), 'utf8')).toBe('weights');
    expect(requests).toContain('/Xenova/bge-small-zh-v1.5/resolve/v1/onnx/model_quantized.onnx');
  });

  test('a missing file rejects with the URL and status and leaves nothing behind', async () => {
    const folder = join(root, 'missing');
    const error = await downloadModelFiles(chineseModel, folder, ['tokenizer_config.json'], {
      hubUrl,
      revision: 'v1',
      fetch,
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/resolve\/v1\/tokenizer_config\.json answered 404/);
    expect(await readdir(folder)).toEqual([]);
  });

  test('an interrupted download never leaves a file that looks complete', async () => {
    const folder = join(root, 'short');
    const error = await downloadModelFiles(chineseModel, folder, ['short.json'], {
      hubUrl,
      revision: 'v1',
      fetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await readdir(folder)).toEqual([]);
  });
});
