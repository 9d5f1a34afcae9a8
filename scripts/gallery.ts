/**
 * Contact sheet of Background Cleanup on the bundled examples: original, transparent (on a
 * checkerboard), colour, blur and mask, one row per photo. Made by the engine itself.
 *   node dist/scripts/gallery.js                     run the engine, write docs/cleanup-gallery.png
 *   node dist/scripts/gallery.js --from out --to F   use the demo's out/<mode>/ files instead
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool } from '../src/engine';

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
  const fitted = await sharp(image).resize(CELL, CELL, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer();
  const base = transparent ? sharp(checkerboard(CELL, CELL)) : sharp({ create: { width: CELL, height: CELL, channels: 4, background: '#f3f4f6' } });
  return base.composite([{ input: fitted }]).png().toBuffer();
}

function label(text: string, width: number): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LABEL}"><rect width="100%" height="100%" fill="#1f2937"/><text x="8" y="19" font-family="DejaVu Sans, sans-serif" font-size="14" fill="#ffffff">${text}</text></svg>`);
}

async function main() {
  const args = process.argv.slice(2);
  const from = args.includes('--from') ? path.resolve(args[args.indexOf('--from') + 1]) : undefined;
  const to = path.resolve(args.includes('--to') ? args[args.indexOf('--to') + 1] : path.join(ROOT, 'docs', 'cleanup-gallery.png'));
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
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
  fs.mkdirSync(path.dirname(to), { recursive: true });
  await sharp({ create: { width: columns.length * CELL, height: LABEL + examples.length * CELL, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png({ compressionLevel: 9 })
    .toFile(to);
  await closeWorkerPool();
  console.log(`wrote ${path.relative(process.cwd(), to) || to}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
