import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { EngineError, type EngineErrorCode } from '../core/errors';
import { readEngineConfig } from '../core/config';
import type { HostMessage, ThreadMessage } from './protocol';

export interface RunOptions {
  /** Buffers moved to the thread instead of copied (the caller must not use them after). */
  transfer?: ArrayBuffer[];
  onProgress?: (report: unknown) => void;
  /**
   * Cancels the task: its promise rejects with CANCELLED at once, queued or running. A running
   * one is asked to stop at its next step; its thread stays busy until it has.
   */
  signal?: AbortSignal;
}

interface Task {
  id: number;
  message: Extract<HostMessage, { type: 'run' }>;
  options: RunOptions;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Set once the caller has been answered (a cancel answers before the thread is done). */
  answered?: boolean;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

/**
 * The engine's one worker pool: a bounded set of worker threads that run tasks from task
 * modules (runtime/worker.ts hosts them). onnxruntime's session creation and run() are
 * blocking native calls, and mask arithmetic on 12 MP is seconds of JavaScript: both happen
 * here, so the n8n worker's event loop stays free. Each thread keeps what its task modules
 * load (sessions) for the life of the process. A thread that dies fails only the task it held
 * and is replaced. Segmentation shares one pool; SDXL has its own, one thread per generation
 * slot, so its sessions stay with their thread.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly hostScript = path.join(__dirname, 'worker.js'),
  ) {}

  /** Runs `kind` from the task module at `module` (an absolute path to its .js file). */
  run<T>(module: string, kind: string, request: unknown, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new EngineError('WORKER_FAILED', 'Engine is shut down'));
    if (options.signal?.aborted) return Promise.reject(new EngineError('CANCELLED', 'Cancelled before it started'));
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const task: Task = { id, message: { type: 'run', id, module, kind, request }, options, resolve: resolve as (value: unknown) => void, reject };
      const signal = options.signal;
      if (signal) {
        const onAbort = () => {
          const queued = this.queue.indexOf(task);
          if (queued >= 0) {
            this.queue.splice(queued, 1);
            reject(new EngineError('CANCELLED', 'Cancelled before it started'));
          } else {
            this.slots.find((slot) => slot.task === task)?.worker.postMessage({ type: 'cancel', id } satisfies HostMessage);
            // A short task may finish before the thread reads the cancel: the caller gave up either way.
            task.reject(new EngineError('CANCELLED', 'Cancelled while running'));
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        task.resolve = (value) => {
          if (task.answered) return;
          task.answered = true;
          signal.removeEventListener('abort', onAbort);
          resolve(value as T);
        };
        task.reject = (error) => {
          if (task.answered) return;
          task.answered = true;
          signal.removeEventListener('abort', onAbort);
          reject(error);
        };
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Whether a task given now would start at once (a thread free or yet to start, none queued). */
  get idle(): boolean {
    return this.queue.length === 0 && (this.slots.length < this.size || this.slots.some((slot) => !slot.task));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new EngineError('WORKER_FAILED', 'Engine is shutting down'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((candidate) => !candidate.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage(task.message, task.options.transfer ?? []);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.hostScript);
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (message: ThreadMessage) => {
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      if (message.type === 'progress') {
        if (!task.answered) task.options.onProgress?.(message.report);
        return;
      }
      slot.task = undefined;
      worker.unref();
      if (message.type === 'done') task.resolve(message.result);
      else task.reject(new EngineError((message.code as EngineErrorCode | undefined) ?? 'INFERENCE_FAILED', message.message));
      this.dispatch();
    });
    const fail = (error: Error) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      const task = slot.task;
      slot.task = undefined;
      task?.reject(new EngineError('WORKER_FAILED', `Inference worker stopped: ${error.message}`, { cause: error }));
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}

let shared: WorkerPool | undefined;
let pixels: WorkerPool | undefined;

/** The process-wide pool for segmentation (BG_INFERENCE_WORKERS threads, default 1): the threads that hold sessions. */
export function getWorkerPool(): WorkerPool {
  if (!shared) {
    shared = new WorkerPool(readEngineConfig().inferenceWorkers);
  }
  return shared;
}

/**
 * The pool for pixel work at full size (guided upsampling, edge colours): the segmentation
 * pool when a thread of it is free (one photo at a time: one thread's memory, 1.59 GB peak at
 * 12 MP against 1.77 GB with a second thread), else a thread of its own holding no session,
 * so that with several photos in flight one photo's pixel work runs while the next one's
 * inference holds the segmentation pool (a batch overlaps).
 */
export function poolForPixelWork(): WorkerPool {
  const segmentation = getWorkerPool();
  if (segmentation.idle) return segmentation;
  if (!pixels) pixels = new WorkerPool(1);
  return pixels;
}

/** Closes both pools (a later task starts fresh ones). */
export async function closeWorkerPool(): Promise<void> {
  const pools = [shared, pixels];
  shared = undefined;
  pixels = undefined;
  await Promise.all(pools.map((pool) => pool?.close()));
}
