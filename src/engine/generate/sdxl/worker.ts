/**
 * Worker thread for SDXL: holds the pipelines (five onnxruntime sessions each, loaded
 * once per model directory and device) and runs generations off the n8n event loop,
 * reporting each step and stopping between steps when cancelled.
 */
import { parentPort } from 'node:worker_threads';

import type { WorkerToMain, MainToWorker } from './protocol';
import { readSdxlLayout } from './modelDir';
import { SdxlPipeline } from './pipeline';

const pipelines = new Map<string, Promise<SdxlPipeline>>();
const cancelled = new Set<number>();

function pipelineFor(request: Extract<MainToWorker, { type: 'generate' }>): Promise<SdxlPipeline> {
  const key = `${request.modelDir}|${request.device}|${request.threads}`;
  let entry = pipelines.get(key);
  if (!entry) {
    entry = SdxlPipeline.load(request.modelDir, { device: request.device, threads: request.threads, needsEncoder: false });
    entry.catch(() => pipelines.delete(key));
    pipelines.set(key, entry);
  }
  return entry;
}

function post(message: WorkerToMain, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

parentPort!.on('message', (message: MainToWorker) => {
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    return;
  }
  const { id, job } = message;
  void (async () => {
    try {
      const pipeline = await pipelineFor(message);
      if (job.image && !pipeline.layout.models.vae_encoder) {
        // Validates again with the encoder required: the message names the missing file.
        readSdxlLayout(message.modelDir, true);
      }
      const result = await pipeline.generate(
        job,
        (report) => post({ type: 'progress', id, ...report }),
        () => cancelled.has(id),
      );
      const image = result.image;
      post({ type: 'done', id, image, provider: pipeline.provider, warnings: pipeline.warnings, stepsRun: result.stepsRun, timings: result.timings }, [image.buffer as ArrayBuffer]);
    } catch (error) {
      const code = (error as { code?: string }).code;
      post({ type: 'error', id, code, message: error instanceof Error ? error.message : String(error) });
    } finally {
      cancelled.delete(id);
    }
  })();
});
