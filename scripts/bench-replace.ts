/**
 * npm run bench:replace — studio Background Replace on 12 MP photos against cleanup alone.
 * For the fixture photos scaled to 4000x3000 (JPEG q92 in): median time of cleanupImage()
 * (transparent PNG) and of replaceBackground() (studio engine, vitrinealu/studio preset:
 * contact shadow, colour match, enhanceFg, see-through gaps, JPEG out), and their ratio.
 * Goal (issue #3): replace adds <= 25 % to cleanup. Prints figures, asserts nothing.
 */
import path from 'node:path';
import sharp from 'sharp';

import { FIXTURES, PHOTOS } from '../testkit/fixtures';

import { cleanupImage, closeWorkerPool } from '../src/engine';
import { replaceBackground } from '../src/engine/pipeline/replace';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const images = await Promise.all(
    PHOTOS.map((name) =>
      sharp(path.join(FIXTURES, 'photos', name))
        .resize(4000, 3000, { fit: 'fill' })
        .jpeg({ quality: 92 })
        .toBuffer(),
    ),
  );
  await cleanupImage(images[0], {}); // warm-up: model and session
  const cleanup: number[] = [];
  const replace: number[] = [];
  const stages: Record<string, number[]> = {};
  for (const image of images) {
    let started = performance.now();
    await cleanupImage(image, { mode: 'transparent' });
    cleanup.push(performance.now() - started);
    started = performance.now();
    const result = await replaceBackground(image, {});
    replace.push(performance.now() - started);
    for (const [key, value] of Object.entries(result.metadata.timings)) (stages[key] ??= []).push(value);
  }
  await closeWorkerPool();
  const c = median(cleanup);
  const r = median(replace);
  console.log(`bench:replace — ${PHOTOS.length} fixture photos at 4000x3000, DEVICE=${process.env.DEVICE ?? 'auto'}`);
  console.log(
    `cleanup (transparent PNG) median ${(c / 1000).toFixed(2)} s | studio replace (JPEG) median ${(r / 1000).toFixed(2)} s | replace / cleanup ${(r / c).toFixed(2)}x (+${Math.round((r / c - 1) * 100)} %)`,
  );
  console.log(`replace stages (median ms): ${JSON.stringify(Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(median(v))])))}`);
  console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
