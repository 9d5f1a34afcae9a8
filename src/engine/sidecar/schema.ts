import { z } from 'zod';

/**
 * The media-ingest sidecar JSON (the old background service's format). Known fields are typed; anything else
 * is kept as it is (passthrough), because other tools in the pipeline own those fields.
 */
export const backgroundSettingsSchema = z
  .object({
    steps: z.number().int().min(1).optional(),
    guidanceScale: z.number().min(0).optional(),
    enhanceFg: z.boolean().optional(),
    matchColors: z.boolean().optional(),
    featherEdges: z.boolean().optional(),
  })
  .passthrough();

export const backgroundBlockSchema = z
  .object({
    mode: z.enum(['cleanup', 'replace']),
    engine: z.string().min(1),
    outJpg: z.string().optional(),
    processedAt: z.string().datetime({ offset: true }),
    prompt: z.string().optional(),
    settings: backgroundSettingsSchema.optional(),
    /** sha256 of the source image this block was made from (for the already-processed check). */
    sourceSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** sha256 of the settings that matter for the result (see processingKey). */
    processingKey: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .passthrough();
export type BackgroundBlock = z.infer<typeof backgroundBlockSchema>;

export const sidecarSchema = z
  .object({
    source: z.string().optional(),
    original_path: z.string().optional(),
    output_path: z.string().optional(),
    processed_at: z.string().optional(),
    scores: z
      .object({ aesthetic: z.number(), sharpness: z.number(), cutout: z.number().min(0).max(1) })
      .partial()
      .passthrough()
      .optional(),
    decisions: z
      .object({ kept: z.boolean(), reasons: z.array(z.string()) })
      .partial()
      .passthrough()
      .optional(),
    enhancement: z.object({ backend: z.string(), scale: z.number() }).partial().passthrough().optional(),
    background: backgroundBlockSchema.optional(),
    faces_blurred: z.boolean().optional(),
    watermark: z.string().nullable().optional(),
    brand: z.string().optional(),
  })
  .passthrough();
export type Sidecar = z.infer<typeof sidecarSchema>;
