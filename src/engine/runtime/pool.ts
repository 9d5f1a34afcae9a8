import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { EngineError } from '../errors';
import type { ForegroundRequest, ForegroundResult, SegmentRequest, SegmentResult, WorkerReply, WorkerRequest } from './protocol';

interface Task {
  id: number;
  request: WorkerRequest;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

/**
 * A small bounded pool of worker threads. onnxruntime's session creation and run() are
 * blocking native calls, and mask arithmetic on 12 MP is seconds of JavaScript: both
 * happen here, so the n8n worker's event loop stays free. Each thread keeps its own
 * onnxruntime sessions for the life of the process. A thread that dies fails only the
 * task it held and is replaced.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly scriptPath: string,
    private readonly size: number,
  ) {}

  segment(request: SegmentRequest): Promise<SegmentResult> {
    return this.submit(request, [request.pixels.buffer as ArrayBuffer]) as Promise<SegmentResult>;
  }

  foreground(request: ForegroundRequest): Promise<ForegroundResult> {
    return this.submit(request, [request.rgb.buffer as ArrayBuffer, request.alpha.buffer as ArrayBuffer]) as Promise<ForegroundResult>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new EngineError('WORKER_FAILED', 'Engine is shutting down'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private submit(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new EngineError('WORKER_FAILED', 'Engine is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((candidate) => !candidate.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, request: task.request }, task.transfer);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.scriptPath);
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.task;
      if (!task || task.id !== reply.id) return;
      slot.task = undefined;
      worker.unref();
      if (reply.ok) task.resolve(reply.result);
      else task.reject(new EngineError(reply.error.code ?? 'INFERENCE_FAILED', reply.error.message));
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

/** The process-wide pool (BG_INFERENCE_WORKERS threads, default 1: one session per process). */
export function getWorkerPool(): WorkerPool {
  if (!shared) {
    const size = Math.max(1, Math.min(8, Number(process.env.BG_INFERENCE_WORKERS) || 1));
    shared = new WorkerPool(path.join(__dirname, 'inferenceWorker.js'), size);
  }
  return shared;
}

export async function closeWorkerPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
