import type { ExecutionProvider } from '../runtime/backend';

import { imageBackdrop } from '../compose/backdrop';
import { compositeOver } from '../compose/over';
import { planColorMatch } from '../compose/colorMatch';
import { checkLayoutOptions, computeLayout, placeSubject } from '../compose/placement';
import { applyShadows, contactShadow, dropShadow, type ShadowLayer } from '../compose/shadow';
import { EngineError, isEngineError } from '../core/errors';
import { type BackdropRequest, type SdxlRequestOptions, type Strategy } from '../generate/engine';
import { getEngine } from '../generate/registry';
import { parseHexColor } from '../image/color';
import { readImageHeader } from '../image/decode';
import { encodeImage, validateEncodeOptions } from '../image/encode';
import { carriedMetadata } from '../image/metadata';
import { type AlphaMask, FILE_EXTENSIONS, MIME_TYPES, type RawImage } from '../image/types';
import type { BoundingBox } from '../image/types';
import { adjustedShadows, choosePreset, type ResolvedPreset, seedFor, shadowSettings } from '../presets';
import type { SeeThroughMode } from '../frame/seeThrough';
import type { CutoutConfidence } from '../matte/confidence';
import { parseOptions } from '../core/validation';
import { type EngineContext, engineConfig } from '../core/context';
import type { ReplaceResultContract, Satisfies } from '../core/result';
import { extractSubject, glassOf, type Subject, type SubjectOptions, subjectTimings } from './subject';
import { type ReplaceOptions, type ReplaceOptionsInput, replaceOptionsSchema } from './replaceOptions';

/** The old background service's sidecar `background` block, plus what a reviewer needs to reproduce it. */
export interface ReplaceMetadata {
  mode: 'replace';
  engine: string;
  processedAt: string;
  prompt: string;
  settings: { steps: number; guidanceScale: number; enhanceFg: boolean; matchColors: boolean; featherEdges: boolean };
  preset: string;
  promptType: string;
  negativePrompt: string;
  seed: number;
  backdrop: string;
  matteSource: 'segmented' | 'input-alpha';
  strategy: Strategy;
  /** What the engine recorded (Runway: task id, model, ratio, attempts). */
  engineDetails?: Record<string, string | number>;
  seeThrough: { mode: SeeThroughMode; regions: number; share: number };
  /** How much to trust the cut-out, with the reasons when it is doubtful (sidecar scores.cutout). */
  confidence: CutoutConfidence;
  hint?: Subject['hint'];
  model?: { name: string; family: string; sha256: string };
  device?: ExecutionProvider;
  format: string;
  width: number;
  height: number;
  /** The subject's box in the output. */
  bbox: BoundingBox;
  shadow: string[];
  /** How far colour matching moved the subject's mean colour (Lab delta E); 0 when off. */
  colorShift: number;
  timings: {
    decodeMs: number;
    segmentMs: number;
    inferenceMs: number;
    matteMs: number;
    backdropMs: number;
    composeMs: number;
    encodeMs: number;
    totalMs: number;
  };
}

/** Checked by the compiler: the metadata (and the node's fileName) is a valid background result (core/result.ts). */
export type ReplaceContractCheck = Satisfies<ReplaceMetadata & { fileName?: string }, ReplaceResultContract>;

export interface ReplaceResult {
  data: Buffer;
  mimeType: string;
  extension: string;
  metadata: ReplaceMetadata;
}

function parseReplaceOptions(input: ReplaceOptionsInput): ReplaceOptions {
  const options = parseOptions(replaceOptionsSchema, input) as ReplaceOptions;
  if (options.backgroundColor !== undefined) parseHexColor(options.backgroundColor);
  glassOf(options);
  validateEncodeOptions({ format: options.format, quality: options.quality }, false);
  const engine = getEngine(options.engine);
  options.strategy ??= engine.strategies[0];
  if (!engine.strategies.includes(options.strategy)) {
    throw new EngineError('INVALID_OPTION', `The ${engine.name} engine has no "${options.strategy}" strategy (it offers ${engine.strategies.join(', ')})`);
  }
  return options;
}

type Engine = ReturnType<typeof getEngine>;

/** The subject's options: the node's, else the preset's (subject hint, enhancement, feather). */
function subjectOptionsOf(options: ReplaceOptions, preset: ResolvedPreset, composite: { enhanceFg: boolean; featherEdges: boolean }): SubjectOptions {
  return {
    featherPx: composite.featherEdges ? 1 : 0,
    decontaminate: options.decontaminate,
    enhanceFg: composite.enhanceFg,
    modelPath: options.modelPath,
    modelFamily: options.modelFamily,
    hint: options.hint ?? preset.subjectHint,
    crossCheck: options.crossCheck,
    inputIs: options.inputIs,
    seeThrough: options.seeThrough,
    glass: glassOf(options),
  };
}

/** Everything that can be checked without the photo's pixels, before the segmentation: the engine (unless a backdrop override means it is never asked), the layout, the background image's header. */
async function checkBeforeSegmenting(options: ReplaceOptions, engine: Engine, sdxl: SdxlRequestOptions, maxPixels: number, context: EngineContext) {
  if (!options.backgroundImage && !options.backgroundColor) engine.check?.({ strategy: options.strategy, runwayModel: options.runwayModel, sdxl, context });
  checkLayoutOptions(options, maxPixels);
  if (options.backgroundImage) {
    await readImageHeader(options.backgroundImage, { maxPixels }).catch((error: Error) => {
      throw new EngineError(isEngineError(error) ? error.code : 'INPUT_CORRUPT', `Background image: ${error.message}`);
    });
  }
}

/** The backdrop: the given image, a plain colour (rendered by the studio engine), or the engine's picture for the preset. */
async function renderBackdrop(options: ReplaceOptions, preset: ResolvedPreset, engine: Engine, request: Omit<BackdropRequest, 'backdrop'>, maxPixels: number) {
  if (options.backgroundImage) {
    const image = await imageBackdrop(options.backgroundImage, request.width, request.height, options.backgroundFit, maxPixels).catch((error: Error) => {
      throw new EngineError('INPUT_CORRUPT', `Background image: ${error.message}`);
    });
    return { image, name: `image (${options.backgroundFit})`, final: false };
  }
  if (options.backgroundColor) {
    const output = await getEngine('studio').render({ ...request, backdrop: { type: 'solid', color: options.backgroundColor } });
    return { image: output.image, name: `color ${options.backgroundColor}`, final: false };
  }
  const output = await engine.render({ ...request, backdrop: preset.backdrop });
  const strategy = options.strategy === engine.strategies[0] ? '' : ` (${options.strategy})`;
  return { image: output.image, name: `${engine.name}${strategy}: ${preset.preset}/${preset.promptType}`, final: output.final, details: output.details };
}

/**
 * Shadows, colour matching and the subject over the backdrop. The backdrop is this call's own
 * (rendered, generated or decoded here): shadows and the subject go straight into it, with no
 * full-size copies. A creative engine's picture is final: its product is the engine's own.
 */
async function composeOver(
  placed: { subject: RawImage; alpha: { data: Buffer; width: number; height: number } },
  backdrop: { image: RawImage; final: boolean },
  options: ReplaceOptions,
  preset: ResolvedPreset,
  colorMatch: boolean,
) {
  const shadows = backdrop.final ? {} : adjustedShadows(shadowSettings(options.shadow, preset.composite.shadow), options);
  const layers: ShadowLayer[] = [];
  if (shadows.contact) {
    const layer = await contactShadow(placed.alpha, shadows.contact);
    if (layer) layers.push(layer);
  }
  if (shadows.drop) layers.push(await dropShadow(placed.alpha, shadows.drop));
  // Colour matching reads the backdrop's light before the shadows darken it.
  const matched =
    colorMatch && !backdrop.final
      ? planColorMatch(placed.subject, placed.alpha, backdrop.image, preset.composite.matchStrength, preset.composite.matchMaxDeltaE)
      : undefined;
  applyShadows(backdrop.image.data, layers);
  const composed = backdrop.final ? backdrop.image : compositeOver(placed.subject, placed.alpha, backdrop.image, { tables: matched?.tables, inPlace: true });
  return { composed, shadow: Object.keys(shadows), colorShift: matched ? Math.round(matched.deltaE * 100) / 100 : 0 };
}

/** What the engine is asked to paint: the preset's prompt and sampling, with the options' overrides, around the placed subject. */
function backdropRequest(
  input: Buffer,
  options: ReplaceOptions,
  preset: ResolvedPreset,
  placed: { subject: RawImage; alpha: AlphaMask; width: number; height: number },
  sdxl: SdxlRequestOptions,
  context: EngineContext,
) {
  return {
    width: placed.width,
    height: placed.height,
    prompt: options.prompt ?? preset.prompt,
    negativePrompt: options.negativePrompt ?? preset.negativePrompt,
    generation: {
      ...preset.generation,
      ...(options.steps ? { steps: options.steps } : {}),
      ...(options.guidanceScale !== undefined ? { guidanceScale: options.guidanceScale } : {}),
    },
    seed: seedFor(input, preset.generation, options.seed),
    subject: placed.subject,
    alpha: placed.alpha,
    strategy: options.strategy,
    runwayModel: options.runwayModel,
    sdxl,
    context,
  };
}

export async function replaceBackground(input: Buffer, optionsInput: ReplaceOptionsInput, context: EngineContext = {}): Promise<ReplaceResult> {
  const options = parseReplaceOptions(optionsInput);
  const config = engineConfig(context);
  const preset = choosePreset(
    { name: options.preset, promptType: options.promptType, custom: options.customPresets, upstream: options.upstreamPreset },
    config.presetDefaults,
  );
  const engine = getEngine(options.engine);
  const sdxl = { modelDir: options.sdxlModelDir, scheduler: options.scheduler, strength: options.strength, guidanceRescale: options.guidanceRescale };
  await checkBeforeSegmenting(options, engine, sdxl, config.maxPixels, context);
  const enhanceFg = options.enhanceFg ?? preset.composite.enhanceFg;
  const colorMatch = options.matchColors ?? preset.composite.matchColors;
  const featherEdges = options.featherEdges ?? preset.composite.featherEdges;
  const start = performance.now();

  const subject = await extractSubject(input, subjectOptionsOf(options, preset, { enhanceFg, featherEdges }), context);
  const layout = computeLayout(subject.stats.bbox, subject.rgb.width, subject.rgb.height, options, subject.config.maxPixels);
  const placed = await placeSubject(subject.foreground, subject.alpha, subject.stats.bbox, layout);
  const tPlaced = performance.now();

  const request = backdropRequest(input, options, preset, { ...placed, width: layout.width, height: layout.height }, sdxl, context);
  const { prompt, negativePrompt, generation, seed } = request;
  const backdrop = await renderBackdrop(options, preset, engine, request, subject.config.maxPixels);
  const tBackdrop = performance.now();
  const { composed, shadow, colorShift } = await composeOver(placed, backdrop, options, preset, colorMatch);
  const tCompose = performance.now();
  const metadata = carriedMetadata(subject.decoded.embedded, options.metadata);
  const data = await encodeImage(composed, { format: options.format, quality: options.quality, pngCompression: 2, metadata });
  const tEncode = performance.now();
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const timings = {
    ...subjectTimings(subject.timings),
    backdropMs: round(tBackdrop - tPlaced),
    composeMs: round(tCompose - tBackdrop),
    encodeMs: round(tEncode - tCompose),
    totalMs: round(tEncode - start),
  };
  return {
    data,
    mimeType: MIME_TYPES[options.format],
    extension: FILE_EXTENSIONS[options.format],
    metadata: {
      mode: 'replace',
      engine: engine.name,
      processedAt: new Date().toISOString(),
      prompt,
      settings: { steps: generation.steps, guidanceScale: generation.guidanceScale, enhanceFg, matchColors: colorMatch && !backdrop.final, featherEdges },
      preset: preset.preset,
      promptType: preset.promptType,
      negativePrompt,
      seed,
      backdrop: backdrop.name,
      matteSource: subject.matteSource,
      strategy: options.strategy,
      ...(backdrop.details ? { engineDetails: backdrop.details } : {}),
      ...subjectMetadata(subject),
      format: options.format,
      width: layout.width,
      height: layout.height,
      bbox: layout.placed,
      shadow,
      colorShift,
      timings,
    },
  };
}

/** What the result records of the subject: see-through, confidence, hint, model and device. */
function subjectMetadata(subject: Subject) {
  return {
    seeThrough: subject.seeThrough,
    confidence: subject.confidence,
    ...(subject.hint ? { hint: subject.hint } : {}),
    ...(subject.model ? { model: { name: subject.model.name, family: subject.model.family.name, sha256: subject.model.sha256 } } : {}),
    ...(subject.device ? { device: subject.device } : {}),
  };
}
