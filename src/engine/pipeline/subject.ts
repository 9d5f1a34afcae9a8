import type { EngineConfig } from '../core/config';
import { type EngineContext, engineConfig, throwIfCancelled } from '../core/context';
import { EngineError } from '../core/errors';
import { type Choice, defineOptions, zodFields } from '../core/optionTable';
import { parseHexColor } from '../image/color';
import { type DecodedImage, decodeImage } from '../image/decode';
import { asBuffer, cropRaw, multiplyMasks, splitAlpha } from '../image/raw';
import { resolveHint, type SubjectHint, subjectHintSchema } from '../segment/hint';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { enhanceForeground } from '../matte/enhance';
import { estimateForegroundInPool } from '../matte/foregroundTask';
import { searchFrameInPool } from '../frame/frameTask';
import { frameWorkScale } from '../frame/workScale';
import { applyPoints } from '../matte/points';
import { type CutoutConfidence, cutoutConfidence, maskIoU } from '../matte/confidence';
import { expandBox, featherMask, keepInside, type MaskStats, maskStats, placeInFrame } from '../matte/matte';
import { snapMatte } from '../matte/snap';
import { applySeeThrough, detectSeeThrough, type GlassOptions, type SeeThroughMode } from '../frame/seeThrough';
import { MODEL_FAMILIES } from '../segment/families';
import { resolveModel, type ResolvedModel } from '../segment/model';
import type { ExecutionProvider } from '../runtime/backend';
import { segmentImage } from '../segment/segmenter';

/**
 * The one path from a photo to "subject colour + alpha", shared by Background Cleanup and
 * Background Replace: decode -> segment (or reuse the input's own alpha) -> snap ->
 * feather -> foreground colour estimation -> optional enhancement.
 */
export interface SubjectOptions {
  featherPx: number;
  decontaminate: boolean;
  enhanceFg: boolean;
  modelPath?: string;
  modelFamily?: string;
  /**
   * What the input is: `cutout` uses its alpha as the matte (from Background Cleanup), `photo`
   * segments it, `auto` uses the alpha only when it really is a cut-out (see isCutoutAlpha).
   * Without the option the photo is segmented (an RGBA photo's alpha then limits the matte).
   */
  inputIs?: InputKind;
  /** Open up panes and gaps inside the subject that show the old background. */
  seeThrough?: SeeThroughMode;
  glass?: GlassOptions;
  /** Where the product is: a box to segment in, points to keep or drop pieces (parsed once, by the pipeline's options). */
  hint?: SubjectHint;
  /** Run the model a second time (full image vs hinted box, or the found subject's crop) and score their agreement. */
  crossCheck?: boolean;
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
  /** How much to trust the cut-out (see matte/confidence.ts). */
  confidence: CutoutConfidence;
  /** The hint as applied, in the photo's pixels. */
  hint?: { box?: BoundingBox; include: number; exclude: number; piecesDropped: number; source?: 'box colours' };
  model?: ResolvedModel;
  device?: ExecutionProvider;
  config: EngineConfig;
  timings: { decodeMs: number; segmentMs: number; inferenceMs: number; matteMs: number };
}

/** The options both pipelines take for the subject: model, cross-check, see-through (the hint is its own schema, segment/hint.ts). */
export const SUBJECT_OPTIONS = defineOptions({
  modelPath: {
    type: 'string',
    displayName: 'Model Path',
    description: 'A rembg-compatible ONNX file on the worker; empty uses BG_MODEL_PATH, else the bundled IS-Net weights',
    placeholder: '/models/birefnet-general.onnx',
    cli: { flag: 'model', value: 'PATH', help: 'a rembg-compatible ONNX model (default: BG_MODEL_PATH, else the bundled IS-Net)' },
  },
  modelFamily: {
    type: 'string',
    displayName: 'Model Family',
    description: 'How the custom model wants its input and output (as rembg defines the families)',
    suggested: { unset: 'Guess From File Name', values: Object.keys(MODEL_FAMILIES) },
    cli: { flag: 'model-family', value: 'NAME', help: `${Object.keys(MODEL_FAMILIES).join(' | ')} (default: from the file name)` },
  },
  crossCheck: {
    type: 'boolean',
    displayName: 'Cross-Check',
    description:
      "Whether to run the model a second time (whole photo vs the hinted box, or the found subject's crop) and fold their agreement into the confidence score; twice the inference time",
    default: false,
    cli: { flag: 'cross-check', help: 'run the model twice and fold their agreement into the confidence' },
  },
  seeThrough: {
    type: 'options',
    displayName: 'See-Through',
    description: 'Windows, doors and pergolas: what to do with panes and gaps through which the old background shows',
    default: 'gaps',
    choices: {
      gaps: { name: 'Gaps (Open Panes)', description: 'Regions inside the frame that show the old background become transparent' },
      glass: { name: 'Glass', description: 'Those regions become faintly tinted glass' },
      off: { name: 'Off' },
    } satisfies Record<SeeThroughMode, Choice>,
    cli: { flag: 'see-through', help: 'panes showing the old background: cleared, faint glass, or kept' },
  },
  glassOpacity: {
    type: 'number',
    displayName: 'Glass Opacity',
    description: 'With See-Through = Glass: how opaque the panes stay (0 = clear)',
    default: 0.15,
    min: 0,
    max: 1,
    precision: 2,
    cli: { flag: 'glass-opacity', value: 'N', help: 'with --see-through glass: how opaque the panes stay (0 = clear)' },
  },
  glassTint: {
    type: 'color',
    displayName: 'Glass Tint',
    description: 'With See-Through = Glass: the colour of the panes',
    default: '#e2eaee',
    cli: { flag: 'glass-tint', value: 'HEX', help: 'with --see-through glass: the colour of the panes' },
  },
});

export const subjectOptionFields = {
  ...zodFields(SUBJECT_OPTIONS),
  /** Where the product is: a box and include/exclude points (see segment/hint.ts; parseSubjectHint reads the text forms). */
  hint: subjectHintSchema.optional(),
};

/** The glass of see-through mode "glass", from the options (the tint checked as a hex color). */
export function glassOf(options: { glassOpacity: number; glassTint: string }): GlassOptions {
  return { opacity: options.glassOpacity, tint: parseHexColor(options.glassTint) };
}

export type InputKind = 'auto' | 'cutout' | 'photo';

/**
 * True when an alpha channel is a cut-out's: a real share of the picture fully clear
 * (background removed, at least 2 %) and an opaque subject (at least 1 %). A photo saved
 * with a soft or half-transparent edge, rounded corners or one stray pixel is not one.
 */
export function isCutoutAlpha(alpha: AlphaMask | undefined): alpha is AlphaMask {
  if (!alpha) return false;
  let clear = 0;
  let opaque = 0;
  for (let i = 0; i < alpha.data.length; i++) {
    if (alpha.data[i] === 0) clear++;
    else if (alpha.data[i] === 255) opaque++;
  }
  return clear >= 0.02 * alpha.data.length && opaque >= 0.01 * alpha.data.length;
}

/** The matte before feathering, and how it was made. */
interface Matte {
  alpha: AlphaMask;
  source: Subject['matteSource'];
  model?: ResolvedModel;
  device?: ExecutionProvider;
  inferenceMs: number;
  /** Fitted to the photo's edges (not the cross-check's): the feather must not fade the thin parts it found. */
  guided: boolean;
  /** IoU of the cross-check's second run with the matte, when it ran. */
  agreement?: number;
  hint?: Subject['hint'];
  /** The matte is the frame's finish (frame/finish.ts): what shows through it is already clear. */
  byFinishColors: boolean;
}

/** What a matte is made from: the photo as decoded (what the model sees), its RGB and own alpha, the options and the resolved hint. */
interface MatteInput {
  photo: RawImage;
  rgb: RawImage;
  inputAlpha: AlphaMask | undefined;
  options: SubjectOptions;
  hint: ReturnType<typeof resolveHint> | undefined;
  config: EngineConfig;
  context: EngineContext;
}

/** One model run over a region of the photo as decoded (all of it by default), placed in a full-size mask. */
type RegionSegmenter = (region?: BoundingBox) => Promise<{ matte: AlphaMask; guided: boolean; device: ExecutionProvider; inferenceMs: number }>;

function regionSegmenter(image: RawImage, model: ResolvedModel, config: EngineConfig, context: EngineContext): RegionSegmenter {
  return async (region) => {
    const source = region ? await cropRaw(image, region) : image;
    throwIfCancelled(context, 'before segmentation');
    const segmentation = await segmentImage(source, {
      model,
      runtime: config.runtime,
      device: config.device,
      threads: config.inferenceThreads,
      graphOptimization: config.graphOptimization,
      precision: config.modelPrecision,
      cacheDir: config.modelCacheDir,
      warn: context.warn,
      signal: context.signal,
    });
    // Guided upsampling snaps what it writes (matte/snap.ts), so its matte is snapped already.
    const matte = segmentation.guided ? segmentation.mask : snapMatte(segmentation.mask);
    return {
      matte: region ? placeInFrame(matte, region, image.width, image.height) : matte,
      guided: segmentation.guided,
      device: segmentation.provider,
      inferenceMs: segmentation.timings.inferenceMs,
    };
  };
}

/**
 * The model's matte inside a hinted box: the model sees the box plus some context, so the
 * product fills its input. A framed product (windows, doors, pergolas): when the model misses
 * the box's sides or took in what shows through the panes, the band's colours give the
 * product (framedMatte).
 */
async function boxedMatte(rgb: RawImage, box: BoundingBox, hint: NonNullable<ReturnType<typeof resolveHint>>, segment: RegionSegmenter, signal?: AbortSignal) {
  const view = expandBox(box, Math.round(hint.margin * Math.max(box.width, box.height)), rgb.width, rgb.height);
  const segmented = await segment(view);
  const closeUp = keepInside(segmented.matte, box);
  const sawWhole = view.width === rgb.width && view.height === rgb.height;
  const framed = hint.frame ? await framedMatte(rgb, box, closeUp, sawWhole ? undefined : () => segment(), signal) : undefined;
  const run = { guided: segmented.guided, device: segmented.device, inferenceMs: segmented.inferenceMs + (framed?.extraInferenceMs ?? 0) };
  if (framed?.alpha) return { ...run, alpha: framed.alpha, colorPrior: true, byFinishColors: framed.byFinishColors };
  return { ...run, alpha: closeUp, colorPrior: false, byFinishColors: false };
}

/**
 * A framed product's matte from the box's colours (frame/frameTask.ts: by its finish, from the
 * close-up's matte or, when that kept too little of the box, the whole photo's), searched in the
 * pool at the work scale (frame/workScale.ts) and brought back to full size: undefined when the
 * model's close-up matte should stand. The model runs on the whole photo only when asked.
 */
export async function framedMatte(
  rgb: RawImage,
  box: BoundingBox,
  closeUp: AlphaMask,
  wholePhoto: WholePhotoMatte | undefined,
  signal?: AbortSignal,
): Promise<{ alpha?: AlphaMask; byFinishColors: boolean; extraInferenceMs: number }> {
  const work = await frameWorkScale(rgb, box);
  const request = { rgb: work.rgb, box: work.box, closeUp: await work.down(closeUp) };
  let found = await searchFrameInPool({ ...request, mayAskWhole: wholePhoto !== undefined }, signal);
  let extraInferenceMs = 0;
  if (found.askWhole && wholePhoto) {
    const whole = await wholePhoto();
    extraInferenceMs = whole.inferenceMs;
    found = await searchFrameInPool({ ...request, whole: await work.down(whole.matte), mayAskWhole: false }, signal);
  }
  return { alpha: found.alpha && (await work.up(found.alpha)), byFinishColors: found.byFinishColors, extraInferenceMs };
}

/** The model's matte of the whole photo (full size), with its inference time. */
type WholePhotoMatte = () => Promise<{ matte: AlphaMask; inferenceMs: number }>;

/** The cross-check's second view of the same photo: the whole frame when hinted, else the found subject's crop. */
async function secondView(alpha: AlphaMask, rgb: RawImage, box: BoundingBox | undefined, segment: RegionSegmenter) {
  if (box) {
    const run = await segment();
    return { ...run, matte: keepInside(run.matte, box) };
  }
  const found = maskStats(alpha).bbox;
  return found ? segment(expandBox(found, Math.round(0.1 * Math.max(found.width, found.height)), rgb.width, rgb.height)) : undefined;
}

/** The matte from the model (boxed, checked, pieces picked by the hint's points), limited by the photo's own alpha if it has one. */
async function segmentedMatte({ photo, rgb, inputAlpha, options, hint, config, context }: MatteInput): Promise<Matte> {
  const model = resolveModel({
    modelPath: options.modelPath || config.modelPath,
    family: options.modelFamily || config.modelFamily,
    cacheDir: config.modelCacheDir,
  });
  const segment = regionSegmenter(photo, model, config, context);
  const box = hint?.box;
  const first = box && hint ? await boxedMatte(rgb, box, hint, segment, context.signal) : { ...(await segment()), colorPrior: false, byFinishColors: false };
  let alpha = 'alpha' in first ? first.alpha : first.matte;
  let device = first.device;
  let inferenceMs = first.inferenceMs;
  let agreement: number | undefined;
  if (options.crossCheck) {
    const second = await secondView(alpha, rgb, box, segment);
    if (second) {
      device = second.device;
      inferenceMs += second.inferenceMs;
    }
    agreement = second ? maskIoU(alpha.data, second.matte.data) : 0;
  }
  let piecesDropped = 0;
  if (hint && (hint.include.length > 0 || hint.exclude.length > 0)) {
    const picked = applyPoints(alpha, hint.include, hint.exclude);
    alpha = picked.alpha;
    piecesDropped = picked.dropped;
    for (const warning of picked.warnings) context.warn?.(warning);
  }
  const applied: Subject['hint'] = hint && {
    ...(box ? { box } : {}),
    include: hint.include.length,
    exclude: hint.exclude.length,
    piecesDropped,
    ...(first.colorPrior ? { source: 'box colours' as const } : {}),
  };
  return {
    alpha: inputAlpha ? multiplyMasks(alpha, inputAlpha) : alpha,
    source: 'segmented',
    model,
    device,
    inferenceMs,
    guided: first.guided,
    ...(agreement !== undefined ? { agreement } : {}),
    ...(applied ? { hint: applied } : {}),
    byFinishColors: first.byFinishColors,
  };
}

/** The input's own alpha when it is a cut-out (Input Is: Cut-Out, or Auto on a real cut-out), else the model's matte. */
async function matteOf(input: MatteInput): Promise<Matte> {
  const { inputAlpha, options } = input;
  if (options.inputIs === 'cutout' && !inputAlpha) {
    throw new EngineError('INVALID_OPTION', 'Input Is: Cut-Out, but the image has no alpha channel (use Auto or Photo, or pass a PNG/WebP cut-out)');
  }
  if (options.inputIs === 'cutout' || (options.inputIs === 'auto' && isCutoutAlpha(inputAlpha))) {
    return { alpha: inputAlpha!, source: 'input-alpha', inferenceMs: 0, guided: false, byFinishColors: false };
  }
  return segmentedMatte(input);
}

type Edges = { alpha: AlphaMask; stats: Subject['stats']; foreground: RawImage };

/** Feather, the subject's box, and the edge colours (in the pool) for the final alpha. */
async function finishEdges(rgb: RawImage, matte: Matte, alpha: AlphaMask, color: RawImage, options: SubjectOptions, context: EngineContext): Promise<Edges> {
  const feathered = await featherMask(alpha, options.featherPx, matte.guided);
  const stats = maskStats(feathered);
  if (!stats.bbox) {
    throw new EngineError(
      'NO_SUBJECT',
      matte.source === 'input-alpha'
        ? 'The cut-out is fully transparent: there is no subject to place'
        : 'No foreground subject was found in the image (the mask is empty)',
    );
  }
  let foreground: RawImage = color;
  if (options.decontaminate) {
    const estimated = await estimateForegroundInPool({
      signal: context.signal,
      width: rgb.width,
      height: rgb.height,
      rgb: new Uint8Array(color.data),
      alpha: new Uint8Array(feathered.data),
    });
    foreground = { ...rgb, data: asBuffer(estimated.rgb) };
  }
  return { alpha: feathered, stats: { ...stats, bbox: stats.bbox }, foreground };
}

/**
 * The see-through detector looks at every cut-out: with see-through on it opens what it
 * finds; with it off, what it finds (background left in the panes) lowers the confidence,
 * and the edge colours are estimated in the pool meanwhile (they do not depend on it).
 */
async function seeThroughAndEdges(rgb: RawImage, matte: Matte, options: SubjectOptions, context: EngineContext) {
  const mode = options.seeThrough ?? 'off';
  const { alpha, agreement } = matte;
  const edgesOf = (a: AlphaMask, color: RawImage) => finishEdges(rgb, matte, a, color, options, context);
  if (mode === 'off') {
    const scored = detectSeeThrough(rgb, alpha).then((found) => cutoutConfidence(alpha, { agreement, seeThroughShare: found.share }));
    const [confidence, edges] = await Promise.all([scored, edgesOf(alpha, rgb)]);
    return { confidence, edges, seeThrough: { mode, regions: 0, share: 0 } };
  }
  // Most photos have nothing to open: the edges are finished meanwhile for the alpha as it
  // is, and done again only when the detector opens something.
  const speculative = edgesOf(alpha, rgb);
  speculative.catch(() => undefined);
  // A finish matte has cleared the panes by colour already; opening more would only take
  // bar pixels mixed with the background (glass still needs the panes found).
  const found = matte.byFinishColors && mode === 'gaps' ? undefined : await detectSeeThrough(rgb, alpha);
  const confidence = await cutoutConfidence(alpha, { agreement });
  const seeThrough = { mode, regions: found?.regions ?? 0, share: Math.round((found?.share ?? 0) * 1000) / 1000 };
  if (!found || found.regions === 0) return { confidence, edges: await speculative, seeThrough };
  const glass = options.glass ?? { opacity: 0.15, tint: { r: 226, g: 234, b: 238 } };
  const opened = applySeeThrough(alpha, rgb, found.map, mode, glass);
  // The pool's copy of the first estimate is of no use now; wait for it so the pool is free.
  await speculative.catch(() => undefined);
  return { confidence, edges: await edgesOf(opened.alpha, opened.foreground), seeThrough };
}

/** A subject's stage times rounded to 0.1 ms, as both pipelines record them. */
export function subjectTimings(timings: Subject['timings']): Subject['timings'] {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { decodeMs: round(timings.decodeMs), segmentMs: round(timings.segmentMs), inferenceMs: round(timings.inferenceMs), matteMs: round(timings.matteMs) };
}

export async function extractSubject(input: Buffer, options: SubjectOptions, context: EngineContext = {}): Promise<Subject> {
  const config = engineConfig(context);
  const t0 = performance.now();
  const decoded = await decodeImage(input, { maxPixels: config.maxPixels });
  const t1 = performance.now();
  const { rgb, alpha: inputAlpha } = splitAlpha(decoded.image);
  // A bad hint fails before any inference.
  const given = options.hint;
  const hint = given && (given.box || given.include?.length || given.exclude?.length) ? resolveHint(given, rgb.width, rgb.height) : undefined;
  const matte = await matteOf({ photo: decoded.image, rgb, inputAlpha, options, hint, config, context });
  const t2 = performance.now();
  throwIfCancelled(context, 'after segmentation');
  const { confidence, edges, seeThrough } = await seeThroughAndEdges(rgb, matte, options, context);
  const foreground = options.enhanceFg ? await enhanceForeground(edges.foreground, edges.alpha) : edges.foreground;
  const t3 = performance.now();
  return {
    decoded,
    rgb,
    alpha: edges.alpha,
    foreground,
    stats: edges.stats,
    matteSource: matte.source,
    seeThrough,
    confidence,
    ...(matte.hint ? { hint: matte.hint } : {}),
    model: matte.model,
    device: matte.device,
    config,
    timings: { decodeMs: t1 - t0, segmentMs: t2 - t1, inferenceMs: matte.inferenceMs, matteMs: t3 - t2 },
  };
}
