import sharp from 'sharp';

import type { AlphaMask } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import type { ShadowSettings } from '../presets/schema';

/**
 * Shadows as alpha masks (0..255) the size of the output, built from the subject's own
 * alpha, to be darkened onto the backdrop *before* the subject goes on top: a shadow can
 * never cover the subject.
 *
 * Contact shadow: the subject's silhouette squashed flat onto its lowest row (the floor
 * line), spread a little sideways and blurred. Drop shadow: the silhouette offset and blurred.
 */
export interface ShadowLayer {
  mask: AlphaMask;
  opacity: number;
}

function lowestRow(alpha: AlphaMask, threshold = SUBJECT_ALPHA): number {
  for (let y = alpha.height - 1; y >= 0; y--) {
    const row = y * alpha.width;
    for (let x = 0; x < alpha.width; x++) if (alpha.data[row + x] >= threshold) return y;
  }
  return -1;
}

/** The subject's height in rows (its topmost to its lowest), 0 when there is none. */
function subjectHeight(alpha: AlphaMask): number {
  const bottom = lowestRow(alpha);
  if (bottom < 0) return 0;
  for (let y = 0; y <= bottom; y++) {
    const row = y * alpha.width;
    for (let x = 0; x < alpha.width; x++) if (alpha.data[row + x] >= SUBJECT_ALPHA) return bottom - y + 1;
  }
  return 0;
}

/** A drop shadow's offset in px: by angle and distance (a share of the subject's height) when given, else offsetX / offsetY. */
export function dropOffset(alpha: AlphaMask, settings: NonNullable<ShadowSettings['drop']>): { dx: number; dy: number } {
  if (settings.angle === undefined || settings.distance === undefined) return { dx: Math.round(settings.offsetX), dy: Math.round(settings.offsetY) };
  const length = settings.distance * subjectHeight(alpha);
  const radians = (settings.angle * Math.PI) / 180;
  return { dx: Math.round(length * Math.cos(radians)), dy: Math.round(length * Math.sin(radians)) };
}

/**
 * Gaussian blur of a full-size mask whose non-zero pixels all lie in rows top..bottom: only
 * that band (plus 3 sigma on each side) is blurred, a few percent of a 12 MP frame.
 */
async function blurredRows(data: Buffer, width: number, height: number, sigma: number, top: number, bottom: number): Promise<Buffer> {
  if (sigma < 0.6 || bottom < top) return data;
  const reach = Math.ceil(3 * sigma) + 1;
  const y0 = Math.max(0, top - reach);
  const y1 = Math.min(height - 1, bottom + reach);
  const band = await sharp(data.subarray(y0 * width, (y1 + 1) * width), { raw: { width, height: y1 - y0 + 1, channels: 1 } })
    .blur(sigma)
    .extractChannel(0)
    .raw()
    .toBuffer();
  const out = Buffer.alloc(data.length);
  band.copy(out, y0 * width);
  return out;
}

export async function contactShadow(alpha: AlphaMask, settings: NonNullable<ShadowSettings['contact']>): Promise<ShadowLayer | undefined> {
  const base = lowestRow(alpha);
  if (base < 0) return undefined;
  // A gap lowers the shadow below the subject's base: the product floats above the floor.
  const floor = Math.min(alpha.height - 1, base + Math.round((settings.gap ?? 0) * subjectHeight(alpha)));
  const { width, height } = alpha;
  // Column extent of the subject near its base (bottom 15 % of its height).
  let top = base;
  for (let y = base; y >= 0 && base - y < height; y--) {
    const row = y * width;
    let hit = false;
    for (let x = 0; x < width && !hit; x++) hit = alpha.data[row + x] >= SUBJECT_ALPHA;
    if (!hit) break;
    top = y;
  }
  const baseTop = Math.round(base - (base - top) * 0.15);
  let left = width;
  let right = -1;
  for (let y = baseTop; y <= base; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha.data[y * width + x] >= SUBJECT_ALPHA) {
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  const spread = Math.round((right - left + 1) * settings.spread);
  const thickness = Math.max(2, Math.round((base - top + 1) * 0.03));
  const mask = Buffer.alloc(width * height);
  // A flat ellipse centred on the floor line, so its upper half tucks under the subject.
  const cx = (left + right) / 2;
  const rx = (right - left) / 2 + spread;
  const bandTop = Math.max(0, floor - thickness);
  const bandBottom = Math.min(height - 1, floor + thickness);
  for (let y = bandTop; y <= bandBottom; y++) {
    const dy = (y - floor) / thickness;
    const half = rx * Math.sqrt(Math.max(0, 1 - dy * dy));
    for (let x = Math.max(0, Math.floor(cx - half)); x <= Math.min(width - 1, Math.ceil(cx + half)); x++) mask[y * width + x] = 255;
  }
  return { mask: { data: await blurredRows(mask, width, height, settings.blur, bandTop, bandBottom), width, height }, opacity: settings.opacity };
}

export async function dropShadow(alpha: AlphaMask, settings: NonNullable<ShadowSettings['drop']>): Promise<ShadowLayer> {
  const { width, height } = alpha;
  const mask = Buffer.alloc(width * height);
  const { dx, dy } = dropOffset(alpha, settings);
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= height) continue;
    let any = false;
    for (let x = 0; x < width; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < width && (mask[y * width + x] = alpha.data[sy * width + sx])) any = true;
    }
    if (any) {
      top = Math.min(top, y);
      bottom = y;
    }
  }
  return { mask: { data: await blurredRows(mask, width, height, settings.blur, top, bottom), width, height }, opacity: settings.opacity };
}

/** Darkens an RGB backdrop in place under the shadow layers (multiply toward black). */
export function applyShadows(backdrop: Buffer, layers: ShadowLayer[]): void {
  for (const layer of layers) {
    const { data } = layer.mask;
    for (let i = 0; i < data.length; i++) {
      const a = data[i];
      if (a === 0) continue;
      const keep = 1 - (layer.opacity * a) / 255;
      backdrop[i * 3] = Math.round(backdrop[i * 3] * keep);
      backdrop[i * 3 + 1] = Math.round(backdrop[i * 3 + 1] * keep);
      backdrop[i * 3 + 2] = Math.round(backdrop[i * 3 + 2] * keep);
    }
  }
}
