// Section 6 (quality) is owned by the lead in bench/src/quality.ts; this wrapper only calls it.
// If that module is not there yet (or has no runQuality), the section is skipped with a note.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';

interface QualityModule {
  runQuality?: (options: {
    dataDir: string;
    quick: boolean;
  }) => Promise<{ markdown: string; results: unknown; targets?: Target[] }>;
}

export async function qualitySection(options: SectionOptions): Promise<SectionResult> {
  const base = {
    id: 'quality',
    title: '6. Quality on the shared pair sets',
    targets: [],
  };
  const moduleUrl = new URL('../quality.ts', import.meta.url);
  if (!existsSync(fileURLToPath(moduleUrl))) {
    return {
      ...base,
      markdown: '_Skipped: `bench/src/quality.ts` does not exist yet._',
      results: { skipped: 'bench/src/quality.ts missing' },
    };
  }
  if (!existsSync(options.dataDir)) {
    return {
      ...base,
      markdown: `_Skipped: the data folder \`${options.dataDir}\` does not exist (pass \`--data <folder>\`)._`,
      results: { skipped: `data folder ${options.dataDir} missing` },
    };
  }
  const quality = (await import(moduleUrl.href)) as QualityModule;
  if (typeof quality.runQuality !== 'function') {
    return {
      ...base,
      markdown: '_Skipped: `bench/src/quality.ts` does not export `runQuality` yet._',
      results: { skipped: 'runQuality not exported' },
    };
  }
  const { markdown, results, targets } = await quality.runQuality({
    dataDir: options.dataDir,
    quick: options.quick,
  });
  // runQuality may also return targets (same shape as the other sections') for the summary table.
  return { ...base, markdown, results, targets: Array.isArray(targets) ? targets : [] };
}
