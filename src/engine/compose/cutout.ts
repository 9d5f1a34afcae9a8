import type { Rgb } from '../image/color';
import { joinAlpha, sharpFromRaw, toRaw } from '../image/raw';
import type { AlphaMask, RawImage } from '../image/types';

export type CleanupMode = 'transparent' | 'color' | 'blur' | 'mask';
export const CLEANUP_MODES: readonly CleanupMode[] = ['transparent', 'color', 'blur', 'mask'];

/** Background blur: 1 % of the long side unless a radius is given. */
export function autoBlurSigma(width: number, height: number): number {
  return Math.max(2, Math.round(Math.max(width, height) * 0.01));
}

/**
 * Renders a cut-out in one of the cleanup modes. `foreground` is the subject's colour
 * (decontaminated where the edge is soft), `original` the photo as it came.
 */
export async function renderCutout(
  mode: CleanupMode,
  foreground: RawImage,
  alpha: AlphaMask,
  original: RawImage,
  options: { color: Rgb; blurSigma: number },
): Promise<RawImage> {
  switch (mode) {
    case 'mask':
      return { data: alpha.data, width: alpha.width, height: alpha.height, channels: 1 };
    case 'transparent':
      return joinAlpha(foreground, alpha);
    case 'color':
      return toRaw(sharpFromRaw(await joinAlpha(foreground, alpha)).flatten({ background: options.color }));
    case 'blur': {
      // Blur only the background: weight each pixel by (1 - alpha); sharp's blur is
      // alpha-weighted, so the subject's colours do not smear into the backdrop.
      const inverse = Buffer.allocUnsafe(alpha.data.length);
      for (let i = 0; i < inverse.length; i++) inverse[i] = 255 - alpha.data[i];
      const backdrop = await sharpFromRaw(await joinAlpha(original, { ...alpha, data: inverse }))
        .blur(options.blurSigma)
        .removeAlpha()
        .raw()
        .toBuffer();
      const subject = await joinAlpha(foreground, alpha);
      return toRaw(
        sharpFromRaw({ data: backdrop, width: original.width, height: original.height, channels: 3 })
          .composite([{ input: subject.data, raw: { width: subject.width, height: subject.height, channels: 4 } }])
          .removeAlpha(),
      );
    }
  }
}
