/**
 * npm run bench:thin [-- --quick | --seeds N] [--held-out-from S] [--list]
 *
 * Thin parts on photo-sized scenes with a known alpha (testkit/thinScenes.ts: spokes, a
 * fruit's stem, a mirror's stalk, a wire chair, a lattice mast; 1600 x 1200), tuning seeds
 * 1..N and held-out seeds S..S+N-1 reported apart. Per scene, with the real model:
 * - plain: the model's matte upscaled bilinearly, nothing else;
 * - cleanup: Background Cleanup's defaults, transparent mode (what users get).
 * Prints per kind IoU at alpha >= 128 and thin-part recall: the share of the thin parts'
 * pixels (covered at least half by a thin part) that come out at alpha >= 128.
 * --quick: 2 seeds per kind and set (20 scenes); default 6.
 */
import { parseArgs } from 'node:util';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { iou } from '../testkit/fixtures';
import { seedSets } from '../testkit/benchSeeds';
import { plainMatte } from '../testkit/plainModel';
import { THIN_KINDS, thinScene, type ThinScene } from '../testkit/thinScenes';

const PIPELINES = ['plain', 'cleanup'] as const;
type Pipeline = (typeof PIPELINES)[number];

async function run(pipeline: Pipeline, scene: ThinScene): Promise<Uint8Array> {
  if (pipeline === 'plain') return plainMatte(scene.image);
  return (await cleanupImage(scene.image, { mode: 'transparent' })).alpha.data;
}

/** Share of the thin parts' pixels kept at alpha >= 128. */
function thinRecall(alpha: Uint8Array, scene: ThinScene): number {
  let all = 0;
  let kept = 0;
  for (let i = 0; i < alpha.length; i++) {
    if (!scene.thin[i]) continue;
    all++;
    if (alpha[i] >= 128) kept++;
  }
  return all ? kept / all : 1;
}

type Scores = Record<Pipeline, { iou: number[]; recall: number[] }>;
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);

async function scoreSet(seeds: number[], list: boolean): Promise<Map<string, Scores>> {
  const byKind = new Map<string, Scores>(THIN_KINDS.map((kind) => [kind, { plain: { iou: [], recall: [] }, cleanup: { iou: [], recall: [] } }]));
  for (const seed of seeds) {
    for (const kind of THIN_KINDS) {
      const scene = await thinScene(kind, seed);
      const scores = byKind.get(kind)!;
      const line: string[] = [];
      for (const pipeline of PIPELINES) {
        const alpha = await run(pipeline, scene);
        scores[pipeline].iou.push(iou(alpha, scene.alpha));
        scores[pipeline].recall.push(thinRecall(alpha, scene));
        line.push(`${pipeline} IoU ${scores[pipeline].iou.at(-1)!.toFixed(3)} thin ${scores[pipeline].recall.at(-1)!.toFixed(3)}`);
      }
      if (list) console.log(`${kind.padEnd(7)} ${String(seed).padStart(5)}  ${line.join('  ')}  (${scene.describe})`);
    }
  }
  return byKind;
}

function table(label: string, byKind: Map<string, Scores>): string[] {
  const header = `${'kind'.padEnd(9)}${PIPELINES.map((p) => `${p} IoU / thin recall`.padEnd(30)).join('')}`;
  const lines = [`-- ${label}`, header];
  const all: Scores = { plain: { iou: [], recall: [] }, cleanup: { iou: [], recall: [] } };
  for (const [kind, scores] of byKind) {
    lines.push(`${kind.padEnd(9)}${PIPELINES.map((p) => `${mean(scores[p].iou).toFixed(3)} / ${mean(scores[p].recall).toFixed(3)}`.padEnd(30)).join('')}`);
    for (const p of PIPELINES) {
      all[p].iou.push(...scores[p].iou);
      all[p].recall.push(...scores[p].recall);
    }
  }
  lines.push(`${'mean'.padEnd(9)}${PIPELINES.map((p) => `${mean(all[p].iou).toFixed(3)} / ${mean(all[p].recall).toFixed(3)}`.padEnd(30)).join('')}`);
  return lines;
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      list: { type: 'boolean', default: false },
      'held-out-from': { type: 'string', default: '5001' },
    },
  });
  const sets = seedSets({ seeds: values.seeds, quick: values.quick, heldOutFrom: values['held-out-from']! });
  const started = performance.now();
  const report: string[] = [];
  for (const set of sets) report.push('', ...table(set.label, await scoreSet(set.seeds, values.list)));
  console.log(report.join('\n'));
  console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
