/**
 * The framework-free engine: usable as a plain library, by the n8n nodes and by the CLI.
 * Nothing here imports n8n.
 */
export { cleanupImage, cleanupOptionsSchema, parseCleanupOptions } from './cleanup';
export type { CleanupMetadata, CleanupOptions, CleanupOptionsInput, CleanupResult } from './cleanup';
export { CLEANUP_MODES } from './compose/cutout';
export type { CleanupMode } from './compose/cutout';
export { readEngineConfig } from './config';
export type { Device, EngineConfig } from './config';
export { EngineError, errorMessage, isEngineError } from './errors';
export { decodeImage } from './image/decode';
export { encodeImage } from './image/encode';
export { health } from './health';
export type { HealthReport } from './health';
export { closeWorkerPool } from './runtime/pool';
export { closeSdxlRunner } from './generate/sdxl/runner';
export { SCHEDULERS } from './generate/sdxl/schedulers';
export { mapWithConcurrency } from './runtime/concurrency';
export { MODEL_FAMILIES } from './segment/families';
