import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { EngineError, errorMessage } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import type { ResolvedPreset } from '../presets';
import { type BackgroundBlock, backgroundBlockSchema, type Sidecar, sidecarSchema } from './schema';

/**
 * Sidecar files on disk, confined to one root folder. Reads return the file's version (the
 * sha256 of its bytes); a write can demand that the file still has that version, so an
 * edit made by someone else between our read and our write is refused instead of lost.
 * Writes are atomic (temporary file + rename in the same folder).
 */
export interface SidecarFile {
  /** Absolute path inside the root. */
  path: string;
  sidecar: Sidecar;
  /** sha256 of the bytes read; undefined when the file does not exist yet. */
  version?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function zodMessage(issues: Array<{ path: Array<string | number>; message: string }>): string {
  const issue = issues[0];
  return `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`;
}

/**
 * The absolute path of `relative` inside `root`, refusing `..` escapes, absolute paths
 * elsewhere and symlinks (anywhere on the way) that lead out of the root.
 */
export async function resolveInRoot(root: string, relative: string): Promise<string> {
  if (!root) throw new EngineError('PATH_NOT_ALLOWED', 'No sidecar root folder is configured');
  if (!relative || relative.includes('\0')) throw new EngineError('PATH_NOT_ALLOWED', 'The sidecar path is empty');
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    throw new EngineError('PATH_NOT_ALLOWED', `The sidecar root folder ${root} does not exist`);
  }
  const target = path.resolve(realRoot, relative);
  const inside = (candidate: string) => candidate === realRoot || candidate.startsWith(realRoot + path.sep);
  if (!inside(target)) throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} leaves the root folder ${root}`);
  // The deepest part of the path that exists must really (after symlinks) be inside the root.
  let existing = target;
  for (;;) {
    try {
      const real = await fs.realpath(existing);
      if (!inside(real)) throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} goes through a link that leaves the root folder ${root}`);
      break;
    } catch (error) {
      if (error instanceof EngineError) throw error;
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  return target;
}

export async function readSidecar(root: string, relative: string, options: { missingOk?: boolean } = {}): Promise<SidecarFile> {
  const file = await resolveInRoot(root, relative);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.missingOk) return { path: file, sidecar: {} };
      throw new EngineError('SIDECAR_NOT_FOUND', `Sidecar ${relative} does not exist`);
    }
    throw new EngineError('SIDECAR_NOT_FOUND', `Sidecar ${relative} cannot be read: ${errorMessage(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new EngineError('SIDECAR_INVALID', `Sidecar ${relative} is not valid JSON: ${errorMessage(error)}`);
  }
  return { path: file, sidecar: parseSidecar(json, `Sidecar ${relative}`), version: sha256(bytes) };
}

export function parseSidecar(json: unknown, what: string): Sidecar {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new EngineError('SIDECAR_INVALID', `${what} must be a JSON object`);
  const parsed = sidecarSchema.safeParse(json);
  if (!parsed.success) throw new EngineError('SIDECAR_INVALID', `${what} has a bad field: ${zodMessage(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * Writes a sidecar atomically. With `expectedVersion` the file must still hold the bytes it
 * held when read (null: must not exist yet); otherwise nothing is written.
 */
export async function writeSidecar(root: string, relative: string, sidecar: Sidecar, options: { expectedVersion?: string | null } = {}): Promise<SidecarFile> {
  const file = await resolveInRoot(root, relative);
  const valid = parseSidecar(sidecar, `The new sidecar for ${relative}`);
  const text = `${JSON.stringify(valid, null, 2)}\n`;
  let current: Buffer | undefined;
  try {
    current = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new EngineError('WRITE_FAILED', `Sidecar ${relative} cannot be read before writing: ${errorMessage(error)}`);
  }
  if (options.expectedVersion !== undefined) {
    const now = current ? sha256(current) : null;
    if (now !== options.expectedVersion) {
      throw new EngineError('SIDECAR_CONFLICT', `Sidecar ${relative} changed on disk since it was read; not overwritten (run the item again to merge with the new content)`);
    }
  }
  if (current) {
    // Replacing a read-only file by rename would succeed (and root ignores permissions), so a
    // sidecar with every write bit off is treated as "do not touch", whoever runs n8n.
    const stat = await fs.stat(file);
    const writable = (stat.mode & 0o222) !== 0 && (await fs.access(file, fs.constants.W_OK).then(() => true, () => false));
    if (!writable) throw new EngineError('WRITE_FAILED', `Sidecar ${relative} is read-only; not overwritten`);
  }
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, text);
  } catch (error) {
    throw new EngineError('WRITE_FAILED', `Sidecar ${relative} could not be written: ${errorMessage(error)}`);
  }
  return { path: file, sidecar: valid, version: sha256(text) };
}

/** What decides a background result: same source bytes + same key = same output. */
export interface ProcessingPlan {
  mode: 'cleanup' | 'replace';
  engine: string;
  cleanupMode?: string;
  preset?: string;
  promptType?: string;
  prompt?: string;
  settings?: { steps?: number; guidanceScale?: number; enhanceFg?: boolean; matchColors?: boolean; featherEdges?: boolean };
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
          settings: {
            steps: plan.settings?.steps,
            guidanceScale: plan.settings?.guidanceScale,
            enhanceFg: plan.settings?.enhanceFg,
            matchColors: plan.settings?.matchColors,
            featherEdges: plan.settings?.featherEdges,
          },
        };
  return sha256(JSON.stringify(canonical));
}

/** The plan a Replace with this preset and engine (or a Cleanup in this mode) would follow. */
export function plannedProcessing(mode: 'cleanup' | 'replace', engine: string, preset?: ResolvedPreset, cleanupMode?: string): ProcessingPlan {
  if (mode === 'cleanup') return { mode, engine: 'onnx', cleanupMode };
  if (!preset) throw new EngineError('INVALID_OPTION', 'The already-processed check for replace needs the item\'s backgroundPreset (put a Background Preset node before it)');
  return {
    mode,
    engine,
    preset: preset.preset,
    promptType: preset.promptType,
    prompt: preset.prompt,
    settings: { steps: preset.generation.steps, guidanceScale: preset.generation.guidanceScale, enhanceFg: preset.composite.enhanceFg, matchColors: preset.composite.matchColors, featherEdges: preset.composite.featherEdges },
  };
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
 * The seed's background block from a Background Cleanup / Replace result (its metadata in the
 * item JSON), with the source hash and processing key for later re-runs.
 */
export function backgroundBlockFrom(metadata: Record<string, unknown>, source?: string, outputPath?: string): BackgroundBlock {
  const mode = metadata.mode;
  if (mode !== 'cleanup' && mode !== 'replace') {
    throw new EngineError('INVALID_OPTION', 'The item has no background result (json.background.mode is neither cleanup nor replace): connect Background Cleanup or Replace before the update');
  }
  const settings = (metadata.settings ?? {}) as NonNullable<ProcessingPlan['settings']>;
  const plan: ProcessingPlan =
    mode === 'cleanup'
      ? { mode, engine: 'onnx', cleanupMode: String(metadata.cleanupMode ?? 'transparent') }
      : { mode, engine: String(metadata.engine), preset: metadata.preset as string, promptType: metadata.promptType as string, prompt: metadata.prompt as string, settings };
  const block = {
    mode,
    engine: String(metadata.engine ?? (mode === 'cleanup' ? 'onnx' : 'studio')),
    // outJpg: where the result was written (the seed's name, whatever the format), else its file name.
    ...(outputPath || typeof (metadata.outJpg ?? metadata.fileName) === 'string' ? { outJpg: outputPath || String(metadata.outJpg ?? metadata.fileName) } : {}),
    processedAt: typeof metadata.processedAt === 'string' ? metadata.processedAt : new Date().toISOString(),
    ...(typeof metadata.prompt === 'string' ? { prompt: metadata.prompt } : {}),
    settings: {
      ...(settings.steps !== undefined ? { steps: settings.steps } : {}),
      ...(settings.guidanceScale !== undefined ? { guidanceScale: settings.guidanceScale } : {}),
      enhanceFg: !!settings.enhanceFg,
      matchColors: !!settings.matchColors,
      featherEdges: !!settings.featherEdges,
    },
    ...(mode === 'replace' ? { preset: metadata.preset, promptType: metadata.promptType } : { cleanupMode: metadata.cleanupMode }),
    ...(source ? { sourceSha256: source } : {}),
    processingKey: processingKey(plan),
  };
  const parsed = backgroundBlockSchema.safeParse(block);
  if (!parsed.success) throw new EngineError('SIDECAR_INVALID', `The background result cannot be recorded: ${zodMessage(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * The cut-out's confidence for the sidecar: `scores.cutout`, and the review reasons joined
 * to `decisions.reasons` (prefixed "cutout review:") when the item was routed for review.
 * Other scores and reasons are kept.
 */
export function cutoutDecisions(sidecar: Sidecar, metadata: Record<string, unknown>, review?: unknown): Pick<Sidecar, 'scores' | 'decisions'> {
  const out: Pick<Sidecar, 'scores' | 'decisions'> = {};
  const score = (metadata.confidence as { score?: unknown } | undefined)?.score;
  if (typeof score === 'number') out.scores = { ...(sidecar.scores ?? {}), cutout: score };
  const reasons = (review as { reasons?: unknown } | undefined)?.reasons;
  if (Array.isArray(reasons) && reasons.length > 0) {
    const added = reasons.filter((reason): reason is string => typeof reason === 'string').map((reason) => `cutout review: ${reason}`);
    out.decisions = { ...(sidecar.decisions ?? {}), reasons: [...new Set([...(sidecar.decisions?.reasons ?? []), ...added])] };
  }
  return out;
}
