/**
 * npm run bench:grabcut [-- --seeds N] [--held-out-from S]
 *
 * Should the frame's matte come from a graph cut (opencv-js's GrabCut, WebAssembly) rather
 * than from our own colour and straight-bar tests? On the bench:frames scenes (tuning seeds
 * 1..N and held-out seeds S..S+N-1, all five kinds), with a box marked Framed Product:
 * - ours: Background Cleanup's matte (mask mode);
 * - grabcut free: GrabCut over the box, started from ours (ours >= 128 "probably product", the
 *   rest of the box "probably background", outside the box background), 5 iterations;
 * - grabcut refine: the same, but ours at 250+ is sure product and ours at 0 more than 2 px
 *   from it sure background: GrabCut decides the edges only;
 * each at the photo's full resolution. Prints IoU at alpha >= 128 per kind and the time
 * GrabCut took against ours.
 */
import cvModule from '@techstark/opencv-js';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { iou } from '../testkit/fixtures';
import { FRAME_KINDS, frameScene, type FrameScene } from '../testkit/frameScenes';

type Cv = typeof cvModule;

/**
 * opencv.js once its WebAssembly has started. The module is a thenable (Emscripten's) that
 * resolves to itself, so it is handed out inside an object: awaiting it directly never ends.
 */
async function openCv(): Promise<{ cv: Cv }> {
  const cv = cvModule as Cv & { onRuntimeInitialized?: () => void };
  if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
  return { cv };
}

const ITERATIONS = 5;
/** Ours at 0 this far from any of ours counts as sure background in the refine variant. */
const SURE_BACKGROUND_GAP = 2;

/** GrabCut's labels from our matte: 0 background, 1 product, 2 probably background, 3 probably product. */
function seeds(ours: Uint8Array, scene: FrameScene, refine: boolean): Uint8Array {
  const { width, height, box } = scene;
  const labels = new Uint8Array(width * height);
  const nearOurs = (x: number, y: number) => {
    for (let dy = -SURE_BACKGROUND_GAP; dy <= SURE_BACKGROUND_GAP; dy++)
      for (let dx = -SURE_BACKGROUND_GAP; dx <= SURE_BACKGROUND_GAP; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < width && ny < height && ours[ny * width + nx] > 0) return true;
      }
    return false;
  };
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * width + x;
      if (refine && ours[i] >= 250) labels[i] = 1;
      else if (refine && ours[i] === 0 && !nearOurs(x, y)) labels[i] = 0;
      else labels[i] = ours[i] >= 128 ? 3 : 2;
    }
  return labels;
}

async function grabCut(cv: Cv, scene: FrameScene, labels: Uint8Array): Promise<{ alpha: Uint8Array; ms: number }> {
  const rgb = await sharp(scene.image).removeAlpha().raw().toBuffer();
  const image = cv.matFromArray(scene.height, scene.width, cv.CV_8UC3, Array.from(rgb));
  const mask = cv.matFromArray(scene.height, scene.width, cv.CV_8UC1, Array.from(labels));
  const bgModel = new cv.Mat();
  const fgModel = new cv.Mat();
  const started = performance.now();
  try {
    cv.grabCut(image, mask, new cv.Rect(0, 0, 1, 1), bgModel, fgModel, ITERATIONS, cv.GC_INIT_WITH_MASK);
    const ms = performance.now() - started;
    const alpha = new Uint8Array(scene.width * scene.height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = mask.data[i] === 1 || mask.data[i] === 3 ? 255 : 0;
    return { alpha, ms };
  } finally {
    for (const mat of [image, mask, bgModel, fgModel]) mat.delete();
  }
}

async function main() {
  const { values } = parseArgs({ options: { seeds: { type: 'string', default: '2' }, 'held-out-from': { type: 'string', default: '4001' } } });
  const count = Number(values.seeds);
  const heldOut = Number(values['held-out-from']);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--seeds takes a whole number, not "${values.seeds}"`);
  if (!Number.isInteger(heldOut) || heldOut <= count) throw new Error(`--held-out-from takes a seed above the tuning seeds, not "${values['held-out-from']}"`);
  const { cv } = await openCv();
  const seedList = [...Array.from({ length: count }, (_, i) => i + 1), ...Array.from({ length: count }, (_, i) => heldOut + i)];
  const variants = ['ours', 'grabcut free', 'grabcut refine'] as const;
  const scores = new Map<string, Record<(typeof variants)[number], number[]>>(
    FRAME_KINDS.map((kind) => [kind, { ours: [], 'grabcut free': [], 'grabcut refine': [] }]),
  );
  let oursMs = 0;
  let cutMs = 0;
  for (const seed of seedList) {
    for (const kind of FRAME_KINDS) {
      const scene = await frameScene(kind, seed);
      const started = performance.now();
      const ours = (await cleanupImage(scene.image, { mode: 'mask', hint: { box: scene.box, frame: true, units: 'px' } })).alpha.data;
      oursMs += performance.now() - started;
      const free = await grabCut(cv, scene, seeds(ours, scene, false));
      const refine = await grabCut(cv, scene, seeds(ours, scene, true));
      cutMs += free.ms;
      const row = scores.get(kind)!;
      row.ours.push(iou(ours, scene.alpha));
      row['grabcut free'].push(iou(free.alpha, scene.alpha));
      row['grabcut refine'].push(iou(refine.alpha, scene.alpha));
      console.log(`${kind.padEnd(8)} ${String(seed).padStart(5)}  ${variants.map((v) => `${v} ${row[v][row[v].length - 1].toFixed(3)}`).join('  ')}`);
    }
  }
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  console.log(`\n-- IoU against the true alpha, seeds ${seedList.join(', ')}, box + Framed Product`);
  console.log(`${'kind'.padEnd(10)}${variants.map((v) => v.padEnd(16)).join('')}`);
  for (const [kind, row] of scores) console.log(`${kind.padEnd(10)}${variants.map((v) => mean(row[v]).toFixed(3).padEnd(16)).join('')}`);
  const all = (v: (typeof variants)[number]) => mean([...scores.values()].flatMap((row) => row[v]));
  console.log(`${'mean'.padEnd(10)}${variants.map((v) => all(v).toFixed(3).padEnd(16)).join('')}`);
  console.log(`\none GrabCut (${ITERATIONS} iterations, full resolution) took ${(cutMs / oursMs).toFixed(2)}x the time of our whole Cleanup (model included)`);
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
