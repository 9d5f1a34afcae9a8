/**
 * npm run bench:precision — does the int8 model (BG_MODEL_PRECISION=int8) cut out what the fp32
 * model does? Every photo and scene through cleanupImage (transparent, the alpha users get)
 * twice, fp32 then int8, in one process: the IoU of the two alphas (at >= 128) per group, its
 * lowest, and how many fall under 0.99 (issue 27's bound for a faster model form); on
 * bench:frames scenes also each one's IoU to the true alpha, so a change shows whether it
 * costs or gains. Groups: the fixture photos at their own size; bench:frames scenes (tuning
 * seeds and a held-out set) without a hint and with the box + Framed Product.
 *
 *   npm run bench:precision -- [--seeds N] [--held-out-from S] [--list]
 */
import { parseArgs } from 'node:util';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import type { CleanupOptionsInput } from '../src/engine/pipeline/cleanup';
import { iou, PHOTOS, readPhoto } from '../testkit/fixtures';
import { FRAME_KINDS, frameScene } from '../testkit/frameScenes';

/** Issue 27: a faster model form is adopted only where the mask stays this close to fp32's. */
const SAME_MASK = 0.99;

async function alphaAt(precision: 'fp32' | 'int8', image: Buffer, options: CleanupOptionsInput): Promise<Uint8Array> {
  process.env.BG_MODEL_PRECISION = precision;
  return (await cleanupImage(image, options)).alpha.data;
}

interface Row {
  name: string;
  agreement: number;
  truth?: { fp32: number; int8: number };
}

async function compare(name: string, image: Buffer, options: CleanupOptionsInput, truth?: Uint8Array): Promise<Row> {
  const fp32 = await alphaAt('fp32', image, options);
  const int8 = await alphaAt('int8', image, options);
  const row: Row = { name, agreement: iou(Buffer.from(fp32), Buffer.from(int8)) };
  if (truth) row.truth = { fp32: iou(Buffer.from(fp32), Buffer.from(truth)), int8: iou(Buffer.from(int8), Buffer.from(truth)) };
  return row;
}

function summary(group: string, rows: Row[]): string {
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const lowest = rows.reduce((a, b) => (b.agreement < a.agreement ? b : a));
  const under = rows.filter((r) => r.agreement < SAME_MASK).length;
  const truth = rows.every((r) => r.truth)
    ? ` | IoU to the truth fp32 ${mean(rows.map((r) => r.truth!.fp32)).toFixed(3)}, int8 ${mean(rows.map((r) => r.truth!.int8)).toFixed(3)}`
    : '';
  return `${group.padEnd(28)} ${rows.length} | int8 vs fp32 mean ${mean(rows.map((r) => r.agreement)).toFixed(4)}, lowest ${lowest.agreement.toFixed(4)} (${lowest.name}), under ${SAME_MASK}: ${under}${truth}`;
}

async function main() {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '3' }, 'held-out-from': { type: 'string', default: '17001' }, list: { type: 'boolean', default: false } },
  });
  const seeds = Number(values.seeds);
  const heldOut = Number(values['held-out-from']);
  if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(heldOut) || heldOut < 1)
    throw new Error('--seeds and --held-out-from take whole numbers of at least 1');
  const report = (row: Row) => {
    if (values.list)
      console.log(
        `  ${row.name.padEnd(22)} ${row.agreement.toFixed(4)}${row.truth ? `  truth ${row.truth.fp32.toFixed(3)} -> ${row.truth.int8.toFixed(3)}` : ''}`,
      );
    return row;
  };
  const lines: string[] = [];
  const photos: Row[] = [];
  for (const photo of PHOTOS) photos.push(report(await compare(photo, readPhoto(photo), { mode: 'transparent' })));
  lines.push(summary('fixture photos', photos));
  for (const [set, first] of [
    ['tuning', 1],
    ['held out', heldOut],
  ] as const) {
    const plain: Row[] = [];
    const boxed: Row[] = [];
    for (let seed = first; seed < first + seeds; seed++)
      for (const kind of FRAME_KINDS) {
        const scene = await frameScene(kind, seed);
        plain.push(report(await compare(`${kind} ${seed}`, scene.image, { mode: 'transparent' }, scene.alpha)));
        boxed.push(
          report(await compare(`${kind} ${seed} box`, scene.image, { mode: 'transparent', hint: { box: scene.box, frame: true, units: 'px' } }, scene.alpha)),
        );
      }
    lines.push(summary(`frames ${set}, no hint`, plain), summary(`frames ${set}, box + frame`, boxed));
  }
  console.log(`bench:precision — cleanupImage with BG_MODEL_PRECISION fp32 and int8, alphas compared (IoU at >= 128)\n${lines.join('\n')}`);
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
