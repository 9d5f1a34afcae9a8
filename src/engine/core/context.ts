import { type EngineConfig, readEngineConfig } from './config';
import { EngineError } from './errors';

/** Runway's key and endpoint: from an n8n credential, else RUNWAY_API_KEY / RUNWAY_BASE_URL. */
export interface RunwayConnection {
  apiKey: string;
  baseUrl?: string;
  apiVersion?: string;
}

/**
 * What a caller lends the engine for one job, the same for Cleanup and Replace: settings
 * that win over the environment, where messages go, a signal that cancels the job, and
 * credentials.
 */
export interface EngineContext {
  /** Settings that win over the environment (a node's fields, a test's cache folder). */
  config?: Partial<EngineConfig>;
  /** Progress worth an operator's eye (a generation's steps, Runway's polls). */
  log?: (message: string) => void;
  /** Once per distinct warning (CUDA missing, WASM fallback, a hint point that fell outside). */
  warn?: (message: string) => void;
  /** Aborting it cancels the job: queued work is dropped, the pipeline stops at its next stage. */
  signal?: AbortSignal;
  credentials?: { runway?: RunwayConnection };
}

/** The environment's settings with the context's overrides. */
export function engineConfig(context: EngineContext = {}): EngineConfig {
  const overrides = Object.fromEntries(Object.entries(context.config ?? {}).filter(([, value]) => value !== undefined));
  return { ...readEngineConfig(), ...overrides };
}

/** Throws CANCELLED when the job's signal has fired (between the pipeline's stages). */
export function throwIfCancelled(context: EngineContext, stage: string): void {
  if (context.signal?.aborted) throw new EngineError('CANCELLED', `Cancelled ${stage}`);
}
