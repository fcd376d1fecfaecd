import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultCacheDir, missingFiles, missingFilesMessage } from './model-files.js';
import { chineseModel, englishModel } from './model-specs.js';

const root = await mkdtemp(join(tmpdir(), 'semcache-model-files-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('missingFiles', () => {
  test('lists absent and empty files in order; none when complete', async () => {
    const folder = join(root, 'bge');
    await mkdir(join(folder, 'onnx'), { recursive: true });
    await writeFile(join(folder, 'tokenizer.json'), '{}');
    await writeFile(join(folder, 'tokenizer_config.json'), '');
    expect(await missingFiles(chineseModel, folder)).toEqual([
      'tokenizer_config.json',
      'onnx/model_quantized.onnx',
    ]);
    await writeFile(join(folder, 'tokenizer_config.json'), '{}');
    await writeFile(join(folder, 'onnx/model_quantized.onnx'), 'x');
    expect(await missingFiles(chineseModel, folder)).toEqual([]);
    expect(await missingFiles(englishModel, join(root, 'nowhere'))).toEqual(englishModel.files);
  });
});

describe('missingFilesMessage', () => {
  test('names the model, the folder, the missing file and the three ways out', () => {
    const message = missingFilesMessage(
      englishModel,
      '/srv/models/all-MiniLM-L6-v2',
      ['onnx/model_q4.onnx_data'],
      'englishModelDir',
    );
    expect(message).toContain('all-MiniLM-L6-v2');
    expect(message).toContain('/srv/models/all-MiniLM-L6-v2');
    expect(message).toContain('missing onnx/model_q4.onnx_data');
    expect(message).toContain('onnx-community/all-MiniLM-L6-v2-ONNX');
    expect(message).toContain('scripts/prepare-test-models.sh');
    expect(message).toContain('englishModelDir');
    expect(message).toContain('allowDownload: true');
  });
});

describe('defaultCacheDir', () => {
  test('SEMCACHE_MODELS_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ SEMCACHE_MODELS_DIR: '/m', XDG_CACHE_HOME: '/x' })).toBe('/m');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/semcache/models');
    expect(defaultCacheDir({})).toMatch(/\.cache\/semcache\/models$/);
  });
});
