import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { readEngineConfig } from '../../src/engine/core/config';
import { decodeImage } from '../../src/engine/image/decode';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { assembleChunkedModel, BUNDLED_RESOURCE } from '../../src/engine/segment/bundledModel';
import { resolveModel } from '../../src/engine/segment/model';
import { segmentImage } from '../../src/engine/segment/segmenter';
import { iou, modelCacheDir, readPhoto, referenceMask } from '../../testkit/fixtures';

afterAll(() => closeWorkerPool());

function chunkedPackage(parts: Buffer[]): string {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'chunks-'));
  let offset = 0;
  const chunks = parts.map((part) => {
    const hash = createHash('sha256').update(part).digest('hex');
    fs.writeFileSync(path.join(dist, hash), part);
    const entry = { hash, offsets: [offset, offset + part.length] };
    offset += part.length;
    return entry;
  });
  fs.writeFileSync(path.join(dist, 'resources.json'), JSON.stringify({ [BUNDLED_RESOURCE]: { chunks, size: offset, mime: 'application/octet-stream' } }));
  return dist;
}

describe('bundled weights: reassembled from hash-named chunks', () => {
  const parts = [Buffer.alloc(5000, 1), Buffer.alloc(3000, 2)];

  test('assembles, checks and caches', () => {
    const dist = chunkedPackage(parts);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-'));
    const model = assembleChunkedModel(dist, '9.9.9', cache);
    const whole = Buffer.concat(parts);
    expect(fs.readFileSync(model.path).equals(whole)).toBe(true);
    expect(model.sha256).toBe(createHash('sha256').update(whole).digest('hex'));
    // Second call: served from the cache even if the chunks vanished.
    for (const file of fs.readdirSync(dist)) if (file !== 'resources.json') fs.rmSync(path.join(dist, file));
    expect(assembleChunkedModel(dist, '9.9.9', cache).path).toBe(model.path);
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a damaged chunk is refused, naming it, and nothing half-written is left', () => {
    const dist = chunkedPackage(parts);
    const damaged = JSON.parse(fs.readFileSync(path.join(dist, 'resources.json'), 'utf8'))[BUNDLED_RESOURCE].chunks[1].hash;
    fs.writeFileSync(path.join(dist, damaged), Buffer.alloc(3000, 9));
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-'));
    expect(() => assembleChunkedModel(dist, '9.9.9', cache)).toThrow(new RegExp(`Model chunk ${damaged} is damaged`));
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  test('a missing chunk is named', () => {
    const dist = chunkedPackage(parts);
    const missing = JSON.parse(fs.readFileSync(path.join(dist, 'resources.json'), 'utf8'))[BUNDLED_RESOURCE].chunks[0].hash;
    fs.rmSync(path.join(dist, missing));
    expect(() => assembleChunkedModel(dist, '9.9.9', fs.mkdtempSync(path.join(os.tmpdir(), 'cache-')))).toThrow(/Model chunk .* is missing/);
  });

  test('the real package assembles to the pinned IS-Net fp16 weights', () => {
    const model = resolveModel({ cacheDir: modelCacheDir() });
    expect(model.bundled).toBe(true);
    expect(fs.statSync(model.path).size).toBe(88188479);
    expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('custom models and devices', () => {
  test('BG_MODEL_PATH: any rembg-style ONNX file, with its family', async () => {
    const bundled = resolveModel({ cacheDir: modelCacheDir() });
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-')), 'isnet-general-use.onnx');
    fs.copyFileSync(bundled.path, copy);
    const config = readEngineConfig({ BG_MODEL_PATH: copy });
    const custom = resolveModel({ modelPath: config.modelPath, cacheDir: config.modelCacheDir });
    expect(custom).toMatchObject({ bundled: false, name: 'isnet-general-use.onnx', sha256: bundled.sha256 });
    expect(custom.family.name).toBe('isnet'); // rembg's isnet: mean 0.5, std 1, min-max output
    const { image } = await decodeImage(readPhoto('apple.jpg'));
    const { mask } = await segmentImage(image, { model: custom, device: 'cpu', threads: 0, graphOptimization: 'basic' });
    expect(iou(mask.data, await referenceMask('apple.jpg'))).toBeGreaterThan(0.9);
  });

  test('a file that is not a model gives a clear error', async () => {
    const bogus = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-')), 'u2net.onnx');
    fs.writeFileSync(bogus, Buffer.alloc(4096, 7));
    const model = resolveModel({ modelPath: bogus, cacheDir: modelCacheDir() });
    expect(model.family.name).toBe('u2net');
    const { image } = await decodeImage(readPhoto('apple.jpg'));
    await expect(segmentImage(image, { model, device: 'cpu', threads: 0, graphOptimization: 'basic' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(`Cannot load ONNX model ${bogus}`),
    });
  });

  test('DEVICE=cuda without CUDA falls back to CPU with a logged warning', async () => {
    const model = resolveModel({ cacheDir: modelCacheDir() });
    const { image } = await decodeImage(readPhoto('apple.jpg'));
    const warnings: string[] = [];
    const result = await segmentImage(image, { model, device: 'cuda', threads: 0, graphOptimization: 'basic', warn: (m) => warnings.push(m) });
    expect(result.provider).toBe('cpu');
    expect(warnings).toEqual([expect.stringMatching(/DEVICE=cuda: CUDA execution provider unavailable .*running on CPU/)]);
  });

  test('environment variables are validated with the name in the message', () => {
    expect(() => readEngineConfig({ DEVICE: 'gpu' })).toThrow(/DEVICE="gpu" is invalid/);
    expect(() => readEngineConfig({ BG_MAX_MEGAPIXELS: 'lots' })).toThrow(/BG_MAX_MEGAPIXELS/);
    expect(readEngineConfig({ DEVICE: ' CUDA ' }).device).toBe('cuda');
    expect(readEngineConfig({}).inferenceWorkers).toBe(1);
    expect(readEngineConfig({ BG_INFERENCE_WORKERS: '3' }).inferenceWorkers).toBe(3);
    expect(() => readEngineConfig({ BG_INFERENCE_WORKERS: '12' })).toThrow(/BG_INFERENCE_WORKERS="12" is invalid/);
    expect(readEngineConfig({}).modelPrecision).toBe('fp32');
    expect(readEngineConfig({ BG_MODEL_PRECISION: ' INT8 ' }).modelPrecision).toBe('int8');
    expect(() => readEngineConfig({ BG_MODEL_PRECISION: 'int4' })).toThrow(/BG_MODEL_PRECISION="int4" is invalid: .*'fp32' \| 'int8'/);
  });
});
