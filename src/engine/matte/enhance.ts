import { sharpFromRaw } from '../image/raw';
import type { RawImage } from '../image/types';

/** The most any channel of any pixel may move: the enhancement stays mild by construction. */
export const ENHANCE_MAX_DELTA = 12;

/**
 * The seed's enhanceFg flag: a gentle unsharp mask and +6 % saturation on the subject,
 * each channel's change clamped to +/-ENHANCE_MAX_DELTA levels.
 */
export async function enhanceForeground(image: RawImage): Promise<RawImage> {
  const enhanced = await sharpFromRaw(image)
    .sharpen({ sigma: 0.8, m1: 0.5, m2: 1.5 })
    .modulate({ saturation: 1.06 })
    .raw()
    .toBuffer();
  const data = Buffer.allocUnsafe(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const delta = enhanced[i] - image.data[i];
    data[i] = image.data[i] + (delta > ENHANCE_MAX_DELTA ? ENHANCE_MAX_DELTA : delta < -ENHANCE_MAX_DELTA ? -ENHANCE_MAX_DELTA : delta);
  }
  return { ...image, data };
}
