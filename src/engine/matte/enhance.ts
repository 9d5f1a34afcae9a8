import type { AlphaMask, RawImage } from '../image/types';

/** The most any channel of any pixel may move: the enhancement stays mild by construction. */
export const ENHANCE_MAX_DELTA = 12;

const SHARPEN = 0.2; // weight of the 4-neighbour Laplacian
const SATURATION = 1.06;
// Rec. 709 luma weights: a saturation change that keeps each pixel's luminance.
const LUMA = [0.2126, 0.7152, 0.0722];
const SATURATION_MATRIX = [0, 1, 2].map((row) => [0, 1, 2].map((col) => (1 - SATURATION) * LUMA[col] + (row === col ? SATURATION : 0)));

/**
 * The old background service's enhanceFg flag: a gentle 4-neighbour sharpen and +6 % saturation (luminance
 * kept), then each channel's change clamped to +/-ENHANCE_MAX_DELTA levels. One pass in
 * plain RGB, and only where the subject is (alpha > 0): the rest is never seen, and a 12 MP
 * photo's background is most of its pixels. Image edges repeat their last pixel.
 */
export async function enhanceForeground(image: RawImage, alpha?: AlphaMask): Promise<RawImage> {
  const { width, height } = image;
  const src = image.data;
  const data = Buffer.from(src);
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = SATURATION_MATRIX;
  const centre = 1 + 4 * SHARPEN;
  const limit = (value: number, source: number) => {
    const v = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    const delta = v - source;
    return source + (delta > ENHANCE_MAX_DELTA ? ENHANCE_MAX_DELTA : delta < -ENHANCE_MAX_DELTA ? -ENHANCE_MAX_DELTA : delta);
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = (y > 0 ? row - width : row) * 3;
    const down = (y < height - 1 ? row + width : row) * 3;
    for (let x = 0; x < width; x++) {
      if (alpha && alpha.data[row + x] === 0) continue;
      const o = (row + x) * 3;
      const l = x > 0 ? o - 3 : o;
      const r = x < width - 1 ? o + 3 : o;
      const u = up + x * 3;
      const d = down + x * 3;
      const sr = centre * src[o] - SHARPEN * (src[l] + src[r] + src[u] + src[d]);
      const sg = centre * src[o + 1] - SHARPEN * (src[l + 1] + src[r + 1] + src[u + 1] + src[d + 1]);
      const sb = centre * src[o + 2] - SHARPEN * (src[l + 2] + src[r + 2] + src[u + 2] + src[d + 2]);
      data[o] = limit(m00 * sr + m01 * sg + m02 * sb, src[o]);
      data[o + 1] = limit(m10 * sr + m11 * sg + m12 * sb, src[o + 1]);
      data[o + 2] = limit(m20 * sr + m21 * sg + m22 * sb, src[o + 2]);
    }
  }
  return { ...image, data };
}
