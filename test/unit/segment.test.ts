import path from 'node:path';
import sharp from 'sharp';

import { decodeImage } from '../../src/engine/image/decode';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { int8Unavailable } from '../../src/engine/segment/cpuModel';
import { resolveModel } from '../../src/engine/segment/model';
import { segmentImage } from '../../src/engine/segment/segmenter';
import { FIXTURES, iou, modelCacheDir, PHOTOS, readPhoto, referenceMask } from '../../testkit/fixtures';

afterAll(() => closeWorkerPool());

const model = () => resolveModel({ cacheDir: modelCacheDir() });
const options = () => ({ model: model(), runtime: 'native' as const, device: 'cpu' as const, threads: 0, graphOptimization: 'basic' as const });
/** The native masks, kept for the WASM comparison below (one model run per photo per backend). */
const nativeMasks = new Map<string, Uint8Array>();

describe('segmentation with the bundled IS-Net weights', () => {
  test.each(PHOTOS)('%s agrees with the reference mask (IoU >= 0.95 at alpha >= 128)', async (name) => {
    const { image } = await decodeImage(readPhoto(name));
    const { mask, backend } = await segmentImage(image, options());
    expect(backend).toBe('native');
    nativeMasks.set(name, mask.data);
    expect([mask.width, mask.height]).toEqual([image.width, image.height]);
    const score = iou(mask.data, await referenceMask(name));
    console.log(`IoU ${name}: ${score.toFixed(4)}`);
    expect(score).toBeGreaterThanOrEqual(0.95);
  });

  test('plant.jpg against its trimap: the model picks the clip, as the reference does', async () => {
    const { image } = await decodeImage(readPhoto('plant.jpg'));
    const { mask } = await segmentImage(image, options());
    const trimap = await sharp(path.join(FIXTURES, 'photos', 'plant_trimap.png'))
      .extractChannel(0)
      .raw()
      .toBuffer();
    let sureFg = 0;
    let sureFgHit = 0;
    let sureBg = 0;
    let sureBgHit = 0;
    for (let i = 0; i < trimap.length; i++) {
      if (trimap[i] === 255) {
        sureFg++;
        if (mask.data[i] >= 128) sureFgHit++;
      } else if (trimap[i] === 0) {
        sureBg++;
        if (mask.data[i] < 128) sureBgHit++;
      }
    }
    const fgRecall = sureFgHit / sureFg;
    const bgAccuracy = sureBgHit / sureBg;
    console.log(`plant.jpg vs trimap: sure-foreground recall ${fgRecall.toFixed(3)}, sure-background accuracy ${bgAccuracy.toFixed(3)}`);
    // Honest expectation: IS-Net keeps the background right but misses most of the plant.
    expect(bgAccuracy).toBeGreaterThan(0.95);
    expect(fgRecall).toBeLessThan(0.5);
  });

  test('the mask is smooth when upscaled from the model size (no 1024-px blocks)', async () => {
    const big = await sharp(readPhoto('apple.jpg')).resize(3072, 3072).png().toBuffer();
    const { image } = await decodeImage(big);
    const { mask } = await segmentImage(image, options());
    // Along a row crossing the edge, a blocky (nearest) upscale would repeat each value 3x
    // and jump in steps; a smooth one changes by small amounts from pixel to pixel.
    let maxStep = 0;
    let transitions = 0;
    for (let y = 0; y < mask.height; y += 97) {
      for (let x = 1; x < mask.width; x++) {
        const step = Math.abs(mask.data[y * mask.width + x] - mask.data[y * mask.width + x - 1]);
        if (step > 0) transitions++;
        maxStep = Math.max(maxStep, step);
      }
    }
    expect(transitions).toBeGreaterThan(0);
    expect(maxStep).toBeLessThan(128);
  });
});

describe('int8 (BG_MODEL_PRECISION=int8): the bundled model with integer convolutions', () => {
  const int8 = () => ({ ...options(), graphOptimization: 'all' as const, precision: 'int8' as const });
  const int8Masks = new Map<string, Uint8Array>();

  test('the bundled model has calibrated ranges (recalibrate with npm run calibrate:int8 when it changes)', () => {
    expect(int8Unavailable('int8', model().sha256, 'cpu')).toBeUndefined();
  });

  // bench:precision measures the whole pipeline on more photos and scenes; this guards the model form.
  test.each(PHOTOS)('%s: the int8 mask agrees with fp32 (IoU >= 0.98) and the reference (>= 0.95)', async (name) => {
    const { image } = await decodeImage(readPhoto(name));
    const { mask } = await segmentImage(image, int8());
    int8Masks.set(name, mask.data);
    const fp32 = nativeMasks.get(name) ?? (await segmentImage(image, options())).mask.data;
    const [toFp32, toReference] = [iou(mask.data, fp32), iou(mask.data, await referenceMask(name))];
    console.log(`int8 ${name}: IoU to fp32 ${toFp32.toFixed(4)}, to the reference ${toReference.toFixed(4)}`);
    expect(toFp32).toBeGreaterThanOrEqual(0.98);
    expect(toReference).toBeGreaterThanOrEqual(0.95);
  });

  test('the int8 form runs on WASM too, with the same mask', async () => {
    const { image } = await decodeImage(readPhoto('apple.jpg'));
    const wasm = await segmentImage(image, { ...int8(), runtime: 'wasm' });
    expect(wasm.backend).toBe('wasm');
    const native = int8Masks.get('apple.jpg') ?? (await segmentImage(image, int8())).mask.data;
    expect(iou(wasm.mask.data, native)).toBeGreaterThanOrEqual(0.99);
  }, 600_000);
});

describe('the WASM backend (onnxruntime-web) runs the same weights', () => {
  // A few seconds per photo on 2 cores; the limit only stops a hang, it times nothing.
  test.each(PHOTOS)(
    '%s: the WASM mask agrees with the native one (IoU >= 0.99)',
    async (name) => {
      const { image } = await decodeImage(readPhoto(name));
      const wasm = await segmentImage(image, { ...options(), runtime: 'wasm' });
      expect([wasm.backend, wasm.provider]).toEqual(['wasm', 'wasm']);
      const native = nativeMasks.get(name) ?? (await segmentImage(image, options())).mask.data;
      const score = iou(wasm.mask.data, native);
      let largest = 0;
      for (let i = 0; i < native.length; i++) largest = Math.max(largest, Math.abs(native[i] - wasm.mask.data[i]));
      console.log(
        `WASM vs native ${name}: IoU ${score.toFixed(4)}, largest alpha difference ${largest}/255, inference ${wasm.timings.inferenceMs.toFixed(0)} ms`,
      );
      expect(score).toBeGreaterThanOrEqual(0.99);
    },
    600_000,
  );
});
