import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../core/atomicWrite';
import { keepFirstOutput, outputCount } from '../runtime/firstOutput';
import { hasHalfWeights, widenModel } from '../runtime/widenModel';

const plain = new Set<string>();

/**
 * The file a CPU or WASM session opens for a model: the model itself, or a copy made once in
 * the cache folder and named after the model's sha256 when it can run faster there: float16
 * weights widened exactly to float32 (runtime/widenModel.ts: x86 CPUs have no fast float16),
 * and only the first output kept (runtime/firstOutput.ts: the matte; the engine reads nothing
 * else). CUDA keeps the file as it is (float16 is fast there).
 */
export async function cpuModelFile(modelPath: string, sha256: string, cacheDir: string): Promise<string> {
  const copy = path.join(cacheDir, `${sha256.slice(0, 16)}-cpu.onnx`);
  if (plain.has(sha256)) return modelPath;
  if (fs.existsSync(copy)) return copy;
  const bytes = fs.readFileSync(modelPath);
  if (!hasHalfWeights(bytes) && outputCount(bytes) <= 1) {
    plain.add(sha256);
    return modelPath;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  await writeFileAtomic(copy, keepFirstOutput(widenModel(bytes)));
  return copy;
}
