import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { readEngineConfig } from '../src/engine/core/config';
import { maskIoU } from '../src/engine/matte/confidence';

// dist/testkit -> the repository root.
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The fixtures in the repository (test/fixtures, with provenance); VITRINEALU_FIXTURES overrides. */
export const FIXTURES = process.env.VITRINEALU_FIXTURES ?? path.join(REPO_ROOT, 'test', 'fixtures');

export const PHOTOS = ['coffee.png', 'apple.jpg', 'motorcycle_left.png', 'butterfly.jpg', 'chelsea.png', 'plant.jpg'];

export function photoPath(name: string): string {
  return path.join(FIXTURES, 'photos', name);
}

export function readPhoto(name: string): Buffer {
  return fs.readFileSync(photoPath(name));
}

export async function referenceMask(name: string): Promise<Buffer> {
  const file = path.join(FIXTURES, 'reference-masks', name.replace(/\.\w+$/, '.png'));
  return sharp(file).extractChannel(0).raw().toBuffer();
}

/** IoU of two 8-bit masks thresholded at 128: the engine's own measure. */
export const iou = maskIoU;

/** Where the assembled default model is cached: the engine's own default (outside the repo). */
export function modelCacheDir(): string {
  return readEngineConfig().modelCacheDir;
}
