/**
 * npm run bench:hints [-- N] — subject hints and the cut-out confidence score, with the real
 * model. N seeded window scenes (default 20): an aluminium frame with 2-4 empty panes drawn
 * over a whole fixture photo (its cat, cup or plant included: what a product photo with
 * clutter looks like), the known alpha being the frame. For each scene: IoU against the
 * known alpha without a hint and with a box hint around the frame marked as a framed product
 * (`--no-frame`: the box alone) (issue #8's goal: +0.15 on average). Then the confidence score against IoU, over the fixture photos (reference masks)
 * and the scenes: Spearman rank correlation (goal >= 0.6), for the mask-only score and for
 * the cross-checked one; the scatter goes to docs/confidence-scatter.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { closeWorkerPool } from '../src/engine';
import type { AlphaMask } from '../src/engine/image/types';
import { cutoutConfidence } from '../src/engine/matte/confidence';
import { maskStats } from '../src/engine/matte/matte';
import { extractSubject } from '../src/engine/subject';
import { iou, PHOTOS, photoPath, readPhoto, referenceMask, REPO_ROOT } from '../test/helpers/fixtures';
import { windowScene } from '../test/helpers/windowScene';

interface Point {
  label: string;
  iou: number;
  score: number;
  checked: number;
  features?: Record<string, number>;
}

/** Spearman's rho: Pearson correlation of the ranks (ties share their mean rank). */
export function spearman(a: number[], b: number[]): number {
  const ranks = (values: number[]) => {
    const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
    const out = new Array<number>(values.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1].value === order[i].value) j++;
      for (let k = i; k <= j; k++) out[order[k].index] = (i + j) / 2;
      i = j + 1;
    }
    return out;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

async function scatter(points: Point[], file: string, rhoScore: number, rhoChecked: number): Promise<void> {
  const size = 520;
  const pad = 60;
  const x = (v: number) => pad + v * (size - 2 * pad);
  const y = (v: number) => size - pad - v * (size - 2 * pad);
  const colours: Record<string, string> = { fixture: '#1f77b4', 'no hint': '#d62728', 'box hint': '#2ca02c' };
  const dots = points
    .map((p) => `<circle cx="${x(p.iou).toFixed(1)}" cy="${y(p.score).toFixed(1)}" r="5" fill="${colours[p.label]}" fill-opacity="0.75"/>`)
    .join('');
  const legend = Object.entries(colours)
    .map(([name, colour], i) => `<circle cx="${pad + 10}" cy="${pad + 10 + i * 18}" r="5" fill="${colour}"/><text x="${pad + 22}" y="${pad + 15 + i * 18}" font-size="13">${name}</text>`)
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<text x="${x(t) - 10}" y="${size - pad + 18}" font-size="11">${t}</text><text x="${pad - 32}" y="${y(t) + 4}" font-size="11">${t}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${size - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${size - pad}" stroke="black"/>
${ticks}${dots}${legend}
<text x="${size / 2 - 90}" y="${size - 15}" font-size="13">IoU against the known mask</text>
<text x="15" y="${size / 2 + 60}" font-size="13" transform="rotate(-90 15 ${size / 2 + 60})">confidence score (mask only)</text>
<text x="${pad}" y="30" font-size="14">Spearman: mask-only ${rhoScore.toFixed(2)}, cross-checked ${rhoChecked.toFixed(2)} (n=${points.length})</text>
</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

async function main() {
  const count = Number(process.argv[2] ?? 20);
  // --quick: no second model run (the cross-checked score then equals the mask-only one).
  const plain = { featherPx: 0, decontaminate: false, enhanceFg: false, crossCheck: !process.argv.includes('--quick') };
  const points: Point[] = [];
  let unhinted = 0;
  let hinted = 0;
  for (let seed = 1; seed <= count; seed++) {
    const scene = await windowScene(photoPath(PHOTOS[seed % PHOTOS.length]), seed);
    const frame = maskStats({ data: Buffer.from(scene.alpha), width: scene.width, height: scene.height }).bbox!;
    // A box as a person would draw it: a little loose around the frame.
    const box = { x: frame.x - 6, y: frame.y - 6, width: frame.width + 12, height: frame.height + 12 };
    const none = await extractSubject(scene.image, plain);
    const boxed = await extractSubject(scene.image, { ...plain, hint: { box, units: 'px', margin: 0.1, frame: !process.argv.includes('--no-frame') } });
    const a = iou(none.alpha.data, scene.alpha);
    const b = iou(boxed.alpha.data, scene.alpha);
    unhinted += a;
    hinted += b;
    points.push({ label: 'no hint', iou: a, score: await maskOnly(none.alpha), checked: none.confidence.score, features: none.confidence.features });
    points.push({ label: 'box hint', iou: b, score: await maskOnly(boxed.alpha), checked: boxed.confidence.score, features: boxed.confidence.features });
    console.log(
      `scene ${String(seed).padStart(2)} on ${PHOTOS[seed % PHOTOS.length].padEnd(20)} IoU no hint ${a.toFixed(3)} (score ${points[points.length - 2].score.toFixed(2)} / ${none.confidence.score.toFixed(2)})  box ${b.toFixed(3)} (score ${points[points.length - 1].score.toFixed(2)} / ${boxed.confidence.score.toFixed(2)})${none.confidence.reasons.length ? `  [${none.confidence.reasons.join('; ')}]` : ''}`,
    );
  }
  console.log(`mean IoU over ${count} scenes: no hint ${(unhinted / count).toFixed(3)}, box hint ${(hinted / count).toFixed(3)}, change +${((hinted - unhinted) / count).toFixed(3)} (goal +0.15)`);
  for (const name of PHOTOS) {
    const subject = await extractSubject(readPhoto(name), plain);
    const value = iou(subject.alpha.data, await referenceMask(name));
    points.push({ label: 'fixture', iou: value, score: await maskOnly(subject.alpha), checked: subject.confidence.score, features: subject.confidence.features });
    console.log(`${name.padEnd(20)} IoU ${value.toFixed(3)} score ${points[points.length - 1].score.toFixed(2)} / cross-checked ${subject.confidence.score.toFixed(2)}`);
  }
  const rho = spearman(points.map((p) => p.score), points.map((p) => p.iou));
  const rhoChecked = spearman(points.map((p) => p.checked), points.map((p) => p.iou));
  // Which signal carries the information: each feature's rank correlation with IoU.
  const names = Object.keys(points[0].features ?? {});
  console.log(`Spearman(feature, IoU): ${names.map((name) => `${name} ${spearman(points.map((p) => p.features?.[name] ?? 0), points.map((p) => p.iou)).toFixed(2)}`).join(', ')}`);
  if (process.env.BENCH_HINTS_DUMP) fs.writeFileSync(process.env.BENCH_HINTS_DUMP, JSON.stringify(points));
  console.log(`Spearman(score, IoU) over ${points.length} cut-outs: mask-only ${rho.toFixed(3)}, cross-checked ${rhoChecked.toFixed(3)} (goal >= 0.6)`);
  const file = path.join(REPO_ROOT, 'docs', 'confidence-scatter.png');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await scatter(points, file, rho, rhoChecked);
  console.log(`scatter: ${path.relative(REPO_ROOT, file)}`);
  await closeWorkerPool();
}

/** The score without the second run's agreement: what every cut-out gets by default. */
async function maskOnly(alpha: AlphaMask): Promise<number> {
  return (await cutoutConfidence(alpha)).score;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
