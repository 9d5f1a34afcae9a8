import sharp from 'sharp';

import path from 'node:path';

import { type Device, readEngineConfig } from '../core/config';
import type { AlphaMask, RawImage } from '../image/types';
import type { ExecutionProvider, RuntimeChoice } from '../runtime/backend';
import { getWorkerPool } from '../runtime/pool';
import type { ResolvedModel } from './model';
import type { SegmentRequest, SegmentResult } from './segmentTask';

const SEGMENT_TASKS = path.join(__dirname, 'segmentTask.js');

export interface SegmentOptions {
  model: ResolvedModel;
  /** BG_RUNTIME: onnxruntime-node, onnxruntime-web (WASM), or native with a WASM fallback (default). */
  runtime?: RuntimeChoice;
  device: Device;
  threads: number;
  graphOptimization: 'basic' | 'extended' | 'all';
  /** Called once per distinct warning (e.g. CUDA missing, running on CPU). */
  warn?: (message: string) => void;
  /** Where an fp32 copy of an fp16 model is kept (default BG_MODEL_CACHE_DIR). */
  cacheDir?: string;
  /** Drops the inference while it waits for a pool thread. */
  signal?: AbortSignal;
  /** How the model's matte is brought to the photo's size: smooth (Mitchell, default) or linear (what plain pipelines do). */
  upscale?: 'smooth' | 'linear';
}

export interface Segmentation {
  mask: AlphaMask;
  backend: SegmentResult['backend'];
  provider: ExecutionProvider;
  timings: { resizeMs: number; inferenceMs: number; prepareMs: number; upscaleMs: number };
}

const warned = new Set<string>();

/**
 * Runs the model on a photo and returns its alpha matte at the photo's full resolution.
 * Resizing happens in sharp (libvips threads); normalisation and inference in the worker
 * pool; the matte is upscaled with a smooth kernel so a 1024 px output has no blocks.
 */
export async function segmentImage(image: RawImage, options: SegmentOptions): Promise<Segmentation> {
  const size = options.model.family.inputSize;
  const t0 = performance.now();
  let input = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
    limitInputPixels: false,
  });
  // Transparent areas of an RGBA input carry arbitrary colour: show the model white there.
  if (image.channels === 4) input = input.flatten({ background: '#ffffff' });
  const pixels = await input.resize(size, size, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
  const t1 = performance.now();
  const request: SegmentRequest = {
    modelPath: options.model.path,
    modelSha256: options.model.sha256,
    cacheDir: options.cacheDir ?? readEngineConfig().modelCacheDir,
    runtime: options.runtime ?? 'auto',
    device: options.device,
    threads: options.threads,
    graphOptimization: options.graphOptimization,
    family: options.model.family,
    pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length).slice(),
  };
  const result = await getWorkerPool().run<SegmentResult>(SEGMENT_TASKS, 'segment', request, {
    transfer: [request.pixels.buffer as ArrayBuffer],
    signal: options.signal,
  });
  const t2 = performance.now();
  for (const warning of result.warnings) {
    if (!warned.has(warning)) {
      warned.add(warning);
      (options.warn ?? console.warn)(warning);
    }
  }
  const upscaled = await sharp(Buffer.from(result.mask.buffer, result.mask.byteOffset, result.mask.length), {
    raw: { width: size, height: size, channels: 1 },
  })
    .resize(image.width, image.height, { fit: 'fill', kernel: options.upscale === 'linear' ? 'linear' : 'mitchell' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const t3 = performance.now();
  return {
    mask: { data: upscaled, width: image.width, height: image.height },
    backend: result.backend,
    provider: result.provider,
    timings: { resizeMs: t1 - t0, inferenceMs: t2 - t1, prepareMs: result.timings.prepareMs, upscaleMs: t3 - t2 },
  };
}
