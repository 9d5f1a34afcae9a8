import path from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Device } from '../../config';
import { EngineError, type EngineErrorCode } from '../../errors';
import { Semaphore } from '../../runtime/concurrency';
import type { GenerationJob, GenerationResult, StepReport } from './pipeline';
import type { MainToWorker, WorkerToMain } from './protocol';

export interface SdxlRun {
  image: Uint8Array;
  provider: 'cpu' | 'cuda';
  warnings: string[];
  stepsRun: number;
  timings: GenerationResult['timings'];
}

export interface SdxlRunOptions {
  modelDir: string;
  device: Device;
  threads: number;
  signal?: AbortSignal;
  onStep?: (report: StepReport) => void;
}

interface Pending {
  resolve: (run: SdxlRun) => void;
  reject: (error: Error) => void;
  onStep?: (report: StepReport) => void;
}

interface Lane {
  worker: Worker;
  busy: boolean;
  pending: Map<number, Pending>;
}

/**
 * Runs SDXL generations in worker threads, at most `concurrency` at once per process
 * (SDXL_CONCURRENCY, default 1: one generation per GPU). Each lane is one thread with its
 * own sessions, kept for the life of the process; a lane whose thread dies fails only its
 * job and is replaced.
 */
export class SdxlRunner {
  private readonly lanes: Lane[] = [];
  private readonly semaphore: Semaphore;
  private nextId = 1;

  constructor(
    readonly concurrency: number,
    private readonly scriptPath = path.join(__dirname, 'worker.js'),
  ) {
    this.semaphore = new Semaphore(concurrency);
  }

  generate(job: GenerationJob, options: SdxlRunOptions): Promise<SdxlRun> {
    if (options.signal?.aborted) return Promise.reject(new EngineError('CANCELLED', 'SDXL generation cancelled before it started'));
    return this.semaphore.use(() => this.runOnLane(job, options));
  }

  private lane(): Lane {
    const free = this.lanes.find((lane) => !lane.busy);
    if (free) return free;
    const lane: Lane = { worker: new Worker(this.scriptPath), busy: false, pending: new Map() };
    lane.worker.unref();
    lane.worker.on('message', (message: WorkerToMain) => {
      const pending = lane.pending.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') {
        pending.onStep?.({ step: message.step, steps: message.steps, elapsedMs: message.elapsedMs });
        return;
      }
      lane.pending.delete(message.id);
      if (message.type === 'done') pending.resolve({ image: message.image, provider: message.provider, warnings: message.warnings, stepsRun: message.stepsRun, timings: message.timings });
      else pending.reject(new EngineError((message.code as EngineErrorCode | undefined) ?? 'INFERENCE_FAILED', message.message));
    });
    const fail = (error: Error) => {
      const index = this.lanes.indexOf(lane);
      if (index >= 0) this.lanes.splice(index, 1);
      for (const pending of lane.pending.values()) pending.reject(new EngineError('WORKER_FAILED', `SDXL worker stopped: ${error.message}`, { cause: error }));
      lane.pending.clear();
    };
    lane.worker.on('error', fail);
    lane.worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.lanes.push(lane);
    return lane;
  }

  private runOnLane(job: GenerationJob, options: SdxlRunOptions): Promise<SdxlRun> {
    const lane = this.lane();
    const id = this.nextId++;
    lane.busy = true;
    lane.worker.ref();
    const onAbort = () => lane.worker.postMessage({ type: 'cancel', id } satisfies MainToWorker);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const transfer = [job.image?.buffer, job.mask?.buffer].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
    return new Promise<SdxlRun>((resolve, reject) => {
      lane.pending.set(id, { resolve, reject, onStep: options.onStep });
      lane.worker.postMessage({ type: 'generate', id, modelDir: options.modelDir, device: options.device, threads: options.threads, job } satisfies MainToWorker, transfer);
    }).finally(() => {
      options.signal?.removeEventListener('abort', onAbort);
      lane.busy = false;
      lane.worker.unref();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.splice(0).map((lane) => lane.worker.terminate()));
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
