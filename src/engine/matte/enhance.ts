import { sharpFromRaw } from '../image/raw';
import type { RawImage } from '../image/types';

/** The most any channel of any pixel may move: the enhancement stays mild by construction. */
export const ENHANCE_MAX_DELTA = 12;

const SHARPEN = 0.2; // weight of the 4-neighbour Laplacian
const SATURATION = 1.06;
// Rec. 709 luma weights: a saturation change that keeps each pixel's luminance.
const LUMA = [0.2126, 0.7152, 0.0722];
const SATURATION_MATRIX = [0, 1, 2].map((row) => [0, 1, 2].map((col) => (1 - SATURATION) * LUMA[col] + (row === col ? SATURATION : 0)));

/**
 * The seed's enhanceFg flag: a gentle 3x3 sharpen and +6 % saturation (luminance kept), both
 * plain RGB operations in libvips (no colour-space round trips, so cheap at 12 MP), then each
 * channel's change clamped to +/-ENHANCE_MAX_DELTA levels.
 */
export async function enhanceForeground(image: RawImage): Promise<RawImage> {
  const enhanced = await sharpFromRaw(image)
    .convolve({ width: 3, height: 3, kernel: [0, -SHARPEN, 0, -SHARPEN, 1 + 4 * SHARPEN, -SHARPEN, 0, -SHARPEN, 0] })
    .recomb(SATURATION_MATRIX as [[number, number, number], [number, number, number], [number, number, number]])
    .raw()
    .toBuffer();
  const data = Buffer.allocUnsafe(image.data.length);
  const source = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
  const target = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const changed = new Uint8Array(enhanced.buffer, enhanced.byteOffset, enhanced.length);
  for (let i = 0; i < target.length; i++) {
    const delta = changed[i] - source[i];
    target[i] = source[i] + (delta > ENHANCE_MAX_DELTA ? ENHANCE_MAX_DELTA : delta < -ENHANCE_MAX_DELTA ? -ENHANCE_MAX_DELTA : delta);
  }
  return { ...image, data };
}
