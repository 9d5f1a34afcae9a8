import sharp from 'sharp';

import { EngineError } from '../core/errors';
import { type Choice, defineOptions } from '../core/optionTable';
import type { CarriedMetadata, MetadataPolicy } from './metadata';
import { type AlphaMask, type OutputFormat, type RawImage, OUTPUT_FORMATS } from './types';

/** The file a pipeline writes: format and quality, with that pipeline's defaults (an option table's entries). */
export function outputFileOptions<F extends OutputFormat>(defaults: { format: F; quality: number }) {
  return defineOptions({
    format: {
      type: 'options',
      displayName: 'Output Format',
      description: 'File format of the result',
      default: defaults.format as OutputFormat,
      choices: {
        png: { name: 'PNG' },
        webp: { name: 'WebP' },
        jpeg: { name: 'JPEG', description: 'No transparency: not for the Transparent mode' },
      } satisfies Record<OutputFormat, Choice>,
      cli: { flag: 'format', help: "file format; without it the output's extension decides" },
    },
    quality: {
      type: 'number',
      displayName: 'Quality',
      description: 'JPEG/WebP quality (1-100); PNG is lossless',
      default: defaults.quality,
      min: 1,
      max: 100,
      whole: true,
      cli: { flag: 'quality', value: 'N' },
    },
    metadata: {
      type: 'options',
      displayName: 'Metadata',
      description: "What of the photo's own metadata the result keeps; its GPS position and camera serial numbers are always removed",
      default: 'keep' as MetadataPolicy,
      choices: {
        keep: { name: 'Keep', description: 'Copyright, author, description, camera and date (EXIF and XMP), and DPI' },
        copyright: { name: 'Copyright Only', description: 'Copyright and author (EXIF), and DPI' },
        strip: { name: 'Strip', description: 'None: only the sRGB colour profile' },
      } satisfies Record<MetadataPolicy, Choice>,
      cli: { flag: 'metadata', help: "the photo's metadata kept (GPS and serial numbers never)" },
    },
  });
}

export interface EncodeOptions {
  format: OutputFormat;
  /** 1-100 for JPEG and WebP; ignored for PNG (lossless). */
  quality?: number;
  /** zlib level for PNG, 0-9; lower is faster and larger. */
  pngCompression?: number;
  /** The photo's metadata the file carries (image/metadata.ts: carriedMetadata). */
  metadata?: CarriedMetadata;
}

export function validateEncodeOptions(options: EncodeOptions, hasAlpha: boolean): void {
  if (!OUTPUT_FORMATS.includes(options.format)) {
    throw new EngineError('INVALID_OPTION', `Unknown output format "${options.format}" (use ${OUTPUT_FORMATS.join(', ')})`);
  }
  if (options.quality !== undefined && !(Number.isInteger(options.quality) && options.quality >= 1 && options.quality <= 100)) {
    throw new EngineError('INVALID_OPTION', `Quality must be a whole number from 1 to 100, got ${options.quality}`);
  }
  if (hasAlpha && options.format === 'jpeg') {
    throw new EngineError('INVALID_OPTION', 'JPEG cannot store transparency: choose PNG or WebP for a transparent cut-out');
  }
}

/**
 * 255 where the alpha (a mask, or RGBA's fourth channel) is above 0, else 0: ANDed with a
 * PNG's channels, it writes black under alpha 0. A PNG keeps every pixel's colour, also the
 * invisible ones, and the photo's background there costs most of the file and of zlib's time
 * (12 MP cut-outs of the fixtures: 21-22 MB in 326-341 ms as they were, 8.7-9.9 MB in 128-132
 * ms so). rembg's cut-outs are black there too; soft edge pixels (alpha 1-254) keep their
 * colours, and every resizer that weights by alpha (sharp, browsers) never reads a colour
 * under alpha 0.
 */
async function visibleMask(data: Buffer, width: number, height: number, channels: 1 | 4): Promise<Buffer> {
  // sharp keeps one extractChannel per pipeline (the last asked): the alpha is channel 0 of a mask, 3 of RGBA.
  return sharp(data, { raw: { width, height, channels }, limitInputPixels: false })
    .extractChannel(channels === 1 ? 0 : 3)
    .threshold(1, { greyscale: true })
    .raw()
    .toBuffer();
}

/**
 * Encodes raw sRGB pixels (grey, RGB or RGBA) into PNG, WebP or JPEG. `alpha`, with RGB, is
 * joined as the fourth channel inside the encoder's pipeline: a transparent cut-out needs no
 * full-size RGBA copy (at 12 MP, 48 MB and about 0.17 s). A PNG is black under alpha 0
 * (visibleMask).
 */
export async function encodeImage(image: RawImage, options: EncodeOptions, alpha?: AlphaMask): Promise<Buffer> {
  const hasAlpha = image.channels === 4 || alpha !== undefined;
  validateEncodeOptions(options, hasAlpha);
  const quality = options.quality ?? 90;
  const raw = { width: image.width, height: image.height };
  let pipeline = sharp(image.data, { raw: { ...raw, channels: image.channels }, limitInputPixels: false });
  // WebP's encoder already drops the colour under alpha 0 (its `exact` option off).
  if (hasAlpha && options.format === 'png') {
    const mask = alpha ? await visibleMask(alpha.data, alpha.width, alpha.height, 1) : await visibleMask(image.data, image.width, image.height, 4);
    pipeline = pipeline.boolean(mask, 'and', { raw: { ...raw, channels: 1 } });
  }
  if (alpha) pipeline = pipeline.joinChannel(alpha.data, { raw: { width: alpha.width, height: alpha.height, channels: 1 } });
  // A single channel (a mask) stays one grey channel instead of being expanded to sRGB.
  if (image.channels === 1) pipeline = pipeline.toColourspace('b-w');
  // Colour pixels are sRGB (decode converts every profile to it): say so, so that a viewer or
  // a print shop does not guess (sRGB to sRGB leaves the pixels as they are).
  else pipeline = pipeline.withIccProfile('srgb');
  const { exif, xmp, density } = options.metadata ?? {};
  if (exif) pipeline = pipeline.withExif(exif);
  if (xmp) pipeline = pipeline.withXmp(xmp);
  if (density) pipeline = pipeline.withMetadata({ density });
  switch (options.format) {
    case 'png':
      return pipeline.png({ compressionLevel: options.pngCompression ?? 6, adaptiveFiltering: false }).toBuffer();
    case 'webp':
      return pipeline.webp({ quality, alphaQuality: 100, effort: 4 }).toBuffer();
    case 'jpeg':
      return pipeline.jpeg(jpegSettings(quality)).toBuffer();
  }
}

/**
 * From quality 90 up the caller asks for fidelity, so the product must survive the codec:
 * full-resolution chroma and the flat quantisation table, which spreads the error evenly
 * instead of coarsening the high frequencies (product texture, edges). On the fixture
 * composites at q95 that lifts the subject's PSNR from 39.9-41.5 dB (Annex K table) to
 * 46.5-46.6 dB, for files about 60 % larger. Below 90 the usual web settings apply.
 */
export function jpegSettings(quality: number): sharp.JpegOptions {
  // No optimised Huffman tables: libjpeg's second pass over a 12 MP frame took 0.89 s of a
  // 0.97 s encode here, for files 2.4 % smaller (4000x3000 composite, q92).
  if (quality < 90) return { quality, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:2:0' };
  return { quality, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:4:4', quantisationTable: 1 };
}
