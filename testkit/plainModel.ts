import { readEngineConfig } from '../src/engine/core/config';
import { decodeImage } from '../src/engine/image/decode';
import { resolveModel } from '../src/engine/segment/model';
import { segmentImage } from '../src/engine/segment/segmenter';

/**
 * The model alone: its matte brought to the photo's size bilinearly, no snapping, no
 * see-through (what a plain pipeline on the same weights gives: the benches' reference).
 */
export async function plainMatte(image: Buffer): Promise<Uint8Array> {
  const config = readEngineConfig();
  const decoded = await decodeImage(image, { maxPixels: config.maxPixels });
  const segmentation = await segmentImage(decoded.image, {
    model: resolveModel({ modelPath: config.modelPath, family: config.modelFamily, cacheDir: config.modelCacheDir }),
    runtime: config.runtime,
    device: config.device,
    threads: config.inferenceThreads,
    graphOptimization: config.graphOptimization,
    cacheDir: config.modelCacheDir,
    upscale: 'linear',
  });
  return segmentation.mask.data;
}
