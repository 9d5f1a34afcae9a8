import path from 'node:path';

import { renderBackdrop } from '../../compose/backdrop';
import { compositeOver } from '../../compose/over';
import { readEngineConfig } from '../../core/config';
import { EngineError } from '../../core/errors';
import { asBuffer, resizeMask, sharpFromRaw, toRaw } from '../../image/raw';
import type { AlphaMask, RawImage } from '../../image/types';
import { SUBJECT_ALPHA } from '../../image/types';
import { boxBlur } from '../../matte/boxBlur';
import type { BackdropRequest, BackgroundEngine, EngineOutput } from '../engine';
import { readSdxlLayout } from './modelDir';
import { sharedSdxlRunner } from './runner';

/**
 * Local SDXL on the worker's own GPU (or CPU), from an ONNX export on disk.
 * "outpaint" (default): the photo's product stays where it is, SDXL repaints everything
 * around it (the inverse of its alpha, grown a few pixels into the edge), and the original
 * product is composited back through the compositor. "backdrop": SDXL paints the empty
 * scene from the prompt, the product is placed on it like on a studio backdrop.
 */

/** Pixels the repaint region reaches into the subject, at generation size: the old background's fringe goes. */
export const OUTPAINT_GROW_PX = 4;

/** SDXL's native sizes: about resolution^2 pixels, both sides multiples of 64, the picture's aspect kept. */
export function sdxlSize(width: number, height: number, resolution: number): { width: number; height: number } {
  const scale = resolution / Math.sqrt(width * height);
  const side = (value: number) => Math.max(256, Math.min(2048, Math.round((value * scale) / 64) * 64));
  return { width: side(width), height: side(height) };
}

function modelDirFor(request: Pick<BackdropRequest, 'sdxl'>): string {
  const config = readEngineConfig();
  const dir = request.sdxl.modelDir?.trim() || config.sdxl.modelDir;
  if (!dir) {
    const id = config.sdxl.modelId ?? 'stabilityai/stable-diffusion-xl-base-1.0';
    throw new EngineError(
      'MODEL_NOT_FOUND',
      `The sdxl engine needs an ONNX export of SDXL on disk: set SDXL_MODEL_DIR or the node's SDXL Model Directory (export ${id} once with: optimum-cli export onnx --model ${id} DIR)`,
    );
  }
  return path.resolve(dir);
}

/** The region to repaint at generation size: not subject, grown into the subject's edge. */
export function outpaintMask(alpha: AlphaMask, growPx = OUTPAINT_GROW_PX): Uint8Array {
  const subject = new Float32Array(alpha.data.length);
  for (let i = 0; i < subject.length; i++) subject[i] = alpha.data[i] >= SUBJECT_ALPHA ? 1 : 0;
  // A pixel stays (0) only when its whole (2r+1)^2 window is subject: an erosion by a box filter.
  const kept = growPx > 0 ? boxBlur(subject, alpha.width, alpha.height, growPx) : subject;
  const mask = new Uint8Array(subject.length);
  for (let i = 0; i < mask.length; i++) mask[i] = kept[i] > 0.9999 ? 0 : 1;
  return mask;
}

async function resized(image: RawImage, width: number, height: number): Promise<RawImage> {
  return toRaw(sharpFromRaw(image).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }));
}

export const sdxlEngine: BackgroundEngine = {
  name: 'sdxl',
  generative: true,
  strategies: ['outpaint', 'backdrop'],
  check(request) {
    readSdxlLayout(modelDirFor(request), request.strategy === 'outpaint');
  },
  async render(request: BackdropRequest): Promise<EngineOutput> {
    const config = readEngineConfig();
    const modelDir = modelDirFor(request);
    const outpaint = request.strategy === 'outpaint';
    const size = sdxlSize(request.width, request.height, config.sdxl.resolution);
    let image: Uint8Array | undefined;
    let mask: Uint8Array | undefined;
    if (outpaint) {
      // The product over the preset's studio backdrop: at strength < 1 its floor and wall guide the scene.
      const studio = await renderBackdrop(request.backdrop, request.width, request.height);
      const picture = await resized(compositeOver(request.subject, request.alpha, studio), size.width, size.height);
      image = new Uint8Array(picture.data);
      mask = outpaintMask(await resizeMask(request.alpha, size.width, size.height));
    }
    const scheduler = request.sdxl.scheduler ?? config.sdxl.scheduler;
    const log = request.context.log;
    const started = performance.now();
    const run = await sharedSdxlRunner(config.sdxl.concurrency).generate(
      {
        prompt: request.prompt,
        negativePrompt: request.negativePrompt,
        width: size.width,
        height: size.height,
        steps: request.generation.steps,
        guidanceScale: request.generation.guidanceScale,
        guidanceRescale: request.sdxl.guidanceRescale,
        seed: request.seed,
        scheduler,
        strength: request.sdxl.strength,
        image,
        mask,
      },
      {
        modelDir,
        device: config.device,
        threads: config.inferenceThreads,
        signal: request.context.signal,
        onStep: log ? (report) => log(`SDXL step ${report.step}/${report.steps} (${(report.elapsedMs / 1000).toFixed(1)} s)`) : undefined,
      },
    );
    for (const warning of run.warnings) log?.(`SDXL: ${warning}`);
    const seconds = (performance.now() - started) / 1000;
    const generated: RawImage = {
      data: asBuffer(run.image),
      width: size.width,
      height: size.height,
      channels: 3,
    };
    return {
      image: await resized(generated, request.width, request.height),
      final: false,
      details: {
        model: path.basename(modelDir),
        strategy: request.strategy,
        scheduler,
        steps: run.stepsRun,
        strength: outpaint ? request.sdxl.strength : 1,
        size: `${size.width}x${size.height}`,
        provider: run.provider,
        seconds: Math.round(seconds * 100) / 100,
        secondsPerStep: Math.round((run.timings.denoiseMs / 1000 / Math.max(1, run.stepsRun)) * 1000) / 1000,
      },
    };
  },
};
