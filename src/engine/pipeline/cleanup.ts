import type { ExecutionProvider } from '../runtime/backend';
import { z } from 'zod';

import { autoBlurSigma, CLEANUP_MODES, renderCutout } from '../compose/cutout';
import { parseHexColor } from '../image/color';
import { encodeImage, validateEncodeOptions } from '../image/encode';
import { cropRaw } from '../image/raw';
import { FILE_EXTENSIONS, MIME_TYPES, OUTPUT_FORMATS, type AlphaMask } from '../image/types';
import type { BoundingBox } from '../image/types';
import { expandBox } from '../matte/matte';
import type { CutoutConfidence } from '../matte/confidence';
import { parseOptions } from '../core/validation';
import type { EngineContext } from '../core/context';
import type { CleanupResultContract, Satisfies } from '../core/result';
import { extractSubject, glassOf, type Subject, subjectOptionFields, subjectTimings } from './subject';

export const cleanupOptionsSchema = z
  .object({
    mode: z.enum(CLEANUP_MODES as [string, ...string[]]).default('transparent'),
    /** Background colour for mode "color". */
    color: z.string().default('#ffffff'),
    /** Gaussian sigma (px) for mode "blur"; 0 = 1 % of the long side. */
    blurSigma: z.number().min(0).max(500).default(0),
    /** Edge softening in px; 0 = off (settings.featherEdges, the sidecar's boolean, says whether it was on). */
    featherPx: z.number().min(0).max(50).default(1),
    /** Estimate the true subject colour on soft edges (no halo of the old background). */
    decontaminate: z.boolean().default(true),
    enhanceFg: z.boolean().default(false),
    /** Crop the output to the subject's bounding box plus cropMargin px. */
    crop: z.boolean().default(false),
    cropMargin: z.number().int().min(0).max(10000).default(0),
    format: z.enum(OUTPUT_FORMATS as [string, ...string[]]).default('png'),
    quality: z.number().int().min(1).max(100).default(90),
    ...subjectOptionFields,
  })
  .strict();

export type CleanupOptionsInput = z.input<typeof cleanupOptionsSchema>;
export type CleanupOptions = z.output<typeof cleanupOptionsSchema> & {
  mode: (typeof CLEANUP_MODES)[number];
  format: (typeof OUTPUT_FORMATS)[number];
};

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
  return options;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The whole cleanup path for one photo: decode -> segment -> matte -> render -> encode.
 * Options are validated before any pixel work so a bad option fails fast.
 */
export async function cleanupImage(input: Buffer, optionsInput: CleanupOptionsInput, context: EngineContext = {}): Promise<CleanupResult> {
  const options = parseCleanupOptions(optionsInput);
  const start = performance.now();
  const isMask = options.mode === 'mask';
  const subject = await extractSubject(
    input,
    {
      featherPx: options.featherPx,
      decontaminate: options.decontaminate && !isMask,
      enhanceFg: options.enhanceFg && !isMask,
      modelPath: options.modelPath,
      modelFamily: options.modelFamily,
      hint: options.hint,
      crossCheck: options.crossCheck,
      // The mask mode is the matte as the model and hint made it.
      seeThrough: isMask ? 'off' : options.seeThrough,
      glass: glassOf(options),
    },
    context,
  );
  const { decoded, rgb, alpha, foreground, stats, config } = subject;
  const model = subject.model!;
  const tMatte = performance.now();

  const blurSigma = options.blurSigma > 0 ? options.blurSigma : autoBlurSigma(rgb.width, rgb.height);
  let rendered = await renderCutout(options.mode, foreground, alpha, rgb, {
    color: parseHexColor(options.mode === 'color' ? options.color : '#ffffff'),
    blurSigma,
  });
  if (options.crop) rendered = await cropRaw(rendered, expandBox(stats.bbox, options.cropMargin, rgb.width, rgb.height));
  const tCompose = performance.now();

  const data = await encodeImage(rendered, { format: options.format, quality: options.quality, pngCompression: 2 });
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
        ...(options.mode === 'blur' ? { blurSigma } : {}),
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
