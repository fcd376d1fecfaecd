// Measures useLiteEmbedder: model load time and ms/sentence for one batch of 200 sentences.
// Run from the repository root after building:
//   npx tsc -b packages/embedder-use && node packages/embedder-use/scripts/measure.ts
import { useLiteEmbedder } from '../dist/index.js';

const subjects = [
  'my password',
  'the invoice',
  'a refund',
  'the app',
  'my account',
  'the order',
  'a meeting',
  'the report',
];
const templates = [
  (s: string) => `How do I change ${s}?`,
  (s: string) => `Can you explain what happened to ${s} yesterday?`,
  (s: string) => `I need help with ${s}, it does not work as expected.`,
  (s: string) => `Where can I find ${s} in the settings?`,
  (s: string) => `Please summarise everything I should know about ${s} before Friday.`,
];
const sentences = Array.from({ length: 200 }, (_, i) => {
  const template = templates[i % templates.length] as (s: string) => string;
  return `${template(subjects[Math.floor(i / templates.length) % subjects.length] as string)} (#${i})`;
});

const embedder = useLiteEmbedder();
let start = performance.now();
await embedder.load();
const loadMs = performance.now() - start;

await embedder.embed(sentences.slice(0, 8)); // warm-up (first inference compiles kernels)

const runs: number[] = [];
for (let run = 0; run < 3; run++) {
  start = performance.now();
  await embedder.embed(sentences);
  runs.push((performance.now() - start) / sentences.length);
}
runs.sort((a, b) => a - b);

start = performance.now();
for (const sentence of sentences.slice(0, 50)) await embedder.embed([sentence]);
const singleMs = (performance.now() - start) / 50;

console.log(`node ${process.version}, ${embedder.id}, ${embedder.dimensions} dims`);
console.log(`model load: ${loadMs.toFixed(0)} ms`);
console.log(
  `batch of ${sentences.length} (batchSize 32): ${runs[1]?.toFixed(2)} ms/sentence (median of 3; min ${runs[0]?.toFixed(2)}, max ${runs[2]?.toFixed(2)})`,
);
console.log(`one sentence per call: ${singleMs.toFixed(2)} ms/sentence (50 calls)`);
