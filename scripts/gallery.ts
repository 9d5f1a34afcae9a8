/**
 * Contact sheets made by the engine itself on the bundled examples, one row per photo:
 *  - cleanup: original, transparent (on a checkerboard), colour, blur and mask;
 *  - replace: original and the studio engine with each vitrinealu prompt type.
 *   node dist/scripts/gallery.js                     run the engine, write docs/*-gallery.png
 *   node dist/scripts/gallery.js --from out --to F   cleanup sheet from the demo's out/<mode>/ files
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { replaceBackground } from '../src/engine/pipeline/replace';

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

async function main() {
  const args = process.argv.slice(2);
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
