import { z } from 'zod';

import { EngineError } from './errors';
import { zodIssue } from './validation';

/**
 * The background result as it crosses node boundaries: what Background Cleanup and Replace
 * put in `json.background`, and what Media Sidecar, the confidence routing and the weekly
 * template read back. The pipelines' metadata types must satisfy it (checked by the compiler
 * where they are declared); a workflow may also build one itself (the old background service's media-record
 * fields: mode, engine, processedAt, prompt, settings, outJpg). Only the fields readers rely on
 * are listed; parsing keeps those (the item itself is passed on unchanged).
 */
const boxSchema = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1) });

export const cutoutConfidenceSchema = z.object({
  score: z.number().min(0).max(1),
  reasons: z.array(z.string()),
  features: z.record(z.number()).optional(),
});

const common = {
  /** Missing in a hand-made result: onnx for a cleanup, studio for a replace (as the old background service's batch). */
  engine: z.string().min(1).optional(),
  /** Missing in a hand-made result: the time it is recorded. */
  processedAt: z.string().datetime({ offset: true }).optional(),
  /** The result file's name (set by the node). */
  fileName: z.string().min(1).optional(),
  /** Where the result was written (the old background service's name), when a workflow set it itself. */
  outJpg: z.string().min(1).optional(),
  format: z.string().min(1).optional(),
  width: z.number().int().min(1).optional(),
  height: z.number().int().min(1).optional(),
  bbox: boxSchema.optional(),
  /** Missing only in results made elsewhere (then the sidecar gets no scores.cutout). */
  confidence: cutoutConfidenceSchema.optional(),
};

export const cleanupResultSchema = z.object({
  mode: z.literal('cleanup'),
  cleanupMode: z.string().min(1),
  settings: z.object({ featherEdges: z.boolean(), featherPx: z.number().min(0).optional(), decontaminate: z.boolean().optional(), enhanceFg: z.boolean() }),
  ...common,
});

export const replaceResultSchema = z.object({
  mode: z.literal('replace'),
  preset: z.string().min(1),
  promptType: z.string().min(1),
  prompt: z.string(),
  settings: z.object({
    steps: z.number().int().min(1).optional(),
    guidanceScale: z.number().min(0).optional(),
    enhanceFg: z.boolean(),
    matchColors: z.boolean(),
    featherEdges: z.boolean(),
  }),
  ...common,
});

export const backgroundResultSchema = z.discriminatedUnion('mode', [cleanupResultSchema, replaceResultSchema]);
export type CleanupResultContract = z.input<typeof cleanupResultSchema>;
export type ReplaceResultContract = z.input<typeof replaceResultSchema>;
export type BackgroundResult = z.output<typeof backgroundResultSchema>;

/** A compile-time check: T is assignable to the contract U (the pipelines declare one beside their metadata). */
export type Satisfies<T extends U, U> = T;

/** The routing's verdict on an item (json.review), read back by Media Sidecar's Update. */
export const reviewSchema = z.object({ score: z.number(), threshold: z.number(), reasons: z.array(z.string()) });
export type Review = z.output<typeof reviewSchema>;

/** json.background from another node's item, checked field by field. */
export function parseBackgroundResult(input: unknown, source = 'json.background'): BackgroundResult {
  if (input === undefined || input === null) {
    throw new EngineError('INVALID_OPTION', `No ${source} on the item: connect Background Cleanup or Replace before this node`);
  }
  const parsed = backgroundResultSchema.safeParse(input);
  if (!parsed.success) throw new EngineError('INVALID_OPTION', `${source} is not a Background Cleanup / Replace result: ${zodIssue(parsed.error)}`);
  return parsed.data;
}

/** json.review (set by Route by Confidence), when there is one. */
export function parseReview(input: unknown, source = 'json.review'): Review | undefined {
  if (input === undefined || input === null) return undefined;
  const parsed = reviewSchema.safeParse(input);
  if (!parsed.success) throw new EngineError('INVALID_OPTION', `${source}: ${zodIssue(parsed.error)}`);
  return parsed.data;
}
