import { homedir } from 'node:os';
import { join } from 'node:path';
import { missingFiles } from './model-files.js';
import { modelSpecs } from './model-specs.js';

/**
 * Where `scripts/prepare-test-models.sh` puts the model files: `$SEMCACHE_MODELS_DIR`, else
 * `~/.cache/semcache-ci-tools/models`. Tests, the bench and the demo read the models from here.
 */
export function preparedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SEMCACHE_MODELS_DIR || join(homedir(), '.cache', 'semcache-ci-tools', 'models');
}

/**
 * `undefined` when both models are complete in `folder` (default {@link preparedModelsDir}),
 * else a sentence saying what is missing and which script puts it in place.
 */
export async function preparedModelsMissing(
  folder = preparedModelsDir(),
): Promise<string | undefined> {
  const problems: string[] = [];
  for (const spec of Object.values(modelSpecs)) {
    const missing = await missingFiles(spec, join(folder, spec.name));
    if (missing.length > 0) problems.push(`${spec.name} (${missing.join(', ')})`);
  }
  return problems.length === 0
    ? undefined
    : `model files missing in ${folder}: ${problems.join('; ')}; run bash packages/embedder-onnx/scripts/prepare-test-models.sh`;
}
