/**
 * SDXL inside a pool thread: the pipelines (five sessions each, loaded once per model
 * directory and device) stay with their thread; a generation reports each step and stops
 * between steps when cancelled.
 */
import type { Device } from '../../core/config';
import { EngineError, errorMessage } from '../../core/errors';
import { type ExecutionProvider, loadBackend } from '../../runtime/backend';
import { LoadOnce } from '../../runtime/concurrency';
import type { TaskContext } from '../../runtime/protocol';
import { readSdxlLayout } from './modelDir';
import { type GenerationJob, type GenerationResult, SdxlPipeline, type StepReport } from './pipeline';

export interface GenerateRequest {
  modelDir: string;
  device: Device;
  threads: number;
  job: GenerationJob;
}

export interface GenerateResult {
  image: Uint8Array;
  provider: ExecutionProvider;
  warnings: string[];
  stepsRun: number;
  timings: GenerationResult['timings'];
}

const pipelines = new LoadOnce<SdxlPipeline>();

async function loadPipeline(request: GenerateRequest): Promise<SdxlPipeline> {
  let backend;
  try {
    // SDXL's weights (~7 GB) do not fit WASM's 4 GB memory: native (glibc) only.
    backend = await loadBackend('native', request.threads);
  } catch (error) {
    throw new EngineError(
      'RUNTIME_UNAVAILABLE',
      `SDXL needs onnxruntime-node (a glibc system, CUDA for useful speed; WASM cannot hold its weights): ${errorMessage(error)}`,
    );
  }
  return SdxlPipeline.load(request.modelDir, { backend, device: request.device, threads: request.threads, needsEncoder: false });
}

function pipelineFor(request: GenerateRequest): Promise<SdxlPipeline> {
  return pipelines.get(`${request.modelDir}|${request.device}|${request.threads}`, () => loadPipeline(request));
}

async function generate(request: GenerateRequest, context: TaskContext): Promise<{ result: GenerateResult; transfer: ArrayBuffer[] }> {
  const pipeline = await pipelineFor(request);
  // Validates again with the encoder required: the message names the missing file.
  if (request.job.image && !pipeline.layout.models.vae_encoder) readSdxlLayout(request.modelDir, true);
  const generated = await pipeline.generate(request.job, (report: StepReport) => context.progress(report), context.cancelled);
  const image = generated.image;
  const result: GenerateResult = { image, provider: pipeline.provider, warnings: pipeline.warnings, stepsRun: generated.stepsRun, timings: generated.timings };
  return { result, transfer: [image.buffer as ArrayBuffer] };
}

export const tasks = { generate };
