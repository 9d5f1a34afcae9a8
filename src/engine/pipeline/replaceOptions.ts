import { z } from 'zod';

import { type Choice, defineOptions, zodFields } from '../core/optionTable';
import { STRATEGIES, type Strategy } from '../generate/engine';
import { RUNWAY_MODELS } from '../generate/runway/protocol';
import { SCHEDULERS } from '../generate/sdxl/schedulers';
import { PLACEMENT_OPTIONS } from '../compose/placement';
import { outputFileOptions } from '../image/encode';
import { type Preset, SHADOW_MODES } from '../presets';
import { type InputKind, subjectOptionFields } from './subject';

type ShadowMode = (typeof SHADOW_MODES)[number];
type Scheduler = (typeof SCHEDULERS)[number];
type RunwayModel = (typeof RUNWAY_MODELS)[number];

/** The file Background Replace writes. */
export const REPLACE_FILE_OPTIONS = outputFileOptions({ format: 'jpeg', quality: 92 });

/** Generative engines: the preset's overrides, sampling, and each engine's own settings. */
export const GENERATION_OPTIONS = defineOptions({
  preset: {
    type: 'string',
    displayName: 'Preset',
    description: "Preset name; empty uses the item's backgroundPreset (from a Background Preset node), then MEDIA_INGEST_BACKGROUND_PRESET, then vitrinealu",
    placeholder: 'vitrinealu',
    cli: { flag: 'preset', value: 'NAME', help: 'brand preset (default: MEDIA_INGEST_BACKGROUND_PRESET, else vitrinealu)' },
  },
  promptType: {
    type: 'string',
    displayName: 'Prompt Type',
    description: "Studio, garden, minimal or lifestyle; empty uses the item's preset, then MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, then studio",
    placeholder: 'studio',
    cli: { flag: 'prompt-type', value: 'TYPE', help: "the preset's prompt type (default: MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, else studio)" },
  },
  prompt: {
    type: 'string',
    displayName: 'Prompt',
    description: "Overrides the preset's prompt (generative engines; recorded in the metadata)",
    maxLength: 1000,
    cli: { flag: 'prompt', value: 'TEXT' },
  },
  negativePrompt: {
    type: 'string',
    displayName: 'Negative Prompt',
    description: "Overrides the preset's negative prompt (generative engines)",
    maxLength: 1000,
    cli: { flag: 'negative-prompt', value: 'TEXT' },
  },
  steps: {
    type: 'number',
    displayName: 'Steps',
    description: 'For generative engines; recorded in the metadata',
    nodeDefault: 25,
    min: 1,
    max: 150,
    whole: true,
    cli: { flag: 'steps', value: 'N', help: "sampling steps (generative engines; default: the preset's)" },
  },
  guidanceScale: {
    type: 'number',
    displayName: 'Guidance Scale',
    description: 'For generative engines; recorded in the metadata',
    nodeDefault: 7.5,
    min: 0,
    max: 30,
    cli: { flag: 'guidance', value: 'N', help: "guidance scale (generative engines; default: the preset's)" },
  },
  seed: {
    type: 'number',
    displayName: 'Seed',
    description: "Fixed seed for generative engines (default: the preset's seed policy)",
    nodeDefault: 0,
    min: 0,
    max: 2 ** 32 - 1,
    whole: true,
    cli: { flag: 'seed', value: 'N' },
  },
  scheduler: {
    type: 'options',
    displayName: 'Scheduler',
    description: 'SDXL sampler (default from SDXL_SCHEDULER)',
    nodeDefault: 'euler',
    choices: {
      euler: { name: 'Euler (SDXL Default)' },
      'euler-ancestral': { name: 'Euler Ancestral' },
      'dpmpp-2m-karras': { name: 'DPM++ 2M Karras' },
    } satisfies Record<Scheduler, Choice>,
    cli: { flag: 'scheduler', help: 'SDXL sampler (default: SDXL_SCHEDULER, else euler)' },
  },
  strength: {
    type: 'number',
    displayName: 'Strength',
    description: "SDXL outpaint: 1 paints the scene from noise; lower keeps the preset's studio floor and wall as the layout",
    default: 1,
    min: 0.01,
    max: 1,
    precision: 2,
    cli: { flag: 'strength', value: 'N', help: 'SDXL outpaint: 1 paints from noise, lower keeps the studio floor and wall' },
  },
  guidanceRescale: {
    type: 'number',
    displayName: 'Guidance Rescale',
    description: 'SDXL: pulls high-guidance results back toward natural contrast (0 = off, 0.7 is common)',
    default: 0,
    min: 0,
    max: 1,
    precision: 2,
    cli: { flag: 'guidance-rescale', value: 'N' },
  },
  sdxlModelDir: {
    type: 'string',
    displayName: 'SDXL Model Directory',
    description: 'Folder of an Optimum ONNX export of SDXL (model_index.json, unet/, vae_decoder/...); empty uses SDXL_MODEL_DIR',
    placeholder: '/models/sdxl-base-onnx',
    cli: { flag: 'sdxl-model-dir', value: 'DIR', help: 'an Optimum ONNX export of SDXL (default: SDXL_MODEL_DIR)' },
  },
  runwayModel: {
    type: 'options',
    displayName: 'Runway Model',
    description: "Runway's image model",
    default: 'gen4_image',
    choices: {
      gen4_image: { name: 'Gen-4 Image', description: 'About 5 credits at 720p, 8 at 1080p' },
      gen4_image_turbo: {
        name: 'Gen-4 Image Turbo (Creative Only)',
        description: 'About 2 credits; needs the cut-out as a reference, so only with the creative strategy',
      },
    } satisfies Record<RunwayModel, Choice>,
    cli: { flag: 'runway-model' },
  },
});

/** Where the subject sits on the output, its shadow, and a backdrop given instead of the engine's. */
export const LAYOUT_OPTIONS = defineOptions({
  ...PLACEMENT_OPTIONS,
  shadow: {
    type: 'options',
    displayName: 'Shadow',
    description: "Shadow drawn from the subject's alpha under it",
    default: 'preset',
    choices: {
      preset: { name: 'From Preset' },
      none: { name: 'None' },
      contact: { name: 'Contact' },
      drop: { name: 'Drop' },
      both: { name: 'Contact and Drop' },
      soft: { name: 'Soft (Look)', description: 'Overcast studio: a wide pale contact shadow and a faint one straight down' },
      hard: { name: 'Hard (Look)', description: 'Spot light from the upper left: a tight dark contact shadow and a crisp one falling down and right' },
      floating: { name: 'Floating (Look)', description: 'The product lifted off the floor: a soft pool a little below it' },
    } satisfies Record<ShadowMode, Choice>,
    cli: { flag: 'shadow' },
  },
  shadowAngle: {
    type: 'number',
    displayName: 'Shadow Angle (Degrees)',
    description: 'Where the drop shadow falls, clockwise from the right: 90 straight down, 45 down and right, 135 down and left',
    nodeDefault: 45,
    min: -360,
    max: 360,
    cli: { flag: 'shadow-angle', value: 'DEG' },
  },
  shadowDistance: {
    type: 'number',
    displayName: 'Shadow Distance (%)',
    description: "How far the drop shadow falls from the subject, in percent of the subject's height",
    nodeDefault: 5,
    min: 0,
    max: 200,
    cli: { flag: 'shadow-distance', value: 'N' },
  },
  shadowSoftness: {
    type: 'number',
    displayName: 'Shadow Softness (Px)',
    description: 'Blur of every shadow drawn, in pixels (0: a hard edge)',
    nodeDefault: 12,
    min: 0,
    max: 200,
    cli: { flag: 'shadow-softness', value: 'PX' },
  },
  shadowIntensity: {
    type: 'number',
    displayName: 'Shadow Intensity',
    description: 'Opacity of every shadow drawn, 0 (none) to 1 (black)',
    nodeDefault: 0.3,
    min: 0,
    max: 1,
    precision: 2,
    cli: { flag: 'shadow-intensity', value: 'N' },
  },
  backgroundColor: {
    type: 'color',
    displayName: 'Background Color',
    description: "A flat colour instead of the engine's backdrop",
    cli: { flag: 'color', value: 'HEX' },
  },
  backgroundFit: {
    type: 'options',
    displayName: 'Background Image Fit',
    description: 'How the backdrop image fills the output',
    default: 'cover',
    choices: { cover: { name: 'Cover' }, contain: { name: 'Contain' } },
    cli: { flag: 'fit', help: 'how a --background image fills the output' },
  },
});

/** How the subject is cut out and blended; the booleans without a default take the preset's. */
export const BLEND_OPTIONS = defineOptions({
  inputIs: {
    type: 'options',
    displayName: 'Input Is',
    description: 'Whether the input is a finished cut-out or a photo to segment',
    default: 'auto',
    choices: {
      auto: { name: 'Auto', description: 'A cut-out (part of it fully transparent, an opaque subject) keeps its alpha; anything else is segmented' },
      cutout: { name: 'Cut-Out', description: "Always use the image's alpha as the subject's (from Background Cleanup)" },
      photo: { name: 'Photo', description: 'Always segment, whatever alpha the image has' },
    } satisfies Record<InputKind, Choice>,
    cli: { flag: 'input', help: "a cut-out's alpha is kept (auto: only when it is one) or the photo segmented" },
  },
  decontaminate: {
    type: 'boolean',
    displayName: 'Decontaminate Edges',
    description: "Whether to remove the old background's colour from soft edges",
    default: true,
    cli: { flag: 'decontaminate', negatable: true, help: "remove the old background's colour from soft edges" },
  },
  enhanceFg: {
    type: 'boolean',
    displayName: 'Enhance Foreground',
    description: 'Whether to apply the mild, bounded enhancement (default from the preset)',
    nodeDefault: true,
    cli: { flag: 'enhance', negatable: true, help: "the mild, bounded enhancement (default: the preset's)" },
  },
  featherEdges: {
    type: 'boolean',
    displayName: 'Feather Edges',
    description: 'Whether to soften the edge by about 1 px (default from the preset)',
    nodeDefault: true,
    cli: { flag: 'feather', negatable: true, help: "soften the edge by about 1 px (default: the preset's)" },
  },
  matchColors: {
    type: 'boolean',
    displayName: 'Match Colors',
    description: "Whether to move the subject's colours a bounded amount toward the backdrop's light (default from the preset)",
    nodeDefault: true,
    cli: { flag: 'match-colors', negatable: true, help: "move the subject's colours toward the backdrop's light (default: the preset's)" },
  },
});

export const replaceOptionsSchema = z
  .object({
    engine: z.string().default('studio'),
    /** How the engine makes the scene (see generate/engine.ts); unset = the engine's first (studio, runway: backdrop; sdxl: outpaint). */
    strategy: z.enum(STRATEGIES as unknown as [Strategy, ...Strategy[]]).optional(),
    /** Extra presets (already validated), e.g. from the Background Preset node or a file. */
    customPresets: z.array(z.custom<Preset>()).optional(),
    /** A preset resolved upstream (Background Preset's json.backgroundPreset): used when preset and promptType are empty (choosePreset). */
    upstreamPreset: z.unknown().optional(),
    /** Overrides the engine's backdrop with an image (any format the decoder reads). */
    backgroundImage: z.instanceof(Buffer).optional(),
    ...zodFields(GENERATION_OPTIONS),
    ...zodFields(LAYOUT_OPTIONS),
    ...zodFields(BLEND_OPTIONS),
    ...zodFields(REPLACE_FILE_OPTIONS),
    ...subjectOptionFields,
  })
  .strict();

export type ReplaceOptionsInput = z.input<typeof replaceOptionsSchema>;
export type ReplaceOptions = z.output<typeof replaceOptionsSchema> & { strategy: Strategy };
