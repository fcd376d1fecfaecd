// Runs one benchmark section in its own process (the runner starts it with --expose-gc and a large
// heap) and writes its result as JSON to the file named by the third argument.
import { writeFileSync } from 'node:fs';
import type { SectionOptions, SectionResult } from './lib/section.ts';

const [id, optionsJson, outFile] = process.argv.slice(2);
const options = JSON.parse(optionsJson as string) as SectionOptions;

async function run(): Promise<SectionResult> {
  switch (id) {
    case 'exact-hit':
      return (await import('./sections/exact-hit.ts')).exactHit(options);
    case 'semantic-lookup':
      return (await import('./sections/semantic-lookup.ts')).semanticLookup(options);
    case 'throughput':
      return (await import('./sections/throughput.ts')).throughput(options);
    case 'single-flight':
      return (await import('./sections/single-flight.ts')).singleFlight(options);
    case 'memory':
      return (await import('./sections/memory.ts')).memory(options);
    case 'quality':
      return (await import('./sections/quality-section.ts')).qualitySection(options);
    case 'verified':
      return (await import('./sections/verified.ts')).verified(options);
    case 'burst':
      return (await import('./sections/burst.ts')).burst(options);
    case 'fresh-process':
      return (await import('./sections/fresh-process.ts')).freshProcess(options);
    case 'vector-sets':
      return (await import('./sections/vector-sets.ts')).vectorSets(options);
    case 'proxy':
      return (await import('./sections/proxy.ts')).proxy(options);
    default:
      throw new Error(`unknown section ${String(id)}`);
  }
}

const started = performance.now();
const result = await run();
result.seconds = (performance.now() - started) / 1000;
writeFileSync(outFile as string, JSON.stringify(result));
// Stores and clients are closed by the sections; anything left (e.g. a timer) must not hold the run.
process.exit(0);
