import sharp from 'sharp';

import type { AlphaMask, BoundingBox, RawImage } from './types';

/** A Buffer over the same memory: a worker thread's results arrive as plain Uint8Arrays (structured cloning), the engine's images and masks hold Buffers. */
export const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Splits RGBA into RGB and its alpha; RGB passes through with no alpha. */
export function splitAlpha(image: RawImage): { rgb: RawImage; alpha?: AlphaMask } {
  if (image.channels !== 4) return { rgb: image };
  const pixels = image.width * image.height;
  const rgb = Buffer.allocUnsafe(pixels * 3);
  const alpha = Buffer.allocUnsafe(pixels);
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = image.data[i * 4];
    rgb[i * 3 + 1] = image.data[i * 4 + 1];
    rgb[i * 3 + 2] = image.data[i * 4 + 2];
    alpha[i] = image.data[i * 4 + 3];
  }
  return {
    rgb: { data: rgb, width: image.width, height: image.height, channels: 3 },
    alpha: { data: alpha, width: image.width, height: image.height },
  };
}

/** Interleaves RGB with an alpha matte of the same size into RGBA (in libvips, off the main thread). */
export async function joinAlpha(rgb: RawImage, alpha: AlphaMask): Promise<RawImage> {
  return toRaw(sharpFromRaw(rgb).joinChannel(alpha.data, { raw: { width: alpha.width, height: alpha.height, channels: 1 } }));
}

/** Multiplies two mattes (e.g. the model's with the input's own transparency). */
export function multiplyMasks(a: AlphaMask, b: AlphaMask): AlphaMask {
  const data = Buffer.allocUnsafe(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((a.data[i] * b.data[i]) / 255);
  return { data, width: a.width, height: a.height };
}

export function sharpFromRaw(image: RawImage): sharp.Sharp {
  return sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
    limitInputPixels: false,
  });
}

/** Raw pixels of a sharp pipeline, with their geometry. */
export async function toRaw(pipeline: sharp.Sharp): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] };
}

export async function cropRaw(image: RawImage, box: BoundingBox): Promise<RawImage> {
  if (box.x === 0 && box.y === 0 && box.width === image.width && box.height === image.height) return image;
  return toRaw(sharpFromRaw(image).extract({ left: box.x, top: box.y, width: box.width, height: box.height }));
}

/** A one-channel mask resized (sharp would otherwise hand back three sRGB channels). */
export async function resizeMask(
  mask: AlphaMask,
  width: number,
  height: number,
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3' = 'linear',
): Promise<AlphaMask> {
  const data = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 }, limitInputPixels: false })
    .resize(width, height, { fit: 'fill', kernel })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { data, width, height };
}
