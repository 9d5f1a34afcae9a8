/**
 * npm run bench:frames -- [options] (USAGE below lists them; --help prints it)
 *
 * The one measure of cut-outs on our products: windows, doors, trellis, railings and pergolas
 * drawn over real photos with a known alpha (testkit/frameScenes.ts), in two seed sets:
 * "tuning" (seeds 1..N, the ones looked at while choosing thresholds) and "held out"
 * (seeds 17001..17000+N, run once and never looked into; 1001.. to 16001.. each
 * left the set once one of their failures was looked at; --held-out-from S picks another). Per scene, with the real model:
 * - plain: the model's matte upscaled bilinearly, nothing else (what a plain pipeline on the
 *   same weights gives: the reference a default must not fall below);
 * - no hint: Background Cleanup's defaults, in transparent mode (what users get) and in mask
 *   mode (the matte as the model made it: see-through never applies there);
 * - box + frame: the same with a box around the product marked Framed Product, both modes.
 * Prints IoU at alpha >= 128 and soft IoU (sum min / sum max) per kind and over the five
 * kinds, per set, then the checks on the held-out set. --quick: 2 seeds per kind and
 * set (20 scenes, about 4 minutes on 2 cores); default 6 (60 scenes, about 11 minutes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { softMaskIoU } from '../src/engine/matte/confidence';
import { iou } from '../testkit/fixtures';
import { seedSets } from '../testkit/benchSeeds';
import { plainMatte } from '../testkit/plainModel';
import { FRAME_KINDS, type FrameKind, frameScene, type FrameScene } from '../testkit/frameScenes';

const ALL_PIPELINES = ['plain', 'no hint', 'no hint mask', 'box + frame', 'box + frame mask'] as const;
type Pipeline = (typeof ALL_PIPELINES)[number];
let PIPELINES: readonly Pipeline[] = ALL_PIPELINES;
let kinds: readonly FrameKind[] = FRAME_KINDS;

async function run(pipeline: Pipeline, scene: FrameScene): Promise<Uint8Array> {
  if (pipeline === 'plain') return plainMatte(scene.image);
  const hint = pipeline.startsWith('box') ? { box: scene.box, frame: true, units: 'px' as const } : undefined;
  const mode = pipeline.endsWith('mask') ? 'mask' : 'transparent';
  const result = await cleanupImage(scene.image, { mode, ...(hint ? { hint } : {}) });
  return result.alpha.data;
}

type Scores = Record<Pipeline, { iou: number[]; soft: number[] }>;
const emptyScores = (): Scores => Object.fromEntries(ALL_PIPELINES.map((p) => [p, { iou: [], soft: [] }])) as unknown as Scores;
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
const cell = (scores: Scores[Pipeline]) => `${mean(scores.iou).toFixed(3)} / ${mean(scores.soft).toFixed(3)}`;

/** Scores every scene of one seed set, per kind. */
async function scoreSet(seeds: number[], options: { list: boolean; save?: string }): Promise<Map<string, Scores>> {
  const byKind = new Map<string, Scores>(kinds.map((kind) => [kind, emptyScores()]));
  for (const seed of seeds) {
    for (const kind of kinds) {
      const scene = await frameScene(kind, seed);
      const scores = byKind.get(kind)!;
      const line: string[] = [];
      for (const pipeline of PIPELINES) {
        const alpha = await run(pipeline, scene);
        const hard = iou(alpha, scene.alpha);
        const soft = softMaskIoU(alpha, scene.alpha);
        scores[pipeline].iou.push(hard);
        scores[pipeline].soft.push(soft);
        line.push(`${pipeline} ${hard.toFixed(3)}`);
        if (options.save) await saveAlpha(options.save, `${kind}-${seed}-${pipeline.replace(/[^a-z]+/g, '-')}.png`, alpha, scene);
      }
      if (options.save) {
        writeFileSync(join(options.save, `${kind}-${seed}.png`), scene.image);
        await saveAlpha(options.save, `${kind}-${seed}-truth.png`, scene.alpha, scene);
      }
      if (options.list) console.log(`${kind.padEnd(8)} ${String(seed).padStart(5)}  ${line.join('  ')}  (${scene.describe})`);
    }
  }
  return byKind;
}

async function saveAlpha(dir: string, name: string, alpha: Uint8Array, scene: FrameScene) {
  await sharp(Buffer.from(alpha), { raw: { width: scene.width, height: scene.height, channels: 1 } })
    .png()
    .toFile(join(dir, name));
}

function table(label: string, byKind: Map<string, Scores>): string[] {
  const lines = [`-- ${label}: IoU / soft IoU against the true alpha`, `${'kind'.padEnd(10)}${PIPELINES.map((p) => p.padEnd(19)).join('')}`];
  const all = emptyScores();
  for (const [kind, scores] of byKind) {
    lines.push(`${kind.padEnd(10)}${PIPELINES.map((p) => cell(scores[p]).padEnd(19)).join('')}`);
    for (const p of PIPELINES) {
      all[p].iou.push(...scores[p].iou);
      all[p].soft.push(...scores[p].soft);
    }
  }
  lines.push(`${'mean'.padEnd(10)}${PIPELINES.map((p) => cell(all[p]).padEnd(19)).join('')}`);
  return lines;
}

/** The scene (kind and seed) where `a` falls furthest below `b`, with that difference. */
function worstScene(byKind: Map<string, Scores>, seeds: number[], a: Pipeline, b: Pipeline): { scene: string; value: number } {
  let worst = { scene: '', value: Infinity };
  for (const [kind, scores] of byKind)
    scores[a].iou.forEach((value, i) => {
      if (value - scores[b].iou[i] < worst.value) worst = { scene: `${kind} ${seeds[i]}`, value: value - scores[b].iou[i] };
    });
  return worst;
}

/** The acceptance checks on one set, kind by kind (IoU), and scene by scene where it says "the same scene". */
function checks(byKind: Map<string, Scores>, seeds: number[]): string[] {
  const m = (scores: Scores, p: Pipeline) => mean(scores[p].iou);
  const kinds = [...byKind.entries()];
  const all = kinds.flatMap(([, s]) => s['box + frame'].iou);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const worst = (f: (s: Scores) => number) => kinds.map(([kind, s]) => ({ kind, value: f(s) })).reduce((a, b) => (b.value < a.value ? b : a));
  const boxLow = worst((s) => m(s, 'box + frame'));
  const hintVsPlain = worst((s) => m(s, 'no hint') - m(s, 'plain'));
  const transparentVsMask = worst((s) => Math.min(m(s, 'no hint') - m(s, 'no hint mask'), m(s, 'box + frame') - m(s, 'box + frame mask')));
  const boxVsNoHint = worst((s) => m(s, 'box + frame') - m(s, 'no hint'));
  const boxVsScene = worstScene(byKind, seeds, 'box + frame', 'no hint');
  const transparentVsScene = worstScene(byKind, seeds, 'no hint', 'no hint mask');
  return [
    `box + frame mean IoU ${mean(all).toFixed(3)} (goal >= 0.85): ${verdict(mean(all) >= 0.85)}`,
    `box + frame lowest kind ${boxLow.kind} ${boxLow.value.toFixed(3)} (goal >= 0.75): ${verdict(boxLow.value >= 0.75)}`,
    `no hint - plain, worst kind ${hintVsPlain.kind} ${hintVsPlain.value.toFixed(3)} (goal >= -0.01): ${verdict(hintVsPlain.value >= -0.01)}`,
    `transparent - mask, worst kind ${transparentVsMask.kind} ${transparentVsMask.value.toFixed(3)} (goal >= 0): ${verdict(transparentVsMask.value >= 0)}`,
    `box + frame - no hint, worst kind ${boxVsNoHint.kind} ${boxVsNoHint.value.toFixed(3)} (goal >= -0.02): ${verdict(boxVsNoHint.value >= -0.02)}`,
    `box + frame - no hint, worst scene ${boxVsScene.scene} ${boxVsScene.value.toFixed(3)} (goal >= -0.02): ${verdict(boxVsScene.value >= -0.02)}`,
    `transparent - mask, worst scene ${transparentVsScene.scene} ${transparentVsScene.value.toFixed(3)} (no hint; goal >= 0): ${verdict(transparentVsScene.value >= 0)}`,
  ];
}

const USAGE = `npm run bench:frames -- [options]
  --quick              2 seeds per kind and set (20 scenes, about 4 minutes on 2 cores)
  --seeds N            N seeds per kind and set (default 6)
  --set tuning|held-out|both
  --held-out-from S    the held-out set's first seed (default 17001)
  --only P,P           these pipelines alone (${ALL_PIPELINES.join(', ')})
  --kinds K,K          these kinds alone (${FRAME_KINDS.join(', ')})
  --list               one line per scene
  --save DIR           the scenes, their true alphas and every pipeline's alpha as PNGs
  --help               this text`;

async function main() {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      set: { type: 'string', default: 'both' },
      list: { type: 'boolean', default: false },
      save: { type: 'string' },
      only: { type: 'string' },
      kinds: { type: 'string' },
      'held-out-from': { type: 'string', default: '17001' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.kinds) {
    const wanted = values.kinds.split(',').map((name) => name.trim());
    const unknown = wanted.filter((name) => !(FRAME_KINDS as readonly string[]).includes(name));
    if (unknown.length) throw new Error(`--kinds takes kinds among ${FRAME_KINDS.join(', ')}; not ${unknown.join(', ')}`);
    kinds = FRAME_KINDS.filter((kind) => wanted.includes(kind));
  }
  if (values.only) {
    const wanted = values.only.split(',').map((name) => name.trim());
    const unknown = wanted.filter((name) => !(ALL_PIPELINES as readonly string[]).includes(name));
    if (unknown.length) throw new Error(`--only takes pipelines among ${ALL_PIPELINES.join(', ')}; not ${unknown.join(', ')}`);
    PIPELINES = ALL_PIPELINES.filter((p) => wanted.includes(p));
  }
  if (!['both', 'tuning', 'held-out'].includes(values.set!)) throw new Error(`--set takes both, tuning or held-out, not "${values.set}"`);
  if (values.save) mkdirSync(values.save, { recursive: true });
  const sets = seedSets({ seeds: values.seeds, quick: values.quick, heldOutFrom: values['held-out-from']! }).filter(
    (s) => values.set === 'both' || values.set === s.set,
  );
  const started = performance.now();
  const report: string[] = [];
  for (const set of sets) {
    const byKind = await scoreSet(set.seeds, { list: values.list, save: values.save });
    report.push('', ...table(set.label, byKind));
    if (PIPELINES === ALL_PIPELINES) report.push(`checks on ${set.label}:`, ...checks(byKind, set.seeds).map((line) => `  ${line}`));
  }
  console.log(report.join('\n'));
  console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
