import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MediaSidecar } from '../../nodes/MediaSidecar/MediaSidecar.node';
import { resolvePreset } from '../../src/engine/presets';
import { binaryItem, fakeExecuteFunctions } from '../../testkit/fakeExecuteFunctions';

const SIDECAR = { source: 'gdrive', brand: 'vitrinealu', scores: { aesthetic: 0.9, sharpness: 120 }, x_custom: [1, 2] };

describe('Media Sidecar node', () => {
  let root: string;
  const photo = Buffer.from('the photo bytes');
  const run = async (parameters: Record<string, unknown>, items: ReturnType<typeof binaryItem>[]) => {
    const { context } = fakeExecuteFunctions({ items, parameters: { rootFolder: root, sidecarPath: '', ...parameters }, continueOnFail: true });
    const [out] = await new MediaSidecar().execute.call(context);
    return out;
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-node-'));
    fs.mkdirSync(path.join(root, 'curated'));
    fs.writeFileSync(path.join(root, 'curated', 'a.json'), JSON.stringify(SIDECAR));
  });

  test('read -> (replace result) -> update -> read with the check: processed once, then skipped', async () => {
    const preset = resolvePreset({ name: 'vitrinealu', promptType: 'garden' });
    const item = binaryItem(photo, 'a.jpg', 'image/jpeg', { id: 'm1', sidecarPath: 'curated/a.json', backgroundPreset: preset as never });
    const readOptions = { options: { checkMode: 'replace', checkEngine: 'studio' } };
    const [read] = await run({ operation: 'read', sidecarPath: 'curated/a.json', ...readOptions }, [item]);
    expect(read.json).toMatchObject({
      sidecar: SIDECAR,
      alreadyProcessed: false,
      sidecarVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
      sourceSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const background = {
      mode: 'replace',
      engine: 'studio',
      processedAt: '2026-11-24T10:00:00.000Z',
      prompt: preset.prompt,
      preset: 'vitrinealu',
      promptType: 'garden',
      outJpg: 'a-replaced.jpg',
      settings: {
        steps: 25,
        guidanceScale: 7.5,
        enhanceFg: preset.composite.enhanceFg,
        matchColors: preset.composite.matchColors,
        featherEdges: preset.composite.featherEdges,
      },
    };
    const [updated] = await run({ operation: 'update', sidecarPath: 'curated/a.json', outputPath: '/out/a-replaced.jpg' }, [
      { ...read, json: { ...read.json, background } } as never,
    ]);
    expect(updated.json.error).toBeUndefined();
    const saved = JSON.parse(fs.readFileSync(path.join(root, 'curated', 'a.json'), 'utf8'));
    expect(saved).toMatchObject({ ...SIDECAR, background: { mode: 'replace', outJpg: '/out/a-replaced.jpg', sourceSha256: read.json.sourceSha256 } });

    const [again] = await run({ operation: 'read', sidecarPath: 'curated/a.json', ...readOptions }, [item]);
    expect(again.json.alreadyProcessed).toBe(true);
    const other = binaryItem(Buffer.from('an edited photo'), 'a.jpg', 'image/jpeg', { backgroundPreset: preset as never });
    expect((await run({ operation: 'read', sidecarPath: 'curated/a.json', ...readOptions }, [other]))[0].json.alreadyProcessed).toBe(false);
  });

  test('each bad item fails alone with a clear message; the files stay intact', async () => {
    fs.writeFileSync(path.join(root, 'curated', 'bad.json'), '{ not json');
    const items = [
      binaryItem(photo, 'x.jpg', 'image/jpeg', { p: '../../etc/passwd' }),
      binaryItem(photo, 'y.jpg', 'image/jpeg', { p: 'curated/bad.json' }),
      binaryItem(photo, 'z.jpg', 'image/jpeg', { p: 'curated/missing.json' }),
      binaryItem(photo, 'a.jpg', 'image/jpeg', { p: 'curated/a.json' }),
    ];
    const { context } = fakeExecuteFunctions({
      items,
      parameters: (name, i) => ({ operation: 'read', rootFolder: root, sidecarPath: items[i].json.p, options: {} })[name],
      continueOnFail: true,
    });
    const out = (await new MediaSidecar().execute.call(context))[0];
    expect(out[0].json.error).toMatch(/leaves the root folder/);
    expect(out[1].json.error).toMatch(/curated\/bad\.json is not valid JSON/);
    expect(out[2].json.error).toMatch(/curated\/missing\.json does not exist/);
    expect(out[3].json.sidecar).toEqual(SIDECAR);

    const update = await run({ operation: 'update', sidecarPath: 'curated/a.json' }, [binaryItem(photo, 'a.jpg', 'image/jpeg', {})]);
    expect(update[0].json.error).toMatch(/no json\.background to record/);
    // A background of the wrong shape is refused naming the field; a score out of range too.
    const shapes = [
      {
        background: {
          mode: 'replace',
          engine: 'studio',
          preset: 'vitrinealu',
          promptType: 'garden',
          prompt: 'p',
          settings: { enhanceFg: true, matchColors: 'yes', featherEdges: true },
        },
        error: /json\.background is not a Background Cleanup \/ Replace result: settings\.matchColors: Expected boolean, received string/,
      },
      {
        background: { mode: 'cleanup', cleanupMode: 'transparent', settings: { featherEdges: true, enhanceFg: false }, confidence: { score: 7, reasons: [] } },
        error: /confidence\.score: Number must be less than or equal to 1/,
      },
      { background: { mode: 'outpaint' }, error: /json\.background is not a Background Cleanup \/ Replace result: mode: Invalid discriminator value/ },
    ];
    for (const { background, error } of shapes) {
      const refused = await run({ operation: 'update', sidecarPath: 'curated/a.json' }, [binaryItem(photo, 'a.jpg', 'image/jpeg', { background } as never)]);
      expect(refused[0].json.error).toMatch(error);
    }
    const write = await run({ operation: 'write', sidecarPath: 'curated/a.json', sidecarJson: '{"scores": {"aesthetic": "high"}}' }, [
      binaryItem(photo, 'a.jpg', 'image/jpeg', {}),
    ]);
    expect(write[0].json.error).toMatch(/Sidecar JSON has a bad field: scores\.aesthetic/);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'curated', 'a.json'), 'utf8'))).toEqual(SIDECAR);
    expect(fs.readFileSync(path.join(root, 'curated', 'bad.json'), 'utf8')).toBe('{ not json');
  });

  test('write creates a new sidecar atomically inside the root', async () => {
    const [written] = await run(
      { operation: 'write', sidecarPath: 'new/b.json', sidecarJson: { brand: 'vitrinealu', decisions: { kept: true, reasons: [] } } },
      [binaryItem(photo, 'b.jpg', 'image/jpeg', {})],
    );
    expect(written.json.error).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(path.join(root, 'new', 'b.json'), 'utf8'))).toEqual({ brand: 'vitrinealu', decisions: { kept: true, reasons: [] } });
    expect(fs.readdirSync(path.join(root, 'new'))).toEqual(['b.json']);
  });
});
