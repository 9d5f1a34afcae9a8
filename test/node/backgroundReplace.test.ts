import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

import { BackgroundPreset } from '../../nodes/BackgroundPreset/BackgroundPreset.node';
import { BackgroundReplace } from '../../nodes/BackgroundReplace/BackgroundReplace.node';
import { writeTinySdxl } from '../../testkit/tinySdxl';
import { closeSdxlRunner } from '../../src/engine/generate/sdxl/runner';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { binaryItem, fakeExecuteFunctions } from '../../testkit/fakeExecuteFunctions';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';
import { RunwayTestServer } from '../../testkit/runwayServer';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

describe('Background Preset node', () => {
  test('Get merges the resolved preset into each item; bad input is a clear error', async () => {
    const { context } = fakeExecuteFunctions({
      items: [{ json: { mediaId: 1 } }, { json: { mediaId: 2 } }],
      parameters: (name, i) => ({ operation: 'get', preset: 'vitrinealu', promptType: i === 0 ? 'garden' : 'beach', options: {} })[name],
      continueOnFail: true,
    });
    const [out] = await new BackgroundPreset().execute.call(context);
    expect(out[0].json).toMatchObject({ mediaId: 1, backgroundPreset: { preset: 'vitrinealu', promptType: 'garden', generation: { steps: 25 } } });
    expect(out[1].json.error).toMatch(/no prompt type "beach" \(valid: studio, garden, minimal, lifestyle\)/);
    expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
  });

  test('List returns every preset and prompt type, custom ones included', async () => {
    const custom = JSON.stringify({ name: 'acme', promptTypes: { white: { prompt: 'plain white', backdrop: { type: 'solid', color: '#ffffff' } } } });
    const { context } = fakeExecuteFunctions({ items: [{ json: {} }], parameters: { operation: 'list', options: { customPresets: custom } } });
    const [out] = await new BackgroundPreset().execute.call(context);
    expect(out.map((item) => `${item.json.preset}/${item.json.promptType}`)).toContain('acme/white');
    expect(out).toHaveLength(5);
  });
});

describe('Background Replace node', () => {
  test('uses the upstream backgroundPreset and returns the sidecar block of the old background service', async () => {
    const presetContext = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { mediaId: 7 })],
      parameters: { operation: 'get', preset: '', promptType: 'lifestyle', options: {} },
    });
    const [withPreset] = await new BackgroundPreset().execute.call(presetContext.context);
    const { context } = fakeExecuteFunctions({
      items: withPreset,
      parameters: {
        binaryPropertyName: 'data',
        engine: 'studio',
        preset: '',
        promptType: '',
        outputBinaryPropertyName: 'data',
        options: { aspectRatio: '4:5', padding: '6%' },
      },
    });
    const [[out]] = await new BackgroundReplace().execute.call(context);
    const background = out.json.background as Record<string, unknown>;
    expect(out.json.mediaId).toBe(7);
    expect(background).toMatchObject({ mode: 'replace', engine: 'studio', promptType: 'lifestyle', fileName: 'apple-replaced.jpg' });
    expect(Object.keys(background.settings as object).sort()).toEqual(['enhanceFg', 'featherEdges', 'guidanceScale', 'matchColors', 'steps']);
    expect(background.processedAt).toEqual(expect.any(String));
    expect(background.prompt).toMatch(/living space/);
    const meta = await sharp(Buffer.from(out.binary!.data.data, 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 410, height: 512 });
  });

  test("a malformed upstream backgroundPreset is refused naming its field; the node's own Prompt Type wins over it", async () => {
    const broken = { preset: 'vitrinealu', promptType: 'garden', prompt: 42 };
    const items = [binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { backgroundPreset: broken as never })];
    const parameters = (promptType: string) => ({
      binaryPropertyName: 'data',
      engine: 'studio',
      preset: '',
      promptType,
      outputBinaryPropertyName: 'data',
      options: { backgroundColor: '#ffffff' },
    });
    const refused = fakeExecuteFunctions({ items, parameters: parameters(''), continueOnFail: true });
    const [[failed]] = await new BackgroundReplace().execute.call(refused.context);
    expect(failed.json.error).toMatch(/Item 0 \(apple\.jpg\): backgroundPreset \(from the item\): prompt: Expected string, received number/);
    const own = fakeExecuteFunctions({ items, parameters: parameters('minimal') });
    const [[out]] = await new BackgroundReplace().execute.call(own.context);
    expect(out.json.background).toMatchObject({ promptType: 'minimal' });
  });

  test('continue-on-fail: a broken photo and a bad option fail alone', async () => {
    const { context } = fakeExecuteFunctions({
      items: [
        binaryItem(Buffer.from('nope'), 'broken.jpg'),
        binaryItem(readPhoto('butterfly.jpg'), 'butterfly.jpg'),
        binaryItem(readPhoto('apple.jpg'), 'apple.jpg'),
      ],
      parameters: (name, i) =>
        ({
          binaryPropertyName: 'data',
          engine: 'studio',
          preset: '',
          promptType: '',
          outputBinaryPropertyName: 'data',
          options: i === 2 ? { padding: '70%' } : { shadow: 'both' },
        })[name],
      continueOnFail: true,
    });
    const [out] = await new BackgroundReplace().execute.call(context);
    expect(out[0].json.error).toMatch(/Item 0 \(broken\.jpg\): Not an image/);
    expect(out[1].json.background).toMatchObject({ shadow: ['contact', 'drop'] });
    expect(out[2].json.error).toMatch(/Item 2 \(apple\.jpg\): Padding 70% leaves no room/);
  });
});

describe('Background Replace node with engine sdxl (tiny ONNX export on CPU)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-sdxl-node-'));
  beforeAll(() => writeTinySdxl(dir));
  afterAll(async () => {
    await closeSdxlRunner();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('outpaints around the product, logs each step, records the engine details; a missing model directory fails alone', async () => {
    const { context, infos } = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg'), binaryItem(readPhoto('apple.jpg'), 'apple2.jpg', 'image/jpeg')],
      parameters: (name, i) =>
        ({
          binaryPropertyName: 'data',
          engine: 'sdxl',
          strategy: 'outpaint',
          sdxlModelDir: i === 0 ? dir : path.join(dir, 'missing'),
          preset: '',
          promptType: 'garden',
          outputBinaryPropertyName: 'data',
          options: { steps: 4, scheduler: 'dpmpp-2m-karras', seed: 5 },
        })[name],
      continueOnFail: true,
    });
    const [out] = await new BackgroundReplace().execute.call(context);
    const background = out[0].json.background as Record<string, unknown>;
    expect(background).toMatchObject({
      engine: 'sdxl',
      strategy: 'outpaint',
      seed: 5,
      settings: { steps: 4 },
      engineDetails: { scheduler: 'dpmpp-2m-karras', steps: 4, provider: 'cpu', strategy: 'outpaint' },
    });
    expect(infos.filter((line) => /^SDXL step \d\/4/.test(line))).toHaveLength(4);
    expect(out[1].json.error).toMatch(/Item 1 \(apple2\.jpg\): SDXL model directory not found: .*missing/);
  });
});

describe('Background Replace node with engine runway (loopback Runway server)', () => {
  let server: RunwayTestServer;
  let cutout: Buffer;
  const exact = { format: 'png', matchColors: false, enhanceFg: false, featherEdges: false, seeThrough: 'off', shadow: 'none' };
  const run = async (parameters: Record<string, unknown>, items = [binaryItem(cutout, 'coffee-cutout.png', 'image/png')], credentials = true) => {
    const { context } = fakeExecuteFunctions({
      items,
      parameters: {
        binaryPropertyName: 'data',
        engine: 'runway',
        strategy: 'backdrop',
        runwayModel: 'gen4_image',
        preset: '',
        promptType: 'garden',
        outputBinaryPropertyName: 'data',
        options: exact,
        ...parameters,
      },
      continueOnFail: true,
      credentials: credentials ? { runwayApi: { apiKey: server.apiKey, baseUrl: server.url, apiVersion: '2024-11-06' } } : {},
    });
    const [out] = await new BackgroundReplace().execute.call(context);
    return out;
  };

  beforeAll(async () => {
    process.env.RUNWAY_POLL_INTERVAL = '20';
    process.env.BACKGROUND_RETRY_DELAY = '20';
    const { cleanupImage } = await import('../../src/engine/pipeline/cleanup');
    cutout = (await cleanupImage(readPhoto('coffee.png'), { mode: 'transparent' }, { config: { modelCacheDir: modelCacheDir(), device: 'cpu' } })).data;
  });
  beforeEach(async () => {
    server = await new RunwayTestServer().start();
  });
  afterEach(async () => {
    expect(server.violations).toEqual([]);
    await server.close();
  });
  afterAll(() => {
    delete process.env.RUNWAY_POLL_INTERVAL;
    delete process.env.BACKGROUND_RETRY_DELAY;
  });

  test('backdrop: Runway paints the scene, the product pixels stay exact, the key stays out of the JSON', async () => {
    const [item] = await run({});
    const background = item.json.background as Record<string, unknown>;
    expect(background).toMatchObject({ engine: 'runway', strategy: 'backdrop', promptType: 'garden', backdrop: 'runway: vitrinealu/garden' });
    expect(background.engineDetails).toMatchObject({ model: 'gen4_image', ratio: expect.any(String), createAttempts: 1 });
    expect(JSON.stringify(item.json)).not.toContain(server.apiKey);
    const [create] = server.creates();
    const body = create.body as { promptText: string; ratio: string; seed: number; referenceImages?: unknown };
    expect(body.promptText).toMatch(/garden/);
    expect(body.promptText).toMatch(/Avoid: /);
    expect(body.referenceImages).toBeUndefined();
    expect(body.seed).toBe(background.seed);

    const source = await sharp(cutout).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const out = await sharp(Buffer.from(item.binary!.data.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
    expect([out.info.width, out.info.height]).toEqual([source.info.width, source.info.height]);
    let opaque = 0;
    let changed = 0;
    let clear = 0;
    let notScene = 0;
    for (let i = 0; i < source.info.width * source.info.height; i++) {
      const alpha = source.data[i * 4 + 3];
      if (alpha === 255) {
        opaque++;
        for (let c = 0; c < 3; c++) if (out.data[i * 3 + c] !== source.data[i * 4 + c]) changed++;
      } else if (alpha === 0) {
        // Where the photo had no product, the picture is Runway's scene (the server paints 96,140,88).
        clear++;
        if (out.data[i * 3] !== 96 || out.data[i * 3 + 1] !== 140 || out.data[i * 3 + 2] !== 88) notScene++;
      }
    }
    expect(opaque).toBeGreaterThan(50_000);
    expect(changed).toBe(0);
    expect(clear).toBeGreaterThan(50_000);
    expect(notScene).toBe(0);
  });

  test("creative: the cut-out goes as reference @product and Runway's whole picture comes back", async () => {
    const [item] = await run({ strategy: 'creative', runwayModel: 'gen4_image_turbo' });
    expect(item.json.background).toMatchObject({ engine: 'runway', strategy: 'creative', shadow: [], colorShift: 0 });
    const body = server.creates()[0].body as { model: string; promptText: string; referenceImages: Array<{ uri: string; tag: string }> };
    expect(body.model).toBe('gen4_image_turbo');
    expect(body.promptText.startsWith('@product ')).toBe(true);
    expect(body.referenceImages).toHaveLength(1);
    expect(body.referenceImages[0].tag).toBe('product');
    expect(body.referenceImages[0].uri.startsWith('data:image/png;base64,')).toBe(true);
    const { data, info } = await sharp(Buffer.from(item.binary!.data.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
    const centre = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * 3;
    expect([...data.subarray(centre, centre + 3)]).toEqual([96, 140, 88]);
  });

  test('moderation, a missing credential and turbo without a reference: clear errors per item', async () => {
    server.plan = () => ({ steps: [{ failed: 'SAFETY.INPUT.TEXT', failure: 'Prompt flagged' }] });
    const [refused] = await run({});
    expect(refused.json.error).toMatch(/Item 0 \(coffee-cutout\.png\): Runway's content moderation refused the prompt .*SAFETY\.INPUT\.TEXT/);
    expect(refused.json.details).toMatchObject({ errorCode: 'API_MODERATION', itemIndex: 0, fileName: 'coffee-cutout.png' });
    expect(refused.binary).toBeDefined();
    const [turbo] = await run({ runwayModel: 'gen4_image_turbo' });
    expect(turbo.json.error).toMatch(/gen4_image_turbo needs a reference image/);
    const [missing] = await run({}, undefined, false);
    expect(missing.json.error).toMatch(/credentials set for "runwayApi"/);
    expect(server.creates()).toHaveLength(1);
  });
});
