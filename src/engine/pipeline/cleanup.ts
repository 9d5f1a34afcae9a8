import type { ExecutionProvider } from '../runtime/backend';
import { z } from 'zod';

import { autoBlurSigma, type BlurType, type CleanupMode, renderCutout } from '../compose/cutout';
import { type Choice, choiceValues, defineOptions, zodFields } from '../core/optionTable';
import { parseHexColor } from '../image/color';
import { encodeImage, outputFileOptions, validateEncodeOptions } from '../image/encode';
import { carriedMetadata } from '../image/metadata';
import { cropRaw } from '../image/raw';
import { FILE_EXTENSIONS, MIME_TYPES, type AlphaMask, type RawImage } from '../image/types';
import type { BoundingBox } from '../image/types';
import { expandBox } from '../matte/matte';
import { asksForLayout, checkLayoutOptions, computeLayout, PLACEMENT_OPTIONS, placeSubject } from '../compose/placement';
import type { CutoutConfidence } from '../matte/confidence';
import { parseOptions } from '../core/validation';
import { type EngineContext, engineConfig } from '../core/context';
import { EngineError } from '../core/errors';
import type { CleanupResultContract, Satisfies } from '../core/result';
import { extractSubject, glassOf, type Subject, subjectOptionFields, type SubjectOptions, subjectTimings } from './subject';

/** Background Cleanup's own options (with the subject's, SUBJECT_OPTIONS): the one declaration of each. */
export const CLEANUP_OPTIONS = defineOptions({
  mode: {
    type: 'options',
    displayName: 'Mode',
    description: 'What the result shows: the subject on transparency, on a colour, on its own background blurred, or the mask',
    default: 'transparent',
    choices: {
      transparent: { name: 'Transparent', description: 'The subject on a transparent background (PNG or WebP)' },
      color: { name: 'Color', description: 'The subject on a solid colour' },
      blur: { name: 'Blur', description: 'The original background, blurred; the subject stays sharp' },
      mask: { name: 'Mask', description: 'The 8-bit alpha mask alone (white = subject)' },
    } satisfies Record<CleanupMode, Choice>,
    cli: { flag: 'mode', help: 'the result' },
  },
  color: {
    type: 'color',
    displayName: 'Background Color',
    description: 'Colour behind the subject',
    default: '#ffffff',
    cli: { flag: 'color', value: 'HEX', help: 'background for --mode color' },
  },
  blurSigma: {
    type: 'number',
    displayName: 'Blur Sigma (Px)',
    description: 'Gaussian blur sigma for the background in pixels; 0 picks 1% of the long side',
    default: 0,
    min: 0,
    max: 500,
    formerly: { name: 'blurRadius', displayName: 'Blur Radius (Px)', beforeVersion: 2 },
    cli: { flag: 'blur', value: 'N', help: 'background blur sigma in px for --mode blur (0: 1% of the long side)' },
  },
  blurType: {
    type: 'options',
    displayName: 'Blur Type',
    description: 'How the background is blurred in Blur mode',
    default: 'gaussian',
    choices: {
      gaussian: { name: 'Gaussian', description: 'A smooth, even blur' },
      lens: { name: 'Lens (Bokeh)', description: 'As a wide-open lens: flat discs, and highlights that bloom into bright circles' },
    } satisfies Record<BlurType, Choice>,
    cli: { flag: 'blur-type', help: 'the background blur for --mode blur: gaussian, or lens (bokeh discs)' },
  },
  featherPx: {
    type: 'number',
    displayName: 'Feather (Px)',
    description: 'How far the mask edge is softened, in pixels; 0 keeps the model edge as is',
    default: 1,
    min: 0,
    max: 50,
    formerly: { name: 'featherEdges', displayName: 'Feather Edges (Px)', beforeVersion: 2 },
    cli: { flag: 'feather', value: 'N', help: 'edge feathering in px (0 = off)' },
  },
  decontaminate: {
    type: 'boolean',
    displayName: 'Decontaminate Edges',
    description: 'Whether to estimate the true subject colour on soft edges so no halo of the old background remains',
    default: true,
    cli: { flag: 'decontaminate', negatable: true, help: "estimate the subject colour on soft edges (--no-decontaminate keeps the photo's)" },
  },
  enhanceFg: {
    type: 'boolean',
    displayName: 'Enhance Foreground',
    description: "Whether to apply a mild, bounded sharpening and saturation boost to the subject (the old background service's enhanceFg)",
    default: false,
    cli: { flag: 'enhance', help: 'mild, bounded foreground enhancement (enhanceFg)' },
  },
  crop: {
    type: 'boolean',
    displayName: 'Crop to Subject',
    description: "Whether to crop the output to the subject's bounding box (plus the margin)",
    default: false,
    cli: { flag: 'crop', help: 'crop to the subject plus --margin px' },
  },
  cropMargin: {
    type: 'number',
    displayName: 'Crop Margin (Px)',
    description: 'Space kept around the subject when Crop to Subject is on',
    default: 0,
    min: 0,
    max: 10000,
    whole: true,
    cli: { flag: 'margin', value: 'N', help: 'px kept around the subject with --crop' },
  },
  ...PLACEMENT_OPTIONS,
  ...outputFileOptions({ format: 'png', quality: 90 }),
});

/** Background Cleanup's modes, in the order the node lists them (from the table). */
export const CLEANUP_MODES: readonly CleanupMode[] = choiceValues(CLEANUP_OPTIONS.mode);

export const cleanupOptionsSchema = z
  .object({
    ...zodFields(CLEANUP_OPTIONS),
    ...subjectOptionFields,
  })
  .strict();

export type CleanupOptionsInput = z.input<typeof cleanupOptionsSchema>;
export type CleanupOptions = z.output<typeof cleanupOptionsSchema>;

export interface CleanupMetadata {
  mode: 'cleanup';
  cleanupMode: CleanupOptions['mode'];
  engine: 'onnx';
  model: { name: string; family: string; sha256: string; bundled: boolean };
  /** The execution provider that ran the model: cpu or cuda (onnxruntime-node), wasm (onnxruntime-web). */
  device: ExecutionProvider;
  requestedDevice: string;
  format: CleanupOptions['format'];
  width: number;
  height: number;
  source: { width: number; height: number; format: string; orientation: number; hadAlpha: boolean };
  /** The subject's box in the (upright) source photo's pixels. */
  bbox: BoundingBox;
  /** The subject's box in the output, when the layout options placed it anew. */
  placed?: BoundingBox;
  /** Share of the photo covered by the subject (mean alpha), 0..1. */
  coverage: number;
  /** How much to trust the cut-out, with the reasons when it is doubtful (sidecar scores.cutout). */
  confidence: CutoutConfidence;
  /** The subject hint as applied (box in the photo's pixels). */
  hint?: Subject['hint'];
  /** Panes and gaps made see-through, and their share of the subject's area. */
  seeThrough: Subject['seeThrough'];
  settings: {
    featherEdges: boolean;
    featherPx: number;
    decontaminate: boolean;
    enhanceFg: boolean;
    crop: boolean;
    cropMargin: number;
    color?: string;
    blurSigma?: number;
    blurType?: BlurType;
    quality: number;
  };
  timings: { decodeMs: number; segmentMs: number; inferenceMs: number; matteMs: number; composeMs: number; encodeMs: number; totalMs: number };
  processedAt: string;
}

/** Checked by the compiler: the metadata (and the node's fileName) is a valid background result (core/result.ts). */
export type CleanupContractCheck = Satisfies<CleanupMetadata & { fileName?: string }, CleanupResultContract>;

export interface CleanupResult {
  data: Buffer;
  mimeType: string;
  extension: string;
  /** The matte at the source's full resolution (before any crop). */
  alpha: AlphaMask;
  metadata: CleanupMetadata;
}

export function parseCleanupOptions(input: CleanupOptionsInput): CleanupOptions {
  const options = parseOptions(cleanupOptionsSchema, input) as CleanupOptions;
  if (options.mode === 'color') parseHexColor(options.color);
  glassOf(options);
  validateEncodeOptions({ format: options.format, quality: options.quality }, options.mode === 'transparent');
  if (asksForLayout(options)) {
    if (options.mode === 'blur')
      throw new EngineError(
        'INVALID_OPTION',
        "The layout options (Output Size, Aspect Ratio, Padding, Subject Scale, Max Width / Height) need Transparent, Color or Mask: Blur keeps the photo's own background where it is",
      );
    if (options.crop)
      throw new EngineError('INVALID_OPTION', "Crop to Subject and the layout options both place the subject: use one (Padding is the layout's margin)");
  }
  return options;
}

/**
 * The cut-out rendered in its mode: where it was (cropped to the subject if asked), or placed
 * anew by the layout options. A transparent cut-out left where it was is the foreground with
 * its alpha beside it, joined by the encoder.
 */
async function renderedCutout(
  options: CleanupOptions,
  subject: Subject,
  blurSigma: number,
): Promise<{ image: RawImage; alpha?: AlphaMask; placed?: BoundingBox }> {
  const { rgb, alpha, foreground, stats, config } = subject;
  const look = { color: parseHexColor(options.mode === 'color' ? options.color : '#ffffff'), blurSigma, blurType: options.blurType };
  const layout = computeLayout(stats.bbox, rgb.width, rgb.height, options, config.maxPixels);
  if (options.mode === 'transparent' && foreground.channels === 3 && !layout.relayout && !options.crop) return { image: foreground, alpha };
  if (layout.relayout) {
    const placed = await placeSubject(foreground, alpha, stats.bbox, layout);
    return { image: await renderCutout(options.mode, placed.subject, placed.alpha, placed.subject, look), placed: layout.placed };
  }
  const image = await renderCutout(options.mode, foreground, alpha, rgb, look);
  return { image: options.crop ? await cropRaw(image, expandBox(stats.bbox, options.cropMargin, rgb.width, rgb.height)) : image };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** What Cleanup asks of the subject; the mask mode is the matte as the model and hint made it. */
function subjectOptionsOf(options: CleanupOptions): SubjectOptions {
  const isMask = options.mode === 'mask';
  return {
    featherPx: options.featherPx,
    decontaminate: options.decontaminate && !isMask,
    enhanceFg: options.enhanceFg && !isMask,
    modelPath: options.modelPath,
    modelFamily: options.modelFamily,
    hint: options.hint,
    crossCheck: options.crossCheck,
    seeThrough: isMask ? 'off' : options.seeThrough,
    glass: glassOf(options),
  };
}

/**
 * The whole cleanup path for one photo: decode -> segment -> matte -> render -> encode.
 * Options are validated before any pixel work so a bad option fails fast.
 */
export async function cleanupImage(input: Buffer, optionsInput: CleanupOptionsInput, context: EngineContext = {}): Promise<CleanupResult> {
  const options = parseCleanupOptions(optionsInput);
  checkLayoutOptions(options, engineConfig(context).maxPixels);
  const start = performance.now();
  const subject = await extractSubject(input, subjectOptionsOf(options), context);
  const { decoded, rgb, alpha, stats, config } = subject;
  const model = subject.model!;
  const tMatte = performance.now();

  const blurSigma = options.blurSigma > 0 ? options.blurSigma : autoBlurSigma(rgb.width, rgb.height);
  const { image: rendered, alpha: joinedAlpha, placed } = await renderedCutout(options, subject, blurSigma);
  const tCompose = performance.now();

  // A mask is not a photo: it carries none of the photo's metadata.
  const metadata = options.mode === 'mask' ? undefined : carriedMetadata(decoded.embedded, options.metadata);
  const data = await encodeImage(rendered, { format: options.format, quality: options.quality, pngCompression: 2, metadata }, joinedAlpha);
  const tEncode = performance.now();

  return {
    data,
    mimeType: MIME_TYPES[options.format],
    extension: FILE_EXTENSIONS[options.format],
    alpha,
    metadata: {
      mode: 'cleanup',
      cleanupMode: options.mode,
      engine: 'onnx',
      model: { name: model.name, family: model.family.name, sha256: model.sha256, bundled: model.bundled },
      device: subject.device ?? 'cpu',
      requestedDevice: config.device,
      format: options.format,
      width: rendered.width,
      height: rendered.height,
      source: {
        width: decoded.image.width,
        height: decoded.image.height,
        format: decoded.source.format,
        orientation: decoded.source.orientation,
        hadAlpha: decoded.source.hadAlpha,
      },
      bbox: stats.bbox,
      ...(placed ? { placed } : {}),
      coverage: Math.round(stats.coverage * 10000) / 10000,
      confidence: subject.confidence,
      ...(subject.hint ? { hint: subject.hint } : {}),
      seeThrough: subject.seeThrough,
      settings: {
        featherEdges: options.featherPx > 0,
        featherPx: options.featherPx,
        decontaminate: options.decontaminate,
        enhanceFg: options.enhanceFg,
        crop: options.crop,
        cropMargin: options.cropMargin,
        ...(options.mode === 'color' ? { color: options.color } : {}),
        ...(options.mode === 'blur' ? { blurSigma, blurType: options.blurType } : {}),
        quality: options.quality,
      },
      timings: {
        ...subjectTimings(subject.timings),
        composeMs: round(tCompose - tMatte),
        encodeMs: round(tEncode - tCompose),
        totalMs: round(tEncode - start),
      },
      processedAt: new Date().toISOString(),
    },
  };
}
