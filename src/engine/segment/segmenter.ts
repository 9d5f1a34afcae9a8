import sharp from 'sharp';

import path from 'node:path';

import { type Device, type ModelPrecision, readEngineConfig } from '../core/config';
import { asBuffer } from '../image/raw';
import type { AlphaMask, RawImage } from '../image/types';
import { guidedUpsampleInPool } from '../matte/guidedTask';
import { snapMatte } from '../matte/snap';
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
  /** The model's arithmetic on CPU and WASM (EngineConfig.modelPrecision); fp32 when not given. */
  precision?: ModelPrecision;
  /** Called once per distinct warning (e.g. CUDA missing, running on CPU). */
  warn?: (message: string) => void;
  /** Where an fp32 copy of an fp16 model is kept (default BG_MODEL_CACHE_DIR). */
  cacheDir?: string;
  /** Drops the inference while it waits for a pool thread. */
  signal?: AbortSignal;
  /**
   * How the model's matte is brought to the photo's size: guided by the photo (default: see
   * matte/guidedUpsample.ts; photos larger than the model's input only), smooth (Mitchell
   * alone) or linear (what plain pipelines do).
   */
  upscale?: Upscale;
}

export interface Segmentation {
  mask: AlphaMask;
  /** The matte was fitted to the photo's edges (guided upsampling ran). */
  guided: boolean;
  backend: SegmentResult['backend'];
  provider: ExecutionProvider;
  timings: { resizeMs: number; inferenceMs: number; prepareMs: number; upscaleMs: number };
}

export const UPSCALES = ['guided', 'smooth', 'linear'] as const;
export type Upscale = (typeof UPSCALES)[number];

/**
 * The guided filter's window radius in the model's pixels: about the blur of its matte, so a
 * part a model pixel wide is fitted against the photo around it (bench:thin: radius 2-4
 * model pixels scored alike, 6 started to round corners off).
 */
export const GUIDED_RADIUS = 2.5;
/** Colour variance (0..1) the guided fit is regularised by: edges fainter than about 3 levels of 255 do not steer the matte. */
export const GUIDED_EPSILON = 1e-4;

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
    precision: options.precision ?? 'fp32',
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
  const upscaled = await sharp(asBuffer(result.mask), {
    raw: { width: size, height: size, channels: 1 },
  })
    .resize(image.width, image.height, { fit: 'fill', kernel: options.upscale === 'linear' ? 'linear' : 'mitchell' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const upscale = options.upscale ?? 'guided';
  // Only an upscale needs the photo: a photo at or under the model's size was seen whole.
  const enlarged = Math.max(image.width, image.height) > size;
  const mask = upscale === 'guided' && enlarged ? await guide(upscaled, image, size, options.signal) : upscaled;
  const t3 = performance.now();
  return {
    mask: { data: mask, width: image.width, height: image.height },
    guided: upscale === 'guided' && enlarged,
    backend: result.backend,
    provider: result.provider,
    timings: { resizeMs: t1 - t0, inferenceMs: t2 - t1, prepareMs: result.timings.prepareMs, upscaleMs: t3 - t2 },
  };
}

/** The upscaled matte, snapped (flat regions stay exact) and fitted to the photo's edges in the pool. */
async function guide(upscaled: Buffer, image: RawImage, modelSize: number, signal?: AbortSignal): Promise<Buffer> {
  const snapped = snapMatte({ data: upscaled, width: image.width, height: image.height }).data;
  const scale = Math.max(image.width, image.height) / modelSize;
  const guided = await guidedUpsampleInPool({
    signal,
    width: image.width,
    height: image.height,
    channels: image.channels,
    image: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length),
    // A copy of its own: a small Buffer lives in Node's shared pool, which must not be moved.
    matte: new Uint8Array(snapped),
    radius: Math.max(2, Math.round(GUIDED_RADIUS * scale)),
    epsilon: GUIDED_EPSILON,
  });
  return asBuffer(guided);
}
