import sharp from 'sharp';

import type { AlphaMask, BoundingBox } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';

/** Alpha at or above this counts toward the subject's bounding box: any visible pixel, so cropping never cuts a soft edge (the subject itself is SUBJECT_ALPHA). */
export const BOX_ALPHA = 8;

/**
 * Softens the matte's edge by about `px` pixels (a Gaussian of sigma px/2). With `keepThin`
 * (a matte fitted to the photo's edges: guidedUpsample.ts), a pixel held at least half that
 * the blur would take under half keeps its value: a spoke, a wire or a stalk a pixel or two
 * wide would otherwise fade away.
 */
export async function featherMask(mask: AlphaMask, px: number, keepThin = false): Promise<AlphaMask> {
  if (px <= 0) return mask;
  const data = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    // libvips drops kernels under sigma 0.6 to a single tap: 1 px would silently do nothing.
    .blur(Math.max(0.6, px / 2))
    .extractChannel(0)
    .raw()
    .toBuffer();
  if (keepThin) for (let i = 0; i < data.length; i++) if (mask.data[i] >= SUBJECT_ALPHA && data[i] < SUBJECT_ALPHA) data[i] = mask.data[i];
  return { data, width: mask.width, height: mask.height };
}

export interface MaskStats {
  /** Tight box around pixels with alpha >= BOX_ALPHA; undefined when empty. */
  bbox?: BoundingBox;
  /** Mean alpha over the whole image, 0..1. */
  coverage: number;
}

export function maskStats(mask: AlphaMask): MaskStats {
  const { data, width, height } = mask;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let rowHit = false;
    for (let x = 0; x < width; x++) {
      const a = data[row + x];
      sum += a;
      if (a >= BOX_ALPHA) {
        rowHit = true;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
    if (rowHit) {
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  const coverage = sum / 255 / (width * height);
  if (x1 < 0) return { coverage };
  return { bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, coverage };
}

/** The bounding box grown by `margin` px on each side, kept inside the image. */
export function expandBox(box: BoundingBox, margin: number, width: number, height: number): BoundingBox {
  const x = Math.max(0, box.x - margin);
  const y = Math.max(0, box.y - margin);
  const right = Math.min(width, box.x + box.width + margin);
  const bottom = Math.min(height, box.y + box.height + margin);
  return { x, y, width: right - x, height: bottom - y };
}

/** A region's mask placed at its spot in an otherwise empty full-size mask. */
export function placeInFrame(mask: AlphaMask, region: BoundingBox, width: number, height: number): AlphaMask {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < region.height; y++) mask.data.copy(data, (region.y + y) * width + region.x, y * region.width, (y + 1) * region.width);
  return { data, width, height };
}

/** Alpha 0 outside the box: a hinted product never reaches past it. */
export function keepInside(mask: AlphaMask, box: BoundingBox): AlphaMask {
  const data = Buffer.alloc(mask.data.length);
  for (let y = box.y; y < box.y + box.height; y++) mask.data.copy(data, y * mask.width + box.x, y * mask.width + box.x, y * mask.width + box.x + box.width);
  return { ...mask, data };
}
