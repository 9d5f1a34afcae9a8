/**
 * The one session factory: segmentation and SDXL open their ONNX sessions here, on the
 * backend the thread selected, with the execution providers the device asks for.
 */
import fs from 'node:fs';

import type { Device } from '../core/config';
import { errorMessage } from '../core/errors';
import { type Backend, type ExecutionProvider, nativeThreads, type Ort } from './backend';
import { providerPlan } from './device';
import { floatsToHalf, halfToFloats } from './half';

export type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;
export type OrtTensor = InstanceType<Ort['Tensor']>;

export interface SessionSettings {
  device: Device;
  /** Intra-op threads for the native runtime; 0: one per core (nativeThreads). */
  threads: number;
  graphOptimization: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Memory patterns pre-plan one block per input shape; off by default: peak memory drops
   * by ~0.8 GB at 1024 px on IS-Net and CPU speed is unchanged (measured).
   */
  memoryPattern?: boolean;
  /** The file to open on CPU and WASM when it is not `modelPath` (an fp32 copy of an fp16 model). */
  cpuModelPath?: () => Promise<string>;
}

export interface OpenedSession {
  session: Session;
  provider: ExecutionProvider;
  warnings: string[];
}

/** Opens a model file: CUDA then CPU on the native backend (as the device asks), WASM on the other. */
export async function openSession(backend: Backend, modelPath: string, settings: SessionSettings): Promise<OpenedSession> {
  const warnings: string[] = [];
  const options = {
    graphOptimizationLevel: settings.graphOptimization,
    enableMemPattern: settings.memoryPattern ?? false,
    ...(backend.name === 'native' ? { intraOpNumThreads: nativeThreads(settings.threads) } : {}),
  };
  const providers: ExecutionProvider[] = backend.name === 'wasm' ? ['wasm'] : providerPlan(settings.device);
  if (backend.name === 'wasm' && settings.device === 'cuda') {
    warnings.push('DEVICE=cuda: the WASM runtime cannot use a GPU; running on CPU (WASM)');
  }
  let lastError: unknown;
  for (const provider of providers) {
    try {
      const file = provider === 'cuda' || !settings.cpuModelPath ? modelPath : await settings.cpuModelPath();
      // onnxruntime-web reads no paths in every build: it gets the bytes.
      const model: string | Uint8Array = backend.name === 'wasm' ? fs.readFileSync(file) : file;
      const session = await backend.ort.InferenceSession.create(model as string, { ...options, executionProviders: [provider] });
      return { session, provider, warnings };
    } catch (error) {
      lastError = error;
      if (provider === 'cuda')
        warnings.push(`DEVICE=${settings.device}: CUDA execution provider unavailable (${errorMessage(error).split('\n')[0]}); running on CPU`);
    }
  }
  throw lastError;
}

/** Declared input/output element types, from the session's metadata (float32 when it says nothing). */
export function ioTypes(session: Session): { inputs: Map<string, IoSpec>; outputs: Map<string, IoSpec> } {
  const meta = session as unknown as { inputMetadata?: unknown[]; outputMetadata?: unknown[] };
  const specs = (names: readonly string[], metadata: readonly unknown[] | undefined) =>
    new Map(
      names.map((name, index) => {
        const entry = (metadata?.[index] ?? {}) as { type?: string; shape?: Array<number | string> };
        return [name, { name, type: entry.type ?? 'float32', shape: entry.shape ?? [] }];
      }),
    );
  return { inputs: specs(session.inputNames, meta.inputMetadata), outputs: specs(session.outputNames, meta.outputMetadata) };
}

export interface IoSpec {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/**
 * A float tensor in the element type a model declares (float32, or float16 from the same
 * float32 values). onnxruntime-common swaps a Uint16Array for a Float16Array where the
 * runtime has one (Node 24, where n8n runs), and onnxruntime-node 1.30's binding then
 * refuses it ("must be a typed array (4 or Float16Array) ... got typed array (0)"): the
 * tensor keeps the bit patterns the bindings accept.
 */
export function floatTensor(ort: Ort, type: 'float32' | 'float16', values: Float32Array, dims: number[]): OrtTensor {
  if (type === 'float32') return new ort.Tensor('float32', values, dims);
  const bits = floatsToHalf(values);
  const tensor = new ort.Tensor('float16', bits, dims);
  if (!(tensor.data instanceof Uint16Array)) (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return tensor;
}

/** A float output as float32, whatever the model's element type. */
export function tensorFloats(tensor: OrtTensor): Float32Array {
  const data = tensor.data as unknown;
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return halfToFloats(data); // float16 as bit patterns
  return Float32Array.from(data as ArrayLike<number>); // Float16Array where the runtime has it
}
