import sharp from 'sharp';

import { EngineError, errorMessage } from '../core/errors';
import { Semaphore } from '../runtime/concurrency';
import { type EmbeddedMetadata, embeddedMetadata } from './metadata';
import type { RawImage } from './types';

/** Formats we accept as photos. SVG/PDF are vector documents, not photos. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif', 'avif', 'jp2']);
export const MIN_SIDE = 16;
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs). */
  maxPixels?: number;
}

export interface SourceInfo {
  format: string;
  width: number;
  height: number;
  /** EXIF orientation of the file (1-8), already applied to the pixels. */
  orientation: number;
  space: string;
  bitDepth: string;
  hadAlpha: boolean;
  pages: number;
}

export interface DecodedImage {
  /** Upright sRGB, 8 bits a channel: RGB, or RGBA when the input carried alpha. */
  image: RawImage;
  source: SourceInfo;
  /** The photo's own EXIF, XMP and DPI, for its result to carry (image/metadata.ts). */
  embedded: EmbeddedMetadata;
}

function describeSharpFailure(error: unknown): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new EngineError('INPUT_TOO_LARGE', `Image is too large to decode safely: ${message}`);
  }
  if (/unsupported image format/i.test(message)) {
    return new EngineError('INPUT_UNSUPPORTED', 'Not an image sharp can read (unsupported or unrecognised format)');
  }
  return new EngineError('INPUT_CORRUPT', `Image data is corrupt or truncated: ${message}`, { cause: error });
}

/**
 * libvips keeps one error buffer for the whole process: when several photos fail at once
 * (a batch decodes 5 concurrently), one failure can read the buffer just after another
 * cleared it, and sharp reports "Unknown error" (seen: 1 in 4 truncated JPEGs of a batch).
 * Such a failure is decoded again, alone, to get its own reason.
 */
const alone = new Semaphore(1);
async function explainFailure<T>(error: unknown, again: () => Promise<T>): Promise<T> {
  let last = error;
  for (let attempt = 0; attempt < 3 && /unknown error/i.test(errorMessage(last)); attempt++) {
    const retried = await alone.use(() =>
      again().then(
        (value) => ({ value }),
        (retryError: unknown) => ({ retryError }),
      ),
    );
    if ('value' in retried) return retried.value;
    last = retried.retryError;
  }
  throw last;
}

/**
 * The checks that need only the file's header (empty, format, pixel limit, minimum size):
 * a bad image is refused in milliseconds, before anything is decoded.
 */
export async function readImageHeader(input: Buffer, options: DecodeOptions = {}): Promise<sharp.Metadata> {
  if (!input || input.length === 0) {
    throw new EngineError('INPUT_EMPTY', 'The file is empty (0 bytes)');
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw describeSharpFailure(error);
  }
  const format = metadata.format ?? 'unknown';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new EngineError('INPUT_UNSUPPORTED', `${format.toUpperCase()} is not a supported photo format (use JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIF)`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxPixels) {
    throw new EngineError(
      'INPUT_TOO_LARGE',
      `Image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP), over the limit of ${(maxPixels / 1e6).toFixed(1)} MP (BG_MAX_MEGAPIXELS)`,
    );
  }
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new EngineError('INPUT_TOO_SMALL', `Image is ${width}x${height} px, too small to find a subject in (minimum ${MIN_SIDE}x${MIN_SIDE})`);
  }
  return metadata;
}

/**
 * Decodes any common photo into upright 8-bit sRGB raw pixels: applies the EXIF
 * orientation, converts CMYK/grey/16-bit/palette to sRGB 8-bit, keeps an existing
 * alpha channel, takes the first frame of animations and refuses decompression bombs
 * before decoding a single pixel.
 */
export async function decodeImage(input: Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const metadata = await readImageHeader(input, options);
  const format = metadata.format ?? 'unknown';
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  const hadAlpha = metadata.hasAlpha === true;
  const decode = () => {
    const pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 }).rotate().toColourspace('srgb');
    return (hadAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha()).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  };
  try {
    const { data, info } = await decode().catch((error: unknown) => explainFailure(error, decode));
    return {
      image: { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 },
      source: {
        format,
        width,
        height,
        orientation: metadata.orientation ?? 1,
        space: metadata.space ?? 'unknown',
        bitDepth: metadata.depth ?? 'uchar',
        hadAlpha,
        pages: metadata.pages ?? 1,
      },
      embedded: embeddedMetadata(metadata),
    };
  } catch (error) {
    throw describeSharpFailure(error);
  }
}
