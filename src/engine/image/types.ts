/** An 8-bit sRGB image held as interleaved raw pixels (what sharp's raw() produces). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** A matte's pixel is the subject's from this alpha up (at least half covered): every "is it the subject" test uses it. */
export const SUBJECT_ALPHA = 128;

/** A single-channel 8-bit alpha matte at an image's full resolution. */
export interface AlphaMask {
  data: Buffer;
  width: number;
  height: number;
}

export type OutputFormat = 'png' | 'webp' | 'jpeg';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['png', 'webp', 'jpeg'];

export const MIME_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
};

export const FILE_EXTENSIONS: Record<OutputFormat, string> = {
  png: 'png',
  webp: 'webp',
  jpeg: 'jpg',
};

/** A rectangle in pixels of an image. */
export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
