/**
 * The framework-free engine: usable as a plain library, by the n8n nodes and by the CLI,
 * which import only this file. Nothing here imports n8n. Layers, top to bottom: pipeline ->
 * the concern folders (generate, compose, sidecar, presets, matte, segment, image, runtime)
 * -> core (docs/ARCHITECTURE.md; checked by scripts/check-structure.mjs).
 */

// The photo's path: cut-out, replacement, the worker's health.
export { CLEANUP_MODES, CLEANUP_OPTIONS, cleanupImage, cleanupOptionsSchema, parseCleanupOptions } from './pipeline/cleanup';
export { SUBJECT_OPTIONS } from './pipeline/subject';
export type { Choice, CliFlag, OptionSpec, OptionTable } from './core/optionTable';
export type { CleanupMetadata, CleanupOptions, CleanupOptionsInput, CleanupResult } from './pipeline/cleanup';
export { replaceBackground } from './pipeline/replace';
export type { ReplaceMetadata, ReplaceResult } from './pipeline/replace';
export { BLEND_OPTIONS, GENERATION_OPTIONS, LAYOUT_OPTIONS, REPLACE_FILE_OPTIONS, replaceOptionsSchema } from './pipeline/replaceOptions';
export type { ReplaceOptionsInput } from './pipeline/replaceOptions';
export { health } from './pipeline/health';
export type { HealthReport } from './pipeline/health';
export type { EngineContext, RunwayConnection } from './core/context';
export { backgroundResultSchema, cleanupResultSchema, parseBackgroundResult, parseReview, replaceResultSchema, reviewSchema } from './core/result';
export type { BackgroundResult, Review } from './core/result';

// Core: settings, errors, files.
export { readEngineConfig, RUNTIME_CHOICES, SCHEDULERS } from './core/config';
export type { Device, EngineConfig, RuntimeChoice, SchedulerName } from './core/config';
export { EngineError, errorMessage, isEngineError } from './core/errors';
export type { EngineErrorCode } from './core/errors';
export { writeFileAtomic } from './core/atomicWrite';

// Concerns a caller configures or reads.
export type { CleanupMode } from './compose/cutout';
export { decodeImage } from './image/decode';
export { encodeImage } from './image/encode';
export { closeSdxlRunner } from './generate/sdxl/runner';
export {
  availablePresets,
  choosePreset,
  listPresets,
  loadPresetFile,
  parsePreset,
  parsePresetList,
  parseResolvedPreset,
  resolvedPresetSchema,
  resolvePreset,
} from './presets';
export type { Preset, ResolvedPreset } from './presets';
export { MODEL_FAMILIES } from './segment/families';
export { parseSubjectHint, subjectHintSchema } from './segment/hint';
export type { SubjectHint, SubjectHintInput } from './segment/hint';
export {
  alreadyProcessed,
  backgroundBlockFrom,
  changeSidecar,
  cutoutDecisions,
  cutoutEdits,
  parseSidecar,
  plannedProcessing,
  processingKey,
  readSidecar,
  recordBackground,
  resolveInRoot,
  sourceSha256,
  writeSidecar,
} from './sidecar';
export type { BackgroundBlock, JsonPath, ProcessingPlan, Sidecar, SidecarChange, SidecarFile } from './sidecar';
export { closeWorkerPool } from './runtime/pool';
export { mapWithConcurrency } from './runtime/concurrency';
