import fs from 'node:fs';
import path from 'node:path';

import { writeFileAtomic } from '../core/atomicWrite';
import { hasHalfWeights, widenModel } from '../runtime/widenModel';

const plain = new Set<string>();

/**
 * The file a CPU or WASM session opens for a model: the model itself, or, when its weights are
 * float16, an exact float32 copy (runtime/widenModel.ts) made once in the cache folder and
 * named after the model's sha256. CUDA keeps the float16 file (fast there).
 */
export async function cpuModelFile(modelPath: string, sha256: string, cacheDir: string): Promise<string> {
  const widened = path.join(cacheDir, `${sha256.slice(0, 16)}-fp32.onnx`);
  if (plain.has(sha256)) return modelPath;
  if (fs.existsSync(widened)) return widened;
  const bytes = fs.readFileSync(modelPath);
  if (!hasHalfWeights(bytes)) {
    plain.add(sha256);
    return modelPath;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  await writeFileAtomic(widened, widenModel(bytes));
  return widened;
}
