import { z } from 'zod';

/**
 * Runway's public API as documented (https://docs.dev.runwayml.com, version 2024-11-06):
 * what we send to POST /v1/text_to_image and the shapes we accept back. Everything read
 * from the network goes through these schemas.
 */
export const RUNWAY_DEFAULT_BASE_URL = 'https://api.dev.runwayml.com';
export const RUNWAY_DEFAULT_API_VERSION = '2024-11-06';

export const RUNWAY_MODELS = ['gen4_image', 'gen4_image_turbo'] as const;
export type RunwayModel = (typeof RUNWAY_MODELS)[number];

/** The output ratios text_to_image accepts (width:height in pixels). */
export const RUNWAY_RATIOS = [
  '1920:1080',
  '1080:1920',
  '1024:1024',
  '1360:768',
  '1080:1080',
  '1168:880',
  '1440:1080',
  '1080:1440',
  '1808:768',
  '2112:912',
  '1280:720',
  '720:1280',
  '720:720',
  '960:720',
  '720:960',
  '1680:720',
] as const;
export type RunwayRatio = (typeof RUNWAY_RATIOS)[number];

export const MAX_PROMPT_CHARS = 1000;
export const MAX_REFERENCE_IMAGES = 3;
export const MAX_DATA_URI_BYTES = 5 * 1024 * 1024;
export const REFERENCE_TAG = /^[A-Za-z][A-Za-z0-9_]{2,15}$/;

export const textToImageRequestSchema = z
  .object({
    model: z.enum(RUNWAY_MODELS),
    promptText: z.string().min(1).max(MAX_PROMPT_CHARS),
    ratio: z.enum(RUNWAY_RATIOS),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    referenceImages: z
      .array(
        z.object({
          uri: z
            .string()
            .refine(
              (uri) => uri.startsWith('https://') || (uri.startsWith('data:image/') && uri.length <= MAX_DATA_URI_BYTES),
              'must be an https URL or an image data URI of at most 5 MB',
            ),
          tag: z.string().regex(REFERENCE_TAG, '3-16 letters, digits or _, starting with a letter').optional(),
        }),
      )
      .max(MAX_REFERENCE_IMAGES)
      .optional(),
    contentModeration: z.object({ publicFigureThreshold: z.enum(['auto', 'low']).optional() }).optional(),
  })
  .strict()
  .refine((body) => body.model !== 'gen4_image_turbo' || (body.referenceImages?.length ?? 0) >= 1, {
    message: 'gen4_image_turbo needs 1 to 3 reference images',
    path: ['referenceImages'],
  });
export type TextToImageRequest = z.infer<typeof textToImageRequestSchema>;

export const createTaskResponseSchema = z.object({ id: z.string().min(1) }).passthrough();

export const TASK_STATUSES = ['PENDING', 'THROTTLED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const taskSchema = z
  .object({
    id: z.string(),
    status: z.enum(TASK_STATUSES),
    progress: z.number().optional().nullable(),
    output: z.array(z.string()).optional().nullable(),
    failure: z.string().optional().nullable(),
    failureCode: z.string().optional().nullable(),
  })
  .passthrough();
export type RunwayTask = z.infer<typeof taskSchema>;

export const organizationSchema = z.object({ creditBalance: z.number() }).passthrough();
export type RunwayOrganization = z.infer<typeof organizationSchema>;

/** The accepted ratio closest to an aspect (compared on a log scale: 2:1 is as far from 1:1 as 1:2). */
export function nearestRatio(width: number, height: number): RunwayRatio {
  const target = Math.log(width / height);
  let best: RunwayRatio = RUNWAY_RATIOS[0];
  let bestDistance = Infinity;
  for (const ratio of RUNWAY_RATIOS) {
    const [w, h] = ratio.split(':').map(Number);
    const distance = Math.abs(Math.log(w / h) - target);
    // Ties (1024:1024 vs 1080:1080) go to the larger output.
    if (distance < bestDistance - 1e-9 || (Math.abs(distance - bestDistance) < 1e-9 && w * h > Number(best.split(':')[0]) * Number(best.split(':')[1]))) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}
