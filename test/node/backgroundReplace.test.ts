import sharp from 'sharp';

import { BackgroundPreset } from '../../nodes/BackgroundPreset/BackgroundPreset.node';
import { BackgroundReplace } from '../../nodes/BackgroundReplace/BackgroundReplace.node';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { binaryItem, fakeExecuteFunctions } from '../helpers/fakeExecuteFunctions';
import { modelCacheDir, readPhoto } from '../helpers/fixtures';

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
  test('uses the upstream backgroundPreset and returns the seed sidecar block', async () => {
    const presetContext = fakeExecuteFunctions({
      items: [binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { mediaId: 7 })],
      parameters: { operation: 'get', preset: '', promptType: 'lifestyle', options: {} },
    });
    const [withPreset] = await new BackgroundPreset().execute.call(presetContext.context);
    const { context } = fakeExecuteFunctions({
      items: withPreset,
      parameters: { binaryPropertyName: 'data', engine: 'studio', preset: '', promptType: '', outputBinaryPropertyName: 'data', options: { aspectRatio: '4:5', padding: '6%' } },
    });
    const [[out]] = await new BackgroundReplace().execute.call(context);
    const background = out.json.background as Record<string, unknown>;
    expect(out.json.mediaId).toBe(7);
    expect(background).toMatchObject({ mode: 'replace', engine: 'studio', promptType: 'lifestyle', outJpg: 'apple-replaced.jpg' });
    expect(Object.keys(background.settings as object).sort()).toEqual(['enhanceFg', 'featherEdges', 'guidanceScale', 'matchColors', 'steps']);
    expect(background.processedAt).toEqual(expect.any(String));
    expect(background.prompt).toMatch(/living space/);
    const meta = await sharp(Buffer.from(out.binary!.data.data, 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 410, height: 512 });
  });

  test('continue-on-fail: a broken photo and a bad option fail alone', async () => {
    const { context } = fakeExecuteFunctions({
      items: [binaryItem(Buffer.from('nope'), 'broken.jpg'), binaryItem(readPhoto('butterfly.jpg'), 'butterfly.jpg'), binaryItem(readPhoto('apple.jpg'), 'apple.jpg')],
      parameters: (name, i) =>
        ({ binaryPropertyName: 'data', engine: 'studio', preset: '', promptType: '', outputBinaryPropertyName: 'data', options: i === 2 ? { padding: '70%' } : { shadow: 'both' } })[name],
      continueOnFail: true,
    });
    const [out] = await new BackgroundReplace().execute.call(context);
    expect(out[0].json.error).toMatch(/Item 0 \(broken\.jpg\): Not an image/);
    expect(out[1].json.background).toMatchObject({ shadow: ['contact', 'drop'] });
    expect(out[2].json.error).toMatch(/Item 2 \(apple\.jpg\): Padding 70% leaves no room/);
  });
});
