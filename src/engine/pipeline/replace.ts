import type { ExecutionProvider } from '../runtime/backend';
import { z } from 'zod';

import { imageBackdrop } from '../compose/backdrop';
import { compositeOver } from '../compose/over';
import { planColorMatch } from '../compose/colorMatch';
import { checkLayoutOptions, computeLayout, placeSubject } from '../compose/placement';
import { applyShadows, contactShadow, dropShadow, type ShadowLayer } from '../compose/shadow';
import { EngineError, isEngineError } from '../core/errors';
import { STRATEGIES, type Strategy } from '../generate/engine';
import { getEngine } from '../generate/registry';
import { RUNWAY_MODELS } from '../generate/runway/protocol';
import { SCHEDULERS } from '../generate/sdxl/schedulers';
import { parseHexColor } from '../image/color';
import { readImageHeader } from '../image/decode';
import { encodeImage, validateEncodeOptions } from '../image/encode';
import { FILE_EXTENSIONS, MIME_TYPES, OUTPUT_FORMATS, type RawImage } from '../image/types';
import type { BoundingBox } from '../image/types';
import { choosePreset, type Preset, seedFor, SHADOW_MODES, shadowSettings } from '../presets';
import type { SeeThroughMode } from '../frame/seeThrough';
import type { CutoutConfidence } from '../matte/confidence';
import { parseOptions } from '../core/validation';
import { type EngineContext, engineConfig } from '../core/context';
import type { ReplaceResultContract, Satisfies } from '../core/result';
import { extractSubject, glassOf, INPUT_KINDS, type Subject, subjectOptionFields } from './subject';

export const replaceOptionsSchema = z
  .object({
    engine: z.string().default('studio'),
    /** How the engine makes the scene (see generate/engine.ts); unset = the engine's first (studio, runway: backdrop; sdxl: outpaint). */
    strategy: z.enum(STRATEGIES as unknown as [Strategy, ...Strategy[]]).optional(),
    runwayModel: z.enum(RUNWAY_MODELS).default('gen4_image'),
    /** Local SDXL: the ONNX export (SDXL_MODEL_DIR when unset), sampler, strength and guidance rescale. */
    sdxlModelDir: z.string().optional(),
    scheduler: z.enum(SCHEDULERS).optional(),
    strength: z.number().min(0.01).max(1).default(1),
    guidanceRescale: z.number().min(0).max(1).default(0),
    preset: z.string().optional(),
    promptType: z.string().optional(),
    /** Extra presets (already validated), e.g. from the Background Preset node or a file. */
    customPresets: z.array(z.custom<Preset>()).optional(),
    /** A preset resolved upstream (Background Preset's json.backgroundPreset): used when preset and promptType are empty (choosePreset). */
    upstreamPreset: z.unknown().optional(),
    prompt: z.string().max(1000).optional(),
    negativePrompt: z.string().max(1000).optional(),
    steps: z.number().int().min(1).max(150).optional(),
    guidanceScale: z.number().min(0).max(30).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    /** Overrides the engine's backdrop with a flat colour. */
    backgroundColor: z.string().optional(),
    /** Overrides the engine's backdrop with an image (any format the decoder reads). */
    backgroundImage: z.instanceof(Buffer).optional(),
    backgroundFit: z.enum(['cover', 'contain']).default('cover'),
    /** auto: an RGBA input whose alpha really is a cut-out keeps it; cutout / photo force either. */
    inputIs: z.enum(INPUT_KINDS).default('auto'),
    outputSize: z.string().optional(),
    aspectRatio: z.string().optional(),
    padding: z.string().optional(),
    anchor: z.enum(['center', 'bottom']).default('bottom'),
    shadow: z.enum(SHADOW_MODES).default('preset'),
    matchColors: z.boolean().optional(),
    enhanceFg: z.boolean().optional(),
    featherEdges: z.boolean().optional(),
    decontaminate: z.boolean().default(true),
    format: z.enum(OUTPUT_FORMATS as [string, ...string[]]).default('jpeg'),
    quality: z.number().int().min(1).max(100).default(92),
    ...subjectOptionFields,
  })
  .strict();

export type ReplaceOptionsInput = z.input<typeof replaceOptionsSchema>;
type ReplaceOptions = z.output<typeof replaceOptionsSchema> & { format: 'png' | 'webp' | 'jpeg'; strategy: Strategy };

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

export async function replaceBackground(input: Buffer, optionsInput: ReplaceOptionsInput, context: EngineContext = {}): Promise<ReplaceResult> {
  const options = parseReplaceOptions(optionsInput);
  const config = engineConfig(context);
  const preset = choosePreset(
    { name: options.preset, promptType: options.promptType, custom: options.customPresets, upstream: options.upstreamPreset },
    config.presetDefaults,
  );
  const engine = getEngine(options.engine);
  // A backdrop override means the engine is never asked; otherwise fail before segmenting.
  const sdxl = { modelDir: options.sdxlModelDir, scheduler: options.scheduler, strength: options.strength, guidanceRescale: options.guidanceRescale };
  if (!options.backgroundImage && !options.backgroundColor) engine.check?.({ strategy: options.strategy, runwayModel: options.runwayModel, sdxl, context });
  // Everything that can be checked without the photo's pixels, before the segmentation.
  checkLayoutOptions(options, config.maxPixels);
  if (options.backgroundImage) {
    await readImageHeader(options.backgroundImage, { maxPixels: config.maxPixels }).catch((error: Error) => {
      throw new EngineError(isEngineError(error) ? error.code : 'INPUT_CORRUPT', `Background image: ${error.message}`);
    });
  }
  const enhanceFg = options.enhanceFg ?? preset.composite.enhanceFg;
  const colorMatch = options.matchColors ?? preset.composite.matchColors;
  const featherEdges = options.featherEdges ?? preset.composite.featherEdges;
  const start = performance.now();

  const subject = await extractSubject(
    input,
    {
      featherPx: featherEdges ? 1 : 0,
      decontaminate: options.decontaminate,
      enhanceFg,
      modelPath: options.modelPath,
      modelFamily: options.modelFamily,
      hint: options.hint ?? preset.subjectHint,
      crossCheck: options.crossCheck,
      inputIs: options.inputIs,
      seeThrough: options.seeThrough,
      glass: glassOf(options),
    },
    context,
  );
  const layout = computeLayout(subject.stats.bbox, subject.rgb.width, subject.rgb.height, options, subject.config.maxPixels);
  const placed = await placeSubject(subject.foreground, subject.alpha, subject.stats.bbox, layout);
  const tPlaced = performance.now();

  const prompt = options.prompt ?? preset.prompt;
  const negativePrompt = options.negativePrompt ?? preset.negativePrompt;
  const generation = {
    ...preset.generation,
    ...(options.steps ? { steps: options.steps } : {}),
    ...(options.guidanceScale !== undefined ? { guidanceScale: options.guidanceScale } : {}),
  };
  const seed = seedFor(input, preset.generation, options.seed);
  let backdrop: RawImage;
  let backdropName: string;
  let finalPicture = false;
  let engineDetails: Record<string, string | number> | undefined;
  const backdropRequest = {
    width: layout.width,
    height: layout.height,
    prompt,
    negativePrompt,
    generation,
    seed,
    subject: placed.subject,
    alpha: placed.alpha,
    strategy: options.strategy,
    runwayModel: options.runwayModel,
    sdxl,
    context,
  };
  if (options.backgroundImage) {
    backdrop = await imageBackdrop(options.backgroundImage, layout.width, layout.height, options.backgroundFit, subject.config.maxPixels).catch(
      (error: Error) => {
        throw new EngineError('INPUT_CORRUPT', `Background image: ${error.message}`);
      },
    );
    backdropName = `image (${options.backgroundFit})`;
  } else if (options.backgroundColor) {
    backdrop = (await getEngine('studio').render({ ...backdropRequest, backdrop: { type: 'solid', color: options.backgroundColor } })).image;
    backdropName = `color ${options.backgroundColor}`;
  } else {
    const output = await engine.render({ ...backdropRequest, backdrop: preset.backdrop });
    backdrop = output.image;
    finalPicture = output.final;
    engineDetails = output.details;
    backdropName = `${engine.name}${options.strategy === engine.strategies[0] ? '' : ` (${options.strategy})`}: ${preset.preset}/${preset.promptType}`;
  }
  const tBackdrop = performance.now();

  const shadows = finalPicture ? {} : shadowSettings(options.shadow, preset.composite.shadow);
  const layers: ShadowLayer[] = [];
  if (shadows.contact) {
    const layer = await contactShadow(placed.alpha, shadows.contact);
    if (layer) layers.push(layer);
  }
  if (shadows.drop) layers.push(await dropShadow(placed.alpha, shadows.drop));
  // Colour matching reads the backdrop's light before the shadows darken it.
  const matched =
    colorMatch && !finalPicture
      ? planColorMatch(placed.subject, placed.alpha, backdrop, preset.composite.matchStrength, preset.composite.matchMaxDeltaE)
      : undefined;
  const colorShift = matched ? Math.round(matched.deltaE * 100) / 100 : 0;
  // The backdrop is this call's own (rendered, generated or decoded here): shadows and the
  // subject go straight into it, with no full-size copies.
  applyShadows(backdrop.data, layers);
  // A creative engine's picture is final: its product is the engine's own, not the photo's.
  const composed = finalPicture ? backdrop : compositeOver(placed.subject, placed.alpha, backdrop, { tables: matched?.tables, inPlace: true });
  const tCompose = performance.now();
  const data = await encodeImage(composed, { format: options.format, quality: options.quality, pngCompression: 2 });
  const tEncode = performance.now();
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    data,
    mimeType: MIME_TYPES[options.format],
    extension: FILE_EXTENSIONS[options.format],
    metadata: {
      mode: 'replace',
      engine: engine.name,
      processedAt: new Date().toISOString(),
      prompt,
      settings: { steps: generation.steps, guidanceScale: generation.guidanceScale, enhanceFg, matchColors: colorMatch && !finalPicture, featherEdges },
      preset: preset.preset,
      promptType: preset.promptType,
      negativePrompt,
      seed,
      backdrop: backdropName,
      matteSource: subject.matteSource,
      strategy: options.strategy,
      ...(engineDetails ? { engineDetails } : {}),
      seeThrough: subject.seeThrough,
      confidence: subject.confidence,
      ...(subject.hint ? { hint: subject.hint } : {}),
      ...(subject.model ? { model: { name: subject.model.name, family: subject.model.family.name, sha256: subject.model.sha256 } } : {}),
      ...(subject.device ? { device: subject.device } : {}),
      format: options.format,
      width: layout.width,
      height: layout.height,
      bbox: layout.placed,
      shadow: Object.keys(shadows),
      colorShift,
      timings: {
        decodeMs: round(subject.timings.decodeMs),
        segmentMs: round(subject.timings.segmentMs),
        inferenceMs: round(subject.timings.inferenceMs),
        matteMs: round(subject.timings.matteMs),
        backdropMs: round(tBackdrop - tPlaced),
        composeMs: round(tCompose - tBackdrop),
        encodeMs: round(tEncode - tCompose),
        totalMs: round(tEncode - start),
      },
    },
  };
}
