import { createHash } from 'node:crypto';

import { EngineError } from '../core/errors';
import type { BackgroundResult, Review } from '../core/result';
import { zodIssue } from '../core/validation';
import type { ResolvedPreset } from '../presets';
import type { JsonEdit } from './jsonText';
import { type BackgroundBlock, backgroundBlockSchema, type Sidecar } from './schema';

/**
 * The rules of a sidecar's record, apart from how it is read and written (store.ts): what
 * decides a background result (the processing key), whether a source was already processed
 * with a plan, the `background` block made from a result, and the cut-out score and review
 * reasons recorded with it.
 */

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The settings that decide a replace's output, in the order the processing key hashes them. */
const DECIDING_SETTINGS = ['steps', 'guidanceScale', 'enhanceFg', 'matchColors', 'featherEdges'] as const;
type DecidingSettings = { steps?: number; guidanceScale?: number; enhanceFg?: boolean; matchColors?: boolean; featherEdges?: boolean };

/** What decides a background result: same source bytes + same key = same output. */
export interface ProcessingPlan {
  mode: 'cleanup' | 'replace';
  engine: string;
  cleanupMode?: string;
  preset?: string;
  promptType?: string;
  prompt?: string;
  settings?: DecidingSettings;
}

export function processingKey(plan: ProcessingPlan): string {
  const canonical =
    plan.mode === 'cleanup'
      ? { mode: 'cleanup', cleanupMode: plan.cleanupMode ?? 'transparent' }
      : {
          mode: 'replace',
          engine: plan.engine.toLowerCase(),
          preset: plan.preset,
          promptType: plan.promptType,
          prompt: plan.prompt,
          settings: Object.fromEntries(DECIDING_SETTINGS.map((name) => [name, plan.settings?.[name]])),
        };
  return sha256(JSON.stringify(canonical));
}

/** The plan a Replace with this preset and engine (or a Cleanup in this mode) would follow. */
export function plannedProcessing(mode: 'cleanup' | 'replace', engine: string, preset?: ResolvedPreset, cleanupMode?: string): ProcessingPlan {
  if (mode === 'cleanup') return { mode, engine: 'onnx', cleanupMode };
  if (!preset)
    throw new EngineError(
      'INVALID_OPTION',
      "The already-processed check for replace needs the item's backgroundPreset (put a Background Preset node before it)",
    );
  return {
    mode,
    engine,
    preset: preset.preset,
    promptType: preset.promptType,
    prompt: preset.prompt,
    settings: { ...pick(preset.generation, ['steps', 'guidanceScale']), ...pick(preset.composite, ['enhanceFg', 'matchColors', 'featherEdges']) },
  };
}

/** The named keys of an object, in that order. */
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, from[key]])) as Pick<T, K>;
}

export function sourceSha256(image: Buffer): string {
  return sha256(image);
}

/** True when the sidecar already records this source processed with this plan. */
export function alreadyProcessed(sidecar: Sidecar, source: string, plan: ProcessingPlan): boolean {
  const recorded = sidecar.background;
  return !!recorded && recorded.sourceSha256 === source && recorded.processingKey === processingKey(plan);
}

/**
 * The old background service's background block from a Background Cleanup / Replace result (its metadata in the
 * item JSON), with the source hash and processing key for later re-runs.
 */
export function backgroundBlockFrom(result: BackgroundResult, source?: string, outputPath?: string): BackgroundBlock {
  const settings =
    result.mode === 'replace' ? result.settings : { enhanceFg: result.settings.enhanceFg, matchColors: false, featherEdges: result.settings.featherEdges };
  const plan: ProcessingPlan =
    result.mode === 'cleanup'
      ? { mode: 'cleanup', engine: 'onnx', cleanupMode: result.cleanupMode }
      : { mode: 'replace', engine: result.engine ?? 'studio', preset: result.preset, promptType: result.promptType, prompt: result.prompt, settings };
  const block = {
    mode: result.mode,
    engine: result.engine ?? (result.mode === 'cleanup' ? 'onnx' : 'studio'),
    // outJpg: the old background service's name for where the result was written (whatever the format), else its file name.
    ...(outputPath || result.outJpg || result.fileName ? { outJpg: outputPath || result.outJpg || result.fileName } : {}),
    processedAt: result.processedAt ?? new Date().toISOString(),
    ...(result.mode === 'replace' ? { prompt: result.prompt } : {}),
    settings,
    ...(result.mode === 'replace' ? { preset: result.preset, promptType: result.promptType } : { cleanupMode: result.cleanupMode }),
    ...(source ? { sourceSha256: source } : {}),
    processingKey: processingKey(plan),
  };
  const parsed = backgroundBlockSchema.safeParse(block);
  if (!parsed.success) throw new EngineError('SIDECAR_INVALID', `The background result cannot be recorded: ${zodIssue(parsed.error)}`);
  return parsed.data;
}

/**
 * The cut-out's confidence for the sidecar: `scores.cutout`, and the review reasons (prefixed
 * "cutout review:") appended to `decisions.reasons` when the item was routed for review and
 * the list does not have them yet. Other scores and reasons stay byte for byte.
 */
export function cutoutEdits(sidecar: Sidecar, metadata: CutoutScored, review?: Pick<Review, 'reasons'>): JsonEdit[] {
  const edits: JsonEdit[] = [];
  const score = metadata.confidence?.score;
  if (score !== undefined) edits.push([['scores', 'cutout'], score]);
  const added = reviewReasons(sidecar, review);
  if (added.length > 0) edits.push([['decisions', 'reasons'], added, 'append']);
  return edits;
}

/** The review's reasons as the sidecar words them, less those it already lists. */
function reviewReasons(sidecar: Sidecar, review?: Pick<Review, 'reasons'>): string[] {
  const listed = new Set(sidecar.decisions?.reasons ?? []);
  return [...new Set((review?.reasons ?? []).map((reason) => `cutout review: ${reason}`))].filter((reason) => !listed.has(reason));
}

/** What the sidecar's cut-out score is taken from: a background result, or anything with its confidence. */
export type CutoutScored = { confidence?: Pick<NonNullable<BackgroundResult['confidence']>, 'score'> };

export function cutoutDecisions(sidecar: Sidecar, metadata: CutoutScored, review?: Pick<Review, 'reasons'>): Pick<Sidecar, 'scores' | 'decisions'> {
  const out: Pick<Sidecar, 'scores' | 'decisions'> = {};
  const score = metadata.confidence?.score;
  if (score !== undefined) out.scores = { ...(sidecar.scores ?? {}), cutout: score };
  const added = reviewReasons(sidecar, review);
  if (added.length > 0) out.decisions = { ...(sidecar.decisions ?? {}), reasons: [...(sidecar.decisions?.reasons ?? []), ...added] };
  return out;
}
