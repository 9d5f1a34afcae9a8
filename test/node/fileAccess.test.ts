import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BackgroundCleanup } from '../../nodes/BackgroundCleanup/BackgroundCleanup.node';
import { BackgroundPreset } from '../../nodes/BackgroundPreset/BackgroundPreset.node';
import { BackgroundReplace } from '../../nodes/BackgroundReplace/BackgroundReplace.node';
import { MediaSidecar } from '../../nodes/MediaSidecar/MediaSidecar.node';
import { binaryItem, fakeExecuteFunctions } from '../../testkit/fakeExecuteFunctions';
import { readPhoto } from '../../testkit/fixtures';

/**
 * Every path a node reads or writes goes through n8n's file-access rules (here the fake's
 * N8N_RESTRICT_FILE_ACCESS_TO; the real rules run in the real-n8n test): a path outside the
 * allowed folders, or one that leads out of them through a symlink, fails the item before
 * any pixel work, naming the setting, the path and the n8n setting to change.
 */
describe("n8n's file-access rules for every path a node uses", () => {
  let allowed: string;
  let outside: string;
  const photo = () => binaryItem(readPhoto('apple.jpg'), 'apple.jpg', 'image/jpeg', { id: 'm1' });
  const blocked = (setting: string, file: string) =>
    new RegExp(`Item 0: ${setting} ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a path this n8n lets nodes use \\(N8N_RESTRICT_FILE_ACCESS_TO=`);

  beforeAll(() => {
    allowed = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-allowed-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-outside-'));
    fs.writeFileSync(path.join(outside, 'model.onnx'), 'weights');
    fs.writeFileSync(path.join(outside, 'preset.json'), '{}');
    fs.mkdirSync(path.join(outside, 'sdxl'));
    fs.mkdirSync(path.join(outside, 'curated'));
    fs.writeFileSync(path.join(outside, 'curated', 'a.json'), '{"keep":"me"}');
    // A link inside the allowed folder that leads out of it.
    fs.symlinkSync(outside, path.join(allowed, 'link'));
  });

  const run = async (node: { execute(this: never): Promise<unknown> }, parameters: Record<string, unknown>, items = [photo()]) => {
    const { context } = fakeExecuteFunctions({ items, parameters, continueOnFail: true, allowedPaths: [allowed] });
    const [out] = (await node.execute.call(context as never)) as Array<Array<{ json: Record<string, unknown> }>>;
    return out[0].json;
  };

  test.each([
    ['Model Path', 'outside'],
    ['Model Path', 'through a symlink'],
  ])('Background Cleanup: %s %s', async (_setting, how) => {
    const file = how === 'outside' ? path.join(outside, 'model.onnx') : path.join(allowed, 'link', 'model.onnx');
    const json = await run(new BackgroundCleanup(), {
      binaryPropertyName: 'data',
      mode: 'transparent',
      outputBinaryPropertyName: 'data',
      options: { modelPath: file },
    });
    expect(json.error).toMatch(blocked('Model Path', file));
  });

  test('Background Replace: Model Path and SDXL Model Directory', async () => {
    const base = { binaryPropertyName: 'data', outputBinaryPropertyName: 'data', preset: '', promptType: '' };
    const model = await run(new BackgroundReplace(), { ...base, engine: 'studio', options: { modelPath: path.join(outside, 'model.onnx') } });
    expect(model.error).toMatch(blocked('Model Path', path.join(outside, 'model.onnx')));
    const sdxl = await run(new BackgroundReplace(), {
      ...base,
      engine: 'sdxl',
      strategy: 'outpaint',
      sdxlModelDir: path.join(allowed, 'link', 'sdxl'),
      options: {},
    });
    expect(sdxl.error).toMatch(blocked('SDXL Model Directory', path.join(allowed, 'link', 'sdxl')));
  });

  test('Background Preset: Preset File', async () => {
    const file = path.join(outside, 'preset.json');
    const json = await run(new BackgroundPreset(), { operation: 'get', preset: 'vitrinealu', promptType: 'studio', options: { presetFile: file } }, [
      { json: {} } as never,
    ]);
    expect(json.error).toMatch(blocked('Preset File', file));
  });

  test('Media Sidecar: the Root Folder, and a sidecar reached through a symlink in an allowed root', async () => {
    const item = { json: { sidecarPath: 'curated/a.json', background: { mode: 'cleanup' } } };
    const root = await run(new MediaSidecar(), { operation: 'read', rootFolder: outside, sidecarPath: 'curated/a.json', options: {} }, [item as never]);
    expect(root.error).toMatch(blocked('Root Folder', outside));
    const linked = await run(new MediaSidecar(), { operation: 'update', rootFolder: allowed, sidecarPath: 'link/curated/a.json', outputPath: '' }, [
      item as never,
    ]);
    expect(linked.error).toMatch(blocked('Sidecar Path', path.join(fs.realpathSync(allowed), 'link/curated/a.json')));
    expect(fs.readFileSync(path.join(outside, 'curated', 'a.json'), 'utf8')).toBe('{"keep":"me"}');
  });

  test('inside the allowed folder the same settings work', async () => {
    fs.mkdirSync(path.join(allowed, 'curated'), { recursive: true });
    fs.writeFileSync(path.join(allowed, 'curated', 'b.json'), '{"keep":"me"}');
    const json = await run(new MediaSidecar(), { operation: 'read', rootFolder: allowed, sidecarPath: 'curated/b.json', options: {} }, [{ json: {} } as never]);
    expect(json.error).toBeUndefined();
    expect(json.sidecar).toEqual({ keep: 'me' });
  });
});
