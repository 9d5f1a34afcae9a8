/**
 * Contact sheets made by the engine itself on the bundled examples, one row per photo:
 *  - cleanup: original, transparent (on a checkerboard), colour, blur and mask;
 *  - replace: original and the studio engine with each vitrinealu prompt type.
 *   node dist/scripts/gallery.js                     run the engine, write docs/*-gallery.png
 *   node dist/scripts/gallery.js --from out --to F   cleanup sheet from the demo's out/<mode>/ files
 *   node dist/scripts/gallery.js --frames            docs/frames-gallery.png: bench:frames scenes
 *     (tuning seeds) without a hint and with a box marked Framed Product, beside the true alpha
 *   node dist/scripts/gallery.js --looks             docs/looks-gallery.png: the shadow looks and
 *     controls, a layout, and the two blur types, on the bundled examples
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { replaceBackground } from '../src/engine/pipeline/replace';
import { type FrameKind, frameScene } from '../testkit/frameScenes';

const ROOT = path.resolve(__dirname, '..', '..');
const MODES = ['transparent', 'color', 'blur', 'mask'] as const;
const CELL = 260;
const LABEL = 28;

function checkerboard(width: number, height: number): Buffer {
  const square = 12;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><pattern id="c" width="${2 * square}" height="${2 * square}" patternUnits="userSpaceOnUse"><rect width="${2 * square}" height="${2 * square}" fill="#ffffff"/><rect width="${square}" height="${square}" fill="#d0d4d9"/><rect x="${square}" y="${square}" width="${square}" height="${square}" fill="#d0d4d9"/></pattern></defs><rect width="100%" height="100%" fill="url(#c)"/></svg>`;
  return Buffer.from(svg);
}

async function cell(image: Buffer, transparent: boolean): Promise<Buffer> {
  const fitted = await sharp(image)
    .resize(CELL, CELL, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer();
  const base = transparent ? sharp(checkerboard(CELL, CELL)) : sharp({ create: { width: CELL, height: CELL, channels: 4, background: '#f3f4f6' } });
  return base
    .composite([{ input: fitted }])
    .png()
    .toBuffer();
}

function label(text: string, width: number): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LABEL}"><rect width="100%" height="100%" fill="#1f2937"/><text x="8" y="19" font-family="DejaVu Sans, sans-serif" font-size="14" fill="#ffffff">${text}</text></svg>`,
  );
}

async function writeSheet(file: string, columns: number, rows: number, composites: sharp.OverlayOptions[]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: columns * CELL, height: LABEL + rows * CELL, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png({ compressionLevel: 9 })
    .toFile(file);
  console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

/** Tuning scenes of bench:frames with something behind the frame, and a white pergola on a studio sweep (held out once, looked at since). */
const FRAME_SCENES: Array<[FrameKind, number]> = [
  ['window', 5],
  ['door', 1],
  ['railing', 1],
  ['pergola', 2],
  ['pergola', 11003],
];

async function framesSheet(file: string) {
  const columns = ['photo and box', 'no hint', 'box + Framed Product', 'true alpha'];
  const composites: sharp.OverlayOptions[] = columns.map((name, i) => ({ input: label(name, CELL), left: i * CELL, top: 0 }));
  for (const [row, [kind, seed]] of FRAME_SCENES.entries()) {
    const scene = await frameScene(kind, seed);
    const { x, y, width, height } = scene.box;
    const outline = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}"><rect x="${x + 1.5}" y="${y + 1.5}" width="${width - 3}" height="${height - 3}" fill="none" stroke="#ff2d55" stroke-width="3"/></svg>`,
    );
    const boxed = await sharp(scene.image)
      .composite([{ input: outline }])
      .png()
      .toBuffer();
    const plain = (await cleanupImage(scene.image, { mode: 'transparent' })).data;
    const framed = (await cleanupImage(scene.image, { mode: 'transparent', hint: { box: scene.box, frame: true, units: 'px' } })).data;
    const truth = await sharp(Buffer.from(scene.alpha), { raw: { width: scene.width, height: scene.height, channels: 1 } })
      .png()
      .toBuffer();
    const cells = [await cell(boxed, false), await cell(plain, true), await cell(framed, true), await cell(truth, false)];
    cells.forEach((input, column) => composites.push({ input, left: column * CELL, top: LABEL + row * CELL }));
  }
  await writeSheet(file, columns.length, FRAME_SCENES.length, composites);
}

/** Replace's looks and layout and Cleanup's blur types, one column each. */
const LOOKS: Array<{ name: string; options: Record<string, unknown>; cleanup?: boolean }> = [
  { name: 'Shadow: Soft', options: { shadow: 'soft' } },
  { name: 'Shadow: Hard', options: { shadow: 'hard' } },
  { name: 'Shadow: Floating', options: { shadow: 'floating' } },
  { name: 'Hard, Angle 135', options: { shadow: 'hard', shadowAngle: 135, shadowDistance: 8 } },
  { name: 'Scale 60%, left, top', options: { subjectScale: 60, horizontalAlign: 'left', anchor: 'top' } },
  { name: 'Blur: Gaussian', options: { mode: 'blur', blurType: 'gaussian' }, cleanup: true },
  { name: 'Blur: Lens', options: { mode: 'blur', blurType: 'lens' }, cleanup: true },
];

async function looksSheet(file: string, examples: string[]) {
  const composites: sharp.OverlayOptions[] = LOOKS.map((look, i) => ({ input: label(look.name, CELL), left: i * CELL, top: 0 }));
  for (const [row, name] of examples.entries()) {
    const original = fs.readFileSync(path.join(ROOT, 'examples', name));
    const cutout = (await cleanupImage(original, { mode: 'transparent' })).data;
    for (const [column, look] of LOOKS.entries()) {
      const output = look.cleanup
        ? (await cleanupImage(original, look.options)).data
        : (await replaceBackground(cutout, { promptType: 'studio', aspectRatio: '1:1', padding: '8%', ...look.options })).data;
      composites.push({ input: await cell(output, false), left: column * CELL, top: LABEL + row * CELL });
    }
  }
  await writeSheet(file, LOOKS.length, examples.length, composites);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--looks')) {
    const examples = fs
      .readdirSync(path.join(ROOT, 'examples'))
      .filter((f) => /\.(jpe?g|png)$/i.test(f))
      .sort();
    await looksSheet(path.join(ROOT, 'docs', 'looks-gallery.png'), examples);
    await closeWorkerPool();
    return;
  }
  if (args.includes('--frames')) {
    await framesSheet(path.join(ROOT, 'docs', 'frames-gallery.png'));
    await closeWorkerPool();
    return;
  }
  const from = args.includes('--from') ? path.resolve(args[args.indexOf('--from') + 1]) : undefined;
  const to = path.resolve(args.includes('--to') ? args[args.indexOf('--to') + 1] : path.join(ROOT, 'docs', 'cleanup-gallery.png'));
  const examples = fs
    .readdirSync(path.join(ROOT, 'examples'))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const columns = ['original', ...MODES];
  const composites: sharp.OverlayOptions[] = columns.map((name, i) => ({ input: label(name, CELL), left: i * CELL, top: 0 }));
  for (const [row, name] of examples.entries()) {
    const original = fs.readFileSync(path.join(ROOT, 'examples', name));
    const cells = [await cell(original, false)];
    for (const mode of MODES) {
      const base = path.basename(name, path.extname(name));
      const output = from
        ? fs.readFileSync(path.join(from, mode, `${base}-${mode === 'mask' ? 'mask' : 'cutout'}.png`))
        : (await cleanupImage(original, { mode })).data;
      cells.push(await cell(output, mode === 'transparent'));
    }
    cells.forEach((input, column) => composites.push({ input, left: column * CELL, top: LABEL + row * CELL }));
  }
  await writeSheet(to, columns.length, examples.length, composites);
  if (!from) {
    // Replace: one cut-out per photo, then each prompt type composited from it.
    const types = ['studio', 'garden', 'minimal', 'lifestyle'];
    const replaceComposites: sharp.OverlayOptions[] = ['original', ...types].map((name, i) => ({ input: label(name, CELL), left: i * CELL, top: 0 }));
    for (const [row, name] of examples.entries()) {
      const original = fs.readFileSync(path.join(ROOT, 'examples', name));
      const cutout = (await cleanupImage(original, { mode: 'transparent' })).data;
      const cells = [await cell(original, false)];
      for (const promptType of types) cells.push(await cell((await replaceBackground(cutout, { promptType, aspectRatio: '1:1', padding: '6%' })).data, false));
      cells.forEach((input, column) => replaceComposites.push({ input, left: column * CELL, top: LABEL + row * CELL }));
    }
    await writeSheet(path.join(path.dirname(to), 'replace-gallery.png'), types.length + 1, examples.length, replaceComposites);
  }
  await closeWorkerPool();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
