/**
 * The inference libraries, loaded lazily and only where a model runs (worker threads, and
 * health through them): onnxruntime-node (native CPU, CUDA) and onnxruntime-web (WASM,
 * threads + SIMD, the same weights). onnxruntime-node ships glibc-only binaries: on musl
 * (the official n8n image is Alpine) its require() fails, and `auto` falls back to WASM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RuntimeChoice } from '../core/config';
import { EngineError, errorMessage } from '../core/errors';
import { LoadOnce } from './concurrency';
import { DataType, encodeModel } from './onnxGraph';

/** onnxruntime's JavaScript API; both libraries implement onnxruntime-common's. */
export type Ort = typeof import('onnxruntime-node');
export { RUNTIME_CHOICES, type RuntimeChoice } from '../core/config';
export type BackendName = 'native' | 'wasm';
/** The execution provider a session runs on, as onnxruntime names it. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'wasm';

export interface Backend {
  name: BackendName;
  /** The npm package behind it. */
  library: 'onnxruntime-node' | 'onnxruntime-web';
  ort: Ort;
  version: string;
  /** WASM threads (0 for native, where sessions set their own). */
  threads: number;
  /** Why `auto` did not get the native library (absent when it did, or when not asked). */
  fallbackReason?: string;
  /** The one warning to log about this choice. */
  warning?: string;
}

/** A probe that passed: a tiny real inference, checked, not only a library load. */
export interface ProbeResult {
  ok: true;
  ms: number;
}

/** y = 2x + 1 on four floats: the smallest graph that makes the library run a kernel. */
let probeModel: Uint8Array | undefined;
function probeModelBytes(): Uint8Array {
  probeModel ??= encodeModel({
    name: 'vitrinealu-probe',
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 4] }],
    outputs: [{ name: 'y', type: DataType.FLOAT, shape: [1, 4] }],
    initializers: [
      { name: 'two', type: DataType.FLOAT, dims: [], data: new Float32Array([2]) },
      { name: 'one', type: DataType.FLOAT, dims: [], data: new Float32Array([1]) },
    ],
    nodes: [
      { op: 'Mul', inputs: ['x', 'two'], outputs: ['twice'] },
      { op: 'Add', inputs: ['twice', 'one'], outputs: ['y'] },
    ],
  });
  return probeModel;
}

/** Runs the probe graph on a backend; throws unless the answer is right. */
export async function probeBackend(backend: Backend): Promise<ProbeResult> {
  const t0 = performance.now();
  const session = await backend.ort.InferenceSession.create(probeModelBytes(), {
    executionProviders: [backend.name === 'wasm' ? 'wasm' : 'cpu'],
  });
  try {
    const x = new Float32Array([0, 1, -2, 0.5]);
    const outputs = await session.run({ x: new backend.ort.Tensor('float32', x, [1, 4]) });
    const y = outputs.y.data as Float32Array;
    const expected = [1, 3, -3, 2];
    if (y.length !== 4 || expected.some((value, i) => Math.abs(y[i] - value) > 1e-6)) {
      throw new Error(`probe inference returned [${Array.from(y).join(', ')}], expected [${expected.join(', ')}]`);
    }
  } finally {
    await session.release?.();
  }
  return { ok: true, ms: performance.now() - t0 };
}

/** A package's version from its package.json, found from its entry point (onnxruntime-web exports no ./package.json). */
export function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    for (let depth = 0; depth < 4; depth++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    }
  } catch {
    // not installed
  }
  return 'unknown';
}

const cores = () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);

/** WASM threads: as many as the native runtime would use, at most 8 (onnxruntime-web's useful range). */
export function wasmThreads(requested: number): number {
  if (requested > 0) return Math.min(requested, 16);
  return Math.max(1, Math.min(8, cores()));
}

/**
 * Native intra-op threads: as asked, else one per core. Left to itself (0) onnxruntime-node
 * ran IS-Net on one thread on the 2-core test machine: 2.0 s a run at 1024 px against 1.1 s
 * with 2 threads (python's onnxruntime likewise, 1.76 s against 0.91 s; bench:peers, README).
 */
export function nativeThreads(requested: number): number {
  return requested > 0 ? requested : Math.max(1, cores());
}

function loadNative(): Backend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as Ort;
  return { name: 'native', library: 'onnxruntime-node', ort, version: packageVersion('onnxruntime-node'), threads: 0 };
}

function loadWasm(threads: number): Backend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-web') as Ort;
  const count = wasmThreads(threads);
  ort.env.wasm.numThreads = count;
  return { name: 'wasm', library: 'onnxruntime-web', ort, version: packageVersion('onnxruntime-web'), threads: count };
}

/** The first line of a load error: musl's "Error relocating ...: symbol not found", a missing file... */
function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0].trim();
}

/** How each library is loaded; tests replace them to see every path of the choice. */
export interface BackendLoaders {
  native: () => Backend;
  wasm: (threads: number) => Backend;
}
const LOADERS: BackendLoaders = { native: loadNative, wasm: loadWasm };

async function tryBackend(load: () => Backend): Promise<Backend> {
  const backend = load();
  await probeBackend(backend);
  return backend;
}

/**
 * The backend for a choice: `native` or `wasm` as asked (an error when it does not work),
 * `auto` native when its library loads and runs, else WASM with a warning saying why.
 * Each is loaded and probed once per thread.
 */
const loaded = new LoadOnce<Backend>();
export function loadBackend(choice: RuntimeChoice, threads = 0): Promise<Backend> {
  return loaded.get(`${choice}|${threads}`, () => selectBackend(choice, threads, LOADERS));
}

export async function selectBackend(choice: RuntimeChoice, threads: number, loaders: BackendLoaders): Promise<Backend> {
  if (choice === 'wasm') {
    try {
      return await tryBackend(() => loaders.wasm(threads));
    } catch (error) {
      throw new EngineError('RUNTIME_UNAVAILABLE', `BG_RUNTIME=wasm: onnxruntime-web does not run here: ${firstLine(error)}`, { cause: error });
    }
  }
  let nativeReason: string;
  try {
    return await tryBackend(loaders.native);
  } catch (error) {
    nativeReason = firstLine(error);
    if (choice === 'native') {
      throw new EngineError(
        'RUNTIME_UNAVAILABLE',
        `BG_RUNTIME=native: onnxruntime-node does not run here (${nativeReason}). Its binaries need glibc (Debian/Ubuntu); on Alpine/musl use BG_RUNTIME=auto or wasm`,
        { cause: error },
      );
    }
  }
  try {
    const backend = await tryBackend(() => loaders.wasm(threads));
    backend.fallbackReason = nativeReason;
    backend.warning =
      `onnxruntime-node cannot run on this system (${nativeReason}); running the same models on onnxruntime-web (WASM, ${backend.threads} threads) instead: ` +
      'masks are the same, inference takes about 3-4x as long and GPUs are not used. ' +
      'For full speed run n8n on a glibc image (docker/README.md); BG_RUNTIME=wasm chooses WASM without this warning.';
    return backend;
  } catch (error) {
    throw new EngineError('RUNTIME_UNAVAILABLE', `No inference backend runs here: onnxruntime-node: ${nativeReason}; onnxruntime-web: ${firstLine(error)}`, {
      cause: error,
    });
  }
}
