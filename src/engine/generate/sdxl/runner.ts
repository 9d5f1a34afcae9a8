import path from 'node:path';

import type { Device } from '../../core/config';
import { WorkerPool } from '../../runtime/pool';
import type { GenerationJob, StepReport } from './pipeline';
import type { GenerateRequest, GenerateResult } from './task';

export type SdxlRun = GenerateResult;

export interface SdxlRunOptions {
  modelDir: string;
  device: Device;
  threads: number;
  signal?: AbortSignal;
  onStep?: (report: StepReport) => void;
}

const SDXL_TASKS = path.join(__dirname, 'task.js');

/**
 * Runs SDXL generations on the engine's worker pool, at most `concurrency` at once per
 * process (SDXL_CONCURRENCY, default 1: one generation per GPU). A pool of its own, one
 * thread per slot, so each thread's sessions stay loaded with it and segmentation never
 * waits behind a generation.
 */
export class SdxlRunner {
  private readonly pool: WorkerPool;

  constructor(readonly concurrency: number) {
    this.pool = new WorkerPool(concurrency);
  }

  generate(job: GenerationJob, options: SdxlRunOptions): Promise<SdxlRun> {
    const request: GenerateRequest = { modelDir: options.modelDir, device: options.device, threads: options.threads, job };
    const transfer = [job.image?.buffer, job.mask?.buffer].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
    return this.pool.run<SdxlRun>(SDXL_TASKS, 'generate', request, {
      transfer,
      signal: options.signal,
      onProgress: options.onStep ? (report) => options.onStep!(report as StepReport) : undefined,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: SdxlRunner | undefined;

/** The process-wide runner; its concurrency is fixed when the first generation asks for it. */
export function sharedSdxlRunner(concurrency: number): SdxlRunner {
  shared ??= new SdxlRunner(concurrency);
  return shared;
}

export async function closeSdxlRunner(): Promise<void> {
  const runner = shared;
  shared = undefined;
  await runner?.close();
}
