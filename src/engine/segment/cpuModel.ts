import fs from 'node:fs';
import path from 'node:path';

import type { ModelPrecision } from '../core/config';
import { writeFileAtomic } from '../core/atomicWrite';
import type { ExecutionProvider } from '../runtime/backend';
import { keepFirstOutput, outputCount } from '../runtime/firstOutput';
import { quantizeConvs } from '../runtime/quantizeModel';
import { hasHalfWeights, widenModel } from '../runtime/widenModel';
import { INT8_RANGES } from './int8Ranges';

const plain = new Set<string>();

/**
 * The file a CPU or WASM session opens for a model: the model itself, or a copy made once in
 * the cache folder and named after the model's sha256 when it can run faster there: float16
 * weights widened exactly to float32 (runtime/widenModel.ts: x86 CPUs have no fast float16),
 * and only the first output kept (runtime/firstOutput.ts: the matte; the engine reads nothing
 * else). With precision int8, and calibrated ranges for the model (int8Ranges.ts), that copy's
 * convolutions in int8 (runtime/quantizeModel.ts). CUDA keeps the file as it is (float16 is
 * fast there).
 */
export async function cpuModelFile(modelPath: string, sha256: string, cacheDir: string, precision: ModelPrecision = 'fp32'): Promise<string> {
  const ranges = precision === 'int8' ? INT8_RANGES[sha256] : undefined;
  const copy = path.join(cacheDir, `${sha256.slice(0, 16)}-${ranges ? 'int8' : 'cpu'}.onnx`);
  if (!ranges && plain.has(sha256)) return modelPath;
  if (fs.existsSync(copy)) return copy;
  const bytes = fs.readFileSync(modelPath);
  if (!ranges && !hasHalfWeights(bytes) && outputCount(bytes) <= 1) {
    plain.add(sha256);
    return modelPath;
  }
  const fp32 = keepFirstOutput(widenModel(bytes));
  fs.mkdirSync(cacheDir, { recursive: true });
  await writeFileAtomic(copy, ranges ? quantizeConvs(fp32, ranges).model : fp32);
  return copy;
}

/** Why int8 was asked for and not used, or undefined when it was used (or not asked for). */
export function int8Unavailable(precision: ModelPrecision, sha256: string, provider: ExecutionProvider): string | undefined {
  if (precision !== 'int8' || provider === 'cuda') return undefined;
  if (INT8_RANGES[sha256]) return undefined;
  return 'BG_MODEL_PRECISION=int8: no calibrated ranges for this model (only the bundled IS-Net has them, see README); running it in fp32';
}
