import { z } from 'zod';

import { subjectHintSchema } from '../segment/hint';
import { SHADOW_LOOKS } from './policy';

/**
 * Brand presets: what a Background Replace run needs besides the photo. Validated with zod
 * so a custom preset (node parameter, file, env) fails with the path of the bad field.
 */
const hex = z.string().regex(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i, 'must be a hex colour like #f4f1ec');
const unit = z.number().min(0).max(1);

export const backdropSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('solid'), color: hex }).strict(),
  z
    .object({
      type: z.literal('sweep'),
      /** Wall colour at the top and just above the horizon. */
      top: hex,
      bottom: hex,
      /** The floor below the horizon, with a soft transition. */
      floor: z.object({ color: hex, horizon: unit.default(0.72), softness: unit.default(0.08) }).strict(),
      /** 0 = none, 1 = corners go black. */
      vignette: unit.default(0.15),
    })
    .strict(),
]);
export type Backdrop = z.infer<typeof backdropSchema>;

/**
 * Shadows drawn from the subject's alpha. Contact: a flat soft ellipse on the floor line
 * (`gap`: moved that share of the subject's height below it, the subject floats). Drop: the
 * silhouette offset by offsetX / offsetY px, or, with `angle` and `distance`, that share of
 * the subject's height in that direction (degrees clockwise from the right: 90 falls straight
 * down, 45 down and to the right).
 */
export const shadowSchema = z
  .object({
    contact: z
      .object({ opacity: unit.default(0.45), blur: z.number().min(0).max(200).default(6), spread: unit.default(0.06), gap: unit.optional() })
      .strict()
      .optional(),
    drop: z
      .object({
        opacity: unit.default(0.25),
        blur: z.number().min(0).max(200).default(18),
        offsetX: z.number().min(-2000).max(2000).default(12),
        offsetY: z.number().min(-2000).max(2000).default(12),
        angle: z.number().min(-360).max(360).optional(),
        distance: z.number().min(0).max(2).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ShadowSettings = z.infer<typeof shadowSchema>;

export const compositeSettingsSchema = z
  .object({
    enhanceFg: z.boolean().default(true),
    matchColors: z.boolean().default(false),
    /** Strength of the colour match (0..1) and its bound: the most the subject's mean may move, in Lab delta E. */
    matchStrength: unit.default(0.35),
    matchMaxDeltaE: z.number().min(0).max(30).default(6),
    featherEdges: z.boolean().default(true),
    /** The shadows, or one of the named looks (soft, hard, floating: presets/policy.ts). */
    shadow: z.union([z.enum(['soft', 'hard', 'floating']).transform((look) => SHADOW_LOOKS[look]), shadowSchema]).default({ contact: {} }),
  })
  .strict();
export type CompositeSettings = z.infer<typeof compositeSettingsSchema>;

export const generationSettingsSchema = z
  .object({
    steps: z.number().int().min(1).max(150).default(25),
    guidanceScale: z.number().min(0).max(30).default(7.5),
    /** fixed: always `seed`; per-image: seed derived from the photo's content; random: new each run. */
    seedPolicy: z.enum(['fixed', 'per-image', 'random']).default('per-image'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42),
  })
  .strict();
export type GenerationSettings = z.infer<typeof generationSettingsSchema>;

export const promptTypeSchema = z
  .object({
    prompt: z.string().min(1).max(1000),
    backdrop: backdropSchema,
  })
  .strict();

export const presetSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _'),
    description: z.string().optional(),
    negativePrompt: z.string().max(1000).default(''),
    generation: generationSettingsSchema.default({}),
    composite: compositeSettingsSchema.default({}),
    /** A fixed studio framing: where the product always is (see hint.ts); a node's or item's hint wins. */
    subjectHint: subjectHintSchema.optional(),
    promptTypes: z
      .record(z.string().regex(/^[a-z0-9_-]+$/i), promptTypeSchema)
      .refine((types) => Object.keys(types).length > 0, 'needs at least one prompt type'),
  })
  .strict();
export type Preset = z.infer<typeof presetSchema>;
export type PresetInput = z.input<typeof presetSchema>;
