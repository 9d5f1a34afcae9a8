import type { Rgb } from '../image/color';
import { joinAlpha, sharpFromRaw, toRaw } from '../image/raw';
import type { AlphaMask, RawImage } from '../image/types';

export type CleanupMode = 'transparent' | 'color' | 'blur' | 'mask';
export type BlurType = 'gaussian' | 'lens';

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
  options: { color: Rgb; blurSigma: number; blurType?: BlurType },
): Promise<RawImage> {
  switch (mode) {
    case 'mask':
      return { data: alpha.data, width: alpha.width, height: alpha.height, channels: 1 };
    case 'transparent':
      return joinAlpha(foreground, alpha);
    case 'color':
      return toRaw(sharpFromRaw(await joinAlpha(foreground, alpha)).flatten({ background: options.color }));
    case 'blur': {
      // Blur only the background: weight each pixel by (1 - alpha); sharp's blur and
      // convolution are alpha-weighted, so the subject's colours do not smear into the backdrop.
      const inverse = Buffer.allocUnsafe(alpha.data.length);
      for (let i = 0; i < inverse.length; i++) inverse[i] = 255 - alpha.data[i];
      const behind = await joinAlpha(original, { ...alpha, data: inverse });
      const backdrop =
        options.blurType === 'lens'
          ? await lensBlur(behind, options.blurSigma)
          : await sharpFromRaw(behind).blur(options.blurSigma).removeAlpha().raw().toBuffer();
      const subject = await joinAlpha(foreground, alpha);
      return toRaw(
        sharpFromRaw({ data: backdrop, width: original.width, height: original.height, channels: 3 })
          .composite([{ input: subject.data, raw: { width: subject.width, height: subject.height, channels: 4 } }])
          .removeAlpha(),
      );
    }
  }
}

/** A lens's blur disc is this many Gaussian sigmas wide in radius, so both blurs look about as strong. */
const LENS_RADIUS_PER_SIGMA = 2;
/** Radius (px) of the disc at the scale the convolution runs: a wider one runs on a smaller copy (the result is a blur). */
const LENS_KERNEL_RADIUS = 8;
/** Highlights bloom into bright discs as through a lens: brightness is raised to this power before the disc and back after. */
const HIGHLIGHT_POWER = 3;

function discKernel(radius: number): { width: number; height: number; kernel: number[] } {
  const size = 2 * radius + 1;
  const kernel: number[] = [];
  for (let y = -radius; y <= radius; y++) for (let x = -radius; x <= radius; x++) kernel.push(x * x + y * y <= (radius + 0.5) ** 2 ? 1 : 0);
  return { width: size, height: size, kernel };
}

function powered(data: Buffer, power: number): Buffer {
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.round(255 * (v / 255) ** power);
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (i % 4 !== 3) out[i] = table[out[i]];
  return out;
}

/**
 * Lens (bokeh) blur of an RGBA image whose alpha weights what is blurred: a flat disc instead
 * of a bell, and highlights that spread into bright discs. Returns RGB at full size. The disc
 * runs on a copy scaled so its radius is LENS_KERNEL_RADIUS px (the kernel stays small).
 */
export async function lensBlur(rgba: RawImage, sigma: number): Promise<Buffer> {
  const radius = Math.max(1, sigma * LENS_RADIUS_PER_SIGMA);
  const scale = Math.min(1, LENS_KERNEL_RADIUS / radius);
  const small = await toRaw(
    sharpFromRaw(rgba).resize(Math.max(1, Math.round(rgba.width * scale)), Math.max(1, Math.round(rgba.height * scale)), { kernel: 'linear' }),
  );
  const kernelRadius = Math.max(1, Math.round(radius * scale));
  const disc = await toRaw(sharpFromRaw({ ...small, data: powered(small.data, HIGHLIGHT_POWER) }).convolve({ ...discKernel(kernelRadius), scale: undefined }));
  const restored = { ...disc, data: powered(disc.data, 1 / HIGHLIGHT_POWER) };
  return sharpFromRaw(restored).resize(rgba.width, rgba.height, { kernel: 'linear' }).removeAlpha().raw().toBuffer();
}
