import { type EngineConfig, readEngineConfig } from './config';
import { EngineError } from './errors';
import { type DecodedImage, decodeImage } from './image/decode';
import { multiplyMasks, splitAlpha } from './image/raw';
import type { AlphaMask, RawImage } from './image/types';
import { enhanceForeground } from './matte/enhance';
import { featherMask, type MaskStats, maskStats, snapMatte } from './matte/matte';
import { applySeeThrough, detectSeeThrough, type GlassOptions, type SeeThroughMode } from './matte/seeThrough';
import { getWorkerPool } from './runtime/pool';
import { resolveModel, type ResolvedModel } from './segment/model';
import { segmentImage } from './segment/segmenter';

/**
 * The one path from a photo to "subject colour + alpha", shared by Background Cleanup and
 * Background Replace: decode -> segment (or reuse the input's own alpha) -> snap ->
 * feather -> foreground colour estimation -> optional enhancement.
 */
export interface EngineContext extends Partial<EngineConfig> {
  warn?: (message: string) => void;
}

export interface SubjectOptions {
  featherPx: number;
  decontaminate: boolean;
  enhanceFg: boolean;
  modelPath?: string;
  modelFamily?: string;
  /** Use an RGBA input's alpha as the matte (a cut-out from Background Cleanup) instead of segmenting. */
  reuseInputAlpha?: boolean;
  /** Open up panes and gaps inside the subject that show the old background. */
  seeThrough?: SeeThroughMode;
  glass?: GlassOptions;
}

export interface Subject {
  decoded: DecodedImage;
  /** The photo as it came, RGB. */
  rgb: RawImage;
  alpha: AlphaMask;
  /** Subject colour: decontaminated on soft edges, optionally enhanced. */
  foreground: RawImage;
  stats: MaskStats & { bbox: NonNullable<MaskStats['bbox']> };
  matteSource: 'segmented' | 'input-alpha';
  /** Regions made see-through, and their share of the subject's area. */
  seeThrough: { mode: SeeThroughMode; regions: number; share: number };
  model?: ResolvedModel;
  device?: 'cpu' | 'cuda';
  config: EngineConfig;
  timings: { decodeMs: number; segmentMs: number; inferenceMs: number; matteMs: number };
}

export function engineConfig(context: EngineContext): EngineConfig {
  const overrides = Object.fromEntries(Object.entries(context).filter(([key, v]) => v !== undefined && key !== 'warn'));
  return { ...readEngineConfig(), ...overrides };
}

/** True when an RGBA image really is a cut-out (some pixel is not fully opaque). */
function hasTransparency(alpha: AlphaMask | undefined): alpha is AlphaMask {
  if (!alpha) return false;
  for (let i = 0; i < alpha.data.length; i++) if (alpha.data[i] < 255) return true;
  return false;
}

export async function extractSubject(input: Buffer, options: SubjectOptions, context: EngineContext = {}): Promise<Subject> {
  const config = engineConfig(context);
  const t0 = performance.now();
  const decoded = await decodeImage(input, { maxPixels: config.maxPixels });
  const t1 = performance.now();
  const { rgb, alpha: inputAlpha } = splitAlpha(decoded.image);

  let alpha: AlphaMask;
  let model: ResolvedModel | undefined;
  let device: 'cpu' | 'cuda' | undefined;
  let inferenceMs = 0;
  let matteSource: Subject['matteSource'] = 'segmented';
  if (options.reuseInputAlpha && hasTransparency(inputAlpha)) {
    alpha = inputAlpha;
    matteSource = 'input-alpha';
  } else {
    model = resolveModel({ modelPath: options.modelPath || config.modelPath, family: options.modelFamily || config.modelFamily, cacheDir: config.modelCacheDir });
    const segmentation = await segmentImage(decoded.image, {
      model,
      device: config.device,
      threads: config.inferenceThreads,
      graphOptimization: config.graphOptimization,
      warn: context.warn,
    });
    device = segmentation.provider;
    inferenceMs = segmentation.timings.inferenceMs;
    const modelAlpha = snapMatte(segmentation.mask);
    alpha = inputAlpha ? multiplyMasks(modelAlpha, inputAlpha) : modelAlpha;
  }
  const t2 = performance.now();

  let seeThrough: Subject['seeThrough'] = { mode: options.seeThrough ?? 'off', regions: 0, share: 0 };
  let colour = rgb;
  if (options.seeThrough && options.seeThrough !== 'off') {
    const found = await detectSeeThrough(rgb, alpha);
    if (found.regions > 0) {
      const glass = options.glass ?? { opacity: 0.15, tint: { r: 226, g: 234, b: 238 } };
      ({ alpha, foreground: colour } = applySeeThrough(alpha, rgb, found.map, options.seeThrough, glass));
    }
    seeThrough = { mode: options.seeThrough, regions: found.regions, share: Math.round(found.share * 1000) / 1000 };
  }
  alpha = await featherMask(alpha, options.featherPx);
  const stats = maskStats(alpha);
  if (!stats.bbox) {
    throw new EngineError(
      'NO_SUBJECT',
      matteSource === 'input-alpha'
        ? 'The cut-out is fully transparent: there is no subject to place'
        : 'No foreground subject was found in the image (the mask is empty)',
    );
  }
  let foreground: RawImage = colour;
  if (options.decontaminate) {
    const estimated = await getWorkerPool().foreground({
      kind: 'foreground',
      width: rgb.width,
      height: rgb.height,
      rgb: new Uint8Array(colour.data),
      alpha: new Uint8Array(alpha.data),
    });
    foreground = { ...rgb, data: Buffer.from(estimated.rgb.buffer, estimated.rgb.byteOffset, estimated.rgb.length) };
  }
  if (options.enhanceFg) foreground = await enhanceForeground(foreground);
  const t3 = performance.now();
  return {
    decoded,
    rgb,
    alpha,
    foreground,
    stats: { ...stats, bbox: stats.bbox },
    matteSource,
    seeThrough,
    model,
    device,
    config,
    timings: { decodeMs: t1 - t0, segmentMs: t2 - t1, inferenceMs, matteMs: t3 - t2 },
  };
}
