import type { Device } from '../../config';
import type { GenerationJob, GenerationResult, StepReport } from './pipeline';

/** Messages between the SDXL runner (main thread) and its worker thread. */
export type MainToWorker =
  | { type: 'generate'; id: number; modelDir: string; device: Device; threads: number; job: GenerationJob }
  | { type: 'cancel'; id: number };

export type WorkerToMain =
  | ({ type: 'progress'; id: number } & StepReport)
  | { type: 'done'; id: number; image: Uint8Array; provider: 'cpu' | 'cuda'; warnings: string[]; stepsRun: number; timings: GenerationResult['timings'] }
  | { type: 'error'; id: number; code?: string; message: string };
