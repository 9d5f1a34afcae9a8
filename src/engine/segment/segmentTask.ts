/**
 * Segmentation inside a pool thread: one session per model, backend and device, opened
 * once and reused; the input tensor built and the output turned into a matte here too.
 */
import type { Device, ModelPrecision } from '../core/config';
import { EngineError, errorMessage, isEngineError } from '../core/errors';
import { type Backend, type ExecutionProvider, loadBackend, type RuntimeChoice } from '../runtime/backend';
import { LoadOnce } from '../runtime/concurrency';
import { floatTensor, type OpenedSession, openSession, tensorFloats } from '../runtime/session';
import { cpuModelFile, int8Unavailable } from './cpuModel';
import type { ModelFamily } from './families';
import { toInputTensorData, toMask } from './tensors';

export interface SegmentRequest {
  modelPath: string;
  modelSha256: string;
  /** Where an fp32 copy of an fp16 model is kept for CPU and WASM (BG_MODEL_CACHE_DIR). */
  cacheDir: string;
  runtime: RuntimeChoice;
  device: Device;
  threads: number;
  graphOptimization: 'basic' | 'extended' | 'all';
  precision: ModelPrecision;
  family: ModelFamily;
  /** RGB, 8-bit, family.inputSize squared, row-major. */
  pixels: Uint8Array;
}

export interface SegmentResult {
  /** 8-bit matte at family.inputSize squared. */
  mask: Uint8Array;
  backend: Backend['name'];
  provider: ExecutionProvider;
  warnings: string[];
  timings: { prepareMs: number; runMs: number; finishMs: number };
}

interface LoadedModel extends OpenedSession {
  backend: Backend;
  inputType: 'float32' | 'float16';
}

const models = new LoadOnce<LoadedModel>();

async function loadModel(request: SegmentRequest): Promise<LoadedModel> {
  let backend: Backend;
  try {
    backend = await loadBackend(request.runtime, request.threads);
  } catch (error) {
    throw isEngineError(error) ? error : new EngineError('RUNTIME_UNAVAILABLE', errorMessage(error));
  }
  try {
    const opened = await openSession(backend, request.modelPath, {
      ...request,
      cpuModelPath: () => cpuModelFile(request.modelPath, request.modelSha256, request.cacheDir, request.precision),
    });
    const meta = (opened.session as unknown as { inputMetadata?: Array<{ type?: string }> }).inputMetadata;
    const warnings = [backend.warning, int8Unavailable(request.precision, request.modelSha256, opened.provider), ...opened.warnings].filter(
      (w): w is string => !!w,
    );
    return { ...opened, warnings, backend, inputType: meta?.[0]?.type === 'float16' ? 'float16' : 'float32' };
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `Cannot load ONNX model ${request.modelPath}: ${errorMessage(error)}`);
  }
}

function modelFor(request: SegmentRequest): Promise<LoadedModel> {
  return models.get(`${request.modelPath}|${request.runtime}|${request.device}|${request.threads}|${request.graphOptimization}|${request.precision}`, () =>
    loadModel(request),
  );
}

async function segment(request: SegmentRequest): Promise<{ result: SegmentResult; transfer: ArrayBuffer[] }> {
  const loaded = await modelFor(request);
  const size = request.family.inputSize;
  const plane = size * size;
  const t0 = performance.now();
  const input = floatTensor(loaded.backend.ort, loaded.inputType, toInputTensorData(request.pixels, request.family), [1, 3, size, size]);
  const t1 = performance.now();
  const outputs = await loaded.session.run({ [loaded.session.inputNames[0]]: input });
  const t2 = performance.now();
  const output = outputs[loaded.session.outputNames[0]];
  const values = tensorFloats(output);
  if (values.length < plane) throw new Error(`Model output has ${values.length} values, expected at least ${plane} (dims ${output.dims.join('x')})`);
  // First channel of the first output.
  const mask = toMask(values.subarray(0, plane), request.family);
  const t3 = performance.now();
  const result: SegmentResult = {
    mask,
    backend: loaded.backend.name,
    provider: loaded.provider,
    warnings: loaded.warnings,
    timings: { prepareMs: t1 - t0, runMs: t2 - t1, finishMs: t3 - t2 },
  };
  return { result, transfer: [mask.buffer as ArrayBuffer] };
}

export const tasks = { segment };
