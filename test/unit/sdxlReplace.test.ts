import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

import { writeTinySdxl } from '../../testkit/tinySdxl';
import { cleanupImage } from '../../src/engine/pipeline/cleanup';
import { outpaintMask, sdxlSize } from '../../src/engine/generate/sdxl/engine';
import { closeSdxlRunner } from '../../src/engine/generate/sdxl/runner';
import { replaceBackground } from '../../src/engine/pipeline/replace';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-sdxl-replace-'));
beforeAll(() => writeTinySdxl(dir));
afterAll(async () => {
  await Promise.all([closeWorkerPool(), closeSdxlRunner()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
const context = () => ({ config: { modelCacheDir: modelCacheDir(), device: 'cpu' as const } });
const exact = { matchColors: false, enhanceFg: false, featherEdges: false, seeThrough: 'off' as const, shadow: 'none' as const, format: 'png' as const };

describe('Background Replace with engine sdxl', () => {
  let cutout: Buffer;
  beforeAll(async () => {
    cutout = (await cleanupImage(readPhoto('coffee.png'), { mode: 'transparent' }, context())).data;
  });

  test.each(['outpaint', 'backdrop'] as const)('%s: the product pixels are exact after the final composite, the scene is generated', async (strategy) => {
    const result = await replaceBackground(cutout, { ...exact, engine: 'sdxl', strategy, sdxlModelDir: dir, steps: 5, seed: 11 }, context());
    expect(result.metadata).toMatchObject({ engine: 'sdxl', strategy, seed: 11, engineDetails: { strategy, steps: 5, size: '1280x832', provider: 'cpu' } });
    const source = await sharp(cutout).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const { data } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true });
    const studio = await sharp((await replaceBackground(cutout, { ...exact, engine: 'studio' }, context())).data)
      .raw()
      .toBuffer();
    let opaque = 0;
    let differentScene = 0;
    for (let i = 0; i < source.info.width * source.info.height; i++) {
      const a = source.data[i * 4 + 3];
      if (a === 255) {
        opaque++;
        for (let c = 0; c < 3; c++) expect(data[i * 3 + c]).toBe(source.data[i * 4 + c]);
      } else if (a === 0 && data[i * 3] !== studio[i * 3]) differentScene++;
    }
    expect(opaque).toBeGreaterThan(50_000);
    expect(differentScene).toBeGreaterThan(100_000);
  });

  test('defaults to outpaint; no model directory, a wrong strategy or a missing encoder fail before segmentation', async () => {
    const previous = process.env.SDXL_MODEL_DIR;
    process.env.SDXL_MODEL_DIR = dir;
    try {
      const result = await replaceBackground(cutout, { ...exact, engine: 'sdxl', steps: 2 }, context());
      expect(result.metadata.strategy).toBe('outpaint');
      delete process.env.SDXL_MODEL_DIR;
      await expect(replaceBackground(cutout, { ...exact, engine: 'sdxl' }, context())).rejects.toThrow(
        /needs an ONNX export of SDXL on disk: set SDXL_MODEL_DIR .*optimum-cli export onnx --model stabilityai\/stable-diffusion-xl-base-1\.0/,
      );
      await expect(replaceBackground(cutout, { ...exact, engine: 'sdxl', strategy: 'creative', sdxlModelDir: dir }, context())).rejects.toThrow(
        /The sdxl engine has no "creative" strategy \(it offers outpaint, backdrop\)/,
      );
      const noEncoder = writeTinySdxl(path.join(dir, '..', `${path.basename(dir)}-no-encoder`), { omit: ['vae_encoder/model.onnx'] });
      // Not even an image: the engine's check answers before the photo is decoded or segmented.
      await expect(replaceBackground(Buffer.from('not an image'), { ...exact, engine: 'sdxl', sdxlModelDir: noEncoder }, context())).rejects.toThrow(
        /missing vae_encoder\/model\.onnx/,
      );
      await expect(
        replaceBackground(Buffer.from('not an image'), { ...exact, engine: 'sdxl', strategy: 'backdrop', sdxlModelDir: noEncoder }, context()),
      ).rejects.toThrow(/Not an image/);
      fs.rmSync(noEncoder, { recursive: true, force: true });
    } finally {
      if (previous === undefined) delete process.env.SDXL_MODEL_DIR;
      else process.env.SDXL_MODEL_DIR = previous;
    }
  });
});

describe('SDXL geometry', () => {
  test('native sizes: about 1 MP, multiples of 64, aspect kept', () => {
    expect(sdxlSize(4000, 3000, 1024)).toEqual({ width: 1152, height: 896 });
    expect(sdxlSize(1000, 1000, 1024)).toEqual({ width: 1024, height: 1024 });
    expect(sdxlSize(3000, 4000, 1024)).toEqual({ width: 896, height: 1152 });
    expect(sdxlSize(800, 1200, 512)).toEqual({ width: 448, height: 640 });
  });

  test('the repaint mask is everything but the subject, grown into its edge', () => {
    const alpha = Buffer.alloc(40 * 40);
    for (let y = 10; y < 30; y++) for (let x = 10; x < 30; x++) alpha[y * 40 + x] = 255;
    const mask = outpaintMask({ data: alpha, width: 40, height: 40 }, 3);
    expect(mask[0]).toBe(1);
    expect(mask[20 * 40 + 20]).toBe(0);
    expect(mask[20 * 40 + 12]).toBe(1); // within 3 px of the edge: repainted
    expect(mask[20 * 40 + 13]).toBe(0);
  });
});
