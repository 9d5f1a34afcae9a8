import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

import { EngineError } from './errors';

/** The SDXL samplers (generate/sdxl/schedulers.ts implements each). */
export const SCHEDULERS = ['euler', 'euler-ancestral', 'dpmpp-2m-karras'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

/** The inference libraries BG_RUNTIME chooses between (runtime/backend.ts loads them). */
export const RUNTIME_CHOICES = ['auto', 'native', 'wasm'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];
export const MODEL_PRECISIONS = ['fp32', 'int8'] as const;
export type ModelPrecision = (typeof MODEL_PRECISIONS)[number];

/**
 * Settings read from the environment, with the old background service's names where it had one
 * (DEVICE, BG_MODEL_PATH). Validated once, with messages naming the variable.
 */
const deviceSchema = z.enum(['cpu', 'cuda', 'auto']);
export type Device = z.infer<typeof deviceSchema>;

const envSchema = z.object({
  DEVICE: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(deviceSchema)
    .default('auto'),
  BG_RUNTIME: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(RUNTIME_CHOICES))
    .default('auto'),
  BG_MODEL_PATH: z.string().trim().optional(),
  BG_MODEL_FAMILY: z.string().trim().optional(),
  BG_MODEL_CACHE_DIR: z.string().trim().optional(),
  BG_MAX_MEGAPIXELS: z.coerce.number().positive().max(1000).default(100),
  BG_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(5),
  BG_INFERENCE_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  BG_INFERENCE_WORKERS: z.coerce.number().int().min(1).max(8).default(1),
  BG_GRAPH_OPTIMIZATION: z.enum(['basic', 'extended', 'all']).default('all'),
  BG_MODEL_PRECISION: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(MODEL_PRECISIONS))
    .default('fp32'),
  // Remote engines (Runway), with the old background service's client settings as defaults.
  BACKGROUND_TIMEOUT: z.coerce.number().int().min(1000).max(3_600_000).default(300_000),
  BACKGROUND_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  BACKGROUND_RETRY_DELAY: z.coerce.number().int().min(0).max(60_000).default(1000),
  RUNWAY_API_KEY: z.string().trim().optional(),
  RUNWAY_BASE_URL: z.string().trim().url().optional(),
  RUNWAY_API_VERSION: z.string().trim().optional(),
  RUNWAY_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
  RUNWAY_POLL_INTERVAL: z.coerce.number().int().min(10).max(60_000).default(5000),
  MEDIA_SIDECAR_ROOT: z.string().trim().optional(),
  // The old background service's preset defaults (Background Preset and Replace use them when no preset is chosen).
  MEDIA_INGEST_BACKGROUND_PRESET: z.string().trim().optional(),
  MEDIA_INGEST_BACKGROUND_PROMPT_TYPE: z.string().trim().optional(),
  // Local SDXL: an ONNX export on disk (never downloaded). MODEL_ID is the old background service's Hugging
  // Face id, only quoted in messages.
  SDXL_MODEL_DIR: z.string().trim().optional(),
  MODEL_ID: z.string().trim().optional(),
  SDXL_SCHEDULER: z.enum(SCHEDULERS).default('euler'),
  SDXL_RESOLUTION: z.coerce.number().int().min(256).max(2048).multipleOf(64).default(1024),
  SDXL_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
});

/** Variables whose value never goes into a message. */
const SECRET_VARIABLES = new Set(['RUNWAY_API_KEY']);

export interface EngineConfig {
  /** Inference library: onnxruntime-node (`native`), onnxruntime-web (`wasm`), or native falling back to WASM (`auto`). */
  runtime: RuntimeChoice;
  device: Device;
  modelPath?: string;
  modelFamily?: string;
  modelCacheDir: string;
  maxPixels: number;
  concurrency: number;
  /** onnxruntime intra-op threads; 0 lets onnxruntime use every core. */
  inferenceThreads: number;
  /** Threads in the process-wide worker pool (segmentation, foreground colour); each holds its own sessions. */
  inferenceWorkers: number;
  /**
   * onnxruntime graph optimisation. "all" (the default) runs IS-Net's fp32 copy in 0.71x the
   * time of "basic" on CPU for ~80 MB more (measured, 2 cores, memory patterns off: 1.39 s vs
   * 1.94 s per 1024 px input, peak 1.31 vs 1.24 GB); "basic" is there for the tightest memory.
   */
  graphOptimization: 'basic' | 'extended' | 'all';
  /**
   * The segmentation model's arithmetic on CPU and WASM: `fp32`, or `int8` (its convolutions
   * in 8-bit integers from calibrated ranges, runtime/quantizeModel.ts; the bundled model only).
   */
  modelPrecision: ModelPrecision;
  /** Calls to remote engines: the whole job's deadline and the retry policy per request. */
  remote: { timeoutMs: number; retryAttempts: number; retryDelayMs: number };
  runway: { apiKey?: string; baseUrl?: string; apiVersion?: string; concurrency: number; pollIntervalMs: number };
  /** The folder Media Sidecar may read and write in (the node's Root Folder wins). */
  sidecarRoot?: string;
  /** The preset and prompt type used when neither the node nor the item names one. */
  presetDefaults: { name?: string; promptType?: string };
  /** Local SDXL: export folder, default sampler, generation size (area of a square side), generations at once. */
  sdxl: { modelDir?: string; modelId?: string; scheduler: SchedulerName; resolution: number; concurrency: number };
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir() || os.tmpdir(), '.cache');
  return path.join(base, 'vitrinealu-bg');
}

export function readEngineConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EngineError(
      'INVALID_OPTION',
      `Environment variable ${issue.path.join('.')}=${SECRET_VARIABLES.has(String(issue.path[0])) ? '(hidden)' : JSON.stringify(picked[String(issue.path[0])])} is invalid: ${issue.message}`,
    );
  }
  const value = parsed.data;
  return {
    runtime: value.BG_RUNTIME,
    device: value.DEVICE,
    modelPath: value.BG_MODEL_PATH || undefined,
    modelFamily: value.BG_MODEL_FAMILY || undefined,
    modelCacheDir: value.BG_MODEL_CACHE_DIR || path.join(defaultCacheDir(), 'models'),
    maxPixels: Math.round(value.BG_MAX_MEGAPIXELS * 1_000_000),
    concurrency: value.BG_CONCURRENCY,
    inferenceThreads: value.BG_INFERENCE_THREADS,
    inferenceWorkers: value.BG_INFERENCE_WORKERS,
    graphOptimization: value.BG_GRAPH_OPTIMIZATION,
    modelPrecision: value.BG_MODEL_PRECISION,
    remote: { timeoutMs: value.BACKGROUND_TIMEOUT, retryAttempts: value.BACKGROUND_RETRY_ATTEMPTS, retryDelayMs: value.BACKGROUND_RETRY_DELAY },
    runway: {
      apiKey: value.RUNWAY_API_KEY || undefined,
      baseUrl: value.RUNWAY_BASE_URL,
      apiVersion: value.RUNWAY_API_VERSION || undefined,
      concurrency: value.RUNWAY_CONCURRENCY,
      pollIntervalMs: value.RUNWAY_POLL_INTERVAL,
    },
    sidecarRoot: value.MEDIA_SIDECAR_ROOT || undefined,
    presetDefaults: { name: value.MEDIA_INGEST_BACKGROUND_PRESET || undefined, promptType: value.MEDIA_INGEST_BACKGROUND_PROMPT_TYPE || undefined },
    sdxl: {
      modelDir: value.SDXL_MODEL_DIR || undefined,
      modelId: value.MODEL_ID || undefined,
      scheduler: value.SDXL_SCHEDULER,
      resolution: value.SDXL_RESOLUTION,
      concurrency: value.SDXL_CONCURRENCY,
    },
  };
}
