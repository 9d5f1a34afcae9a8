import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { computeLayout } from '../../src/engine/compose/placement';
import { readEngineConfig } from '../../src/engine/core/config';
import { listPresets, loadPresetFile, parsePresetList, resolvePreset } from '../../src/engine/presets';

describe('brand presets', () => {
  test.each(['studio', 'garden', 'minimal', 'lifestyle'])('vitrinealu/%s resolves with the settings of the old background service', (promptType) => {
    const preset = resolvePreset({ name: 'vitrinealu', promptType }, {});
    expect(preset.prompt.length).toBeGreaterThan(10);
    expect(preset.negativePrompt).toMatch(/watermark/);
    expect(preset.generation).toMatchObject({ steps: 25, guidanceScale: 7.5 });
    expect(preset.composite).toMatchObject({ enhanceFg: true, matchColors: true, featherEdges: true });
    expect(['solid', 'sweep']).toContain(preset.backdrop.type);
  });

  test('env defaults: MEDIA_INGEST_BACKGROUND_PRESET / _PROMPT_TYPE', () => {
    const preset = resolvePreset(
      {},
      readEngineConfig({ MEDIA_INGEST_BACKGROUND_PRESET: 'vitrinealu', MEDIA_INGEST_BACKGROUND_PROMPT_TYPE: 'garden' }).presetDefaults,
    );
    expect(preset.promptType).toBe('garden');
    expect(resolvePreset({}, {}).promptType).toBe('studio');
  });

  test('unknown preset or prompt type lists the valid ones', () => {
    expect(() => resolvePreset({ name: 'acme' }, {})).toThrow('Unknown preset "acme" (available: vitrinealu)');
    expect(() => resolvePreset({ promptType: 'beach' }, {})).toThrow(
      'Preset "vitrinealu" has no prompt type "beach" (valid: studio, garden, minimal, lifestyle)',
    );
  });

  test('custom presets: valid JSON joins the built-ins', () => {
    const custom = parsePresetList(JSON.stringify({ name: 'acme', promptTypes: { white: { prompt: 'white', backdrop: { type: 'solid', color: '#fff' } } } }));
    expect(resolvePreset({ name: 'acme', promptType: 'white', custom }, {}).backdrop).toEqual({ type: 'solid', color: '#fff' });
    expect(listPresets(custom).map((p) => `${p.preset}/${p.promptType}`)).toEqual([
      'vitrinealu/studio',
      'vitrinealu/garden',
      'vitrinealu/minimal',
      'vitrinealu/lifestyle',
      'acme/white',
    ]);
  });

  test('invalid custom JSON: the message names the bad field', () => {
    expect(() => parsePresetList('{"name": "acme", "promptTypes": {"x": {"prompt": "p", "backdrop": {"type": "solid", "color": "blue"}}}}')).toThrow(
      /custom presets: promptTypes\.x\.backdrop\.color: must be a hex colour/,
    );
    expect(() =>
      parsePresetList('{"name": "acme", "generation": {"steps": 0}, "promptTypes": {"x": {"prompt": "p", "backdrop": {"type": "solid", "color": "#fff"}}}}'),
    ).toThrow(/generation\.steps: /);
    expect(() => parsePresetList('{not json')).toThrow(/custom presets is not valid JSON/);
    expect(() => parsePresetList('[{"name": "ok", "promptTypes": {}}]')).toThrow(/custom presets\[0\]: promptTypes: needs at least one prompt type/);
  });

  test('preset file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'preset-')), 'acme.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'acme', promptTypes: { a: { prompt: 'p', backdrop: { type: 'solid', color: '#123456' } } } }));
    expect(loadPresetFile(file).name).toBe('acme');
    expect(() => loadPresetFile('/nope.json')).toThrow(/Cannot read preset file \/nope\.json: ENOENT/);
  });
});

describe('placement', () => {
  const box = { x: 100, y: 50, width: 200, height: 100 };
  test('no size, ratio or padding: the subject stays put', () => {
    expect(computeLayout(box, 800, 600, {}, 1e8)).toEqual({ width: 800, height: 600, relayout: false, placed: box });
  });
  test('output size and percent padding, anchored at the bottom', () => {
    const layout = computeLayout(box, 800, 600, { outputSize: '1000x1000', padding: '10%', anchor: 'bottom' }, 1e8);
    expect(layout.placed).toEqual({ x: 100, y: 500, width: 800, height: 400 });
  });
  test('aspect ratio keeps the long side, centre anchor', () => {
    const layout = computeLayout(box, 800, 600, { aspectRatio: '1:1', padding: '50', anchor: 'center' }, 1e8);
    expect([layout.width, layout.height]).toEqual([800, 800]);
    expect(layout.placed.x + layout.placed.width / 2).toBeCloseTo(400, 0);
  });
  test('bad sizes and padding are clear errors', () => {
    expect(() => computeLayout(box, 800, 600, { outputSize: '0x0' }, 1e8)).toThrow(/each side must be 16 to 16384 px/);
    expect(() => computeLayout(box, 800, 600, { outputSize: '100000x100000' }, 1e8)).toThrow(/each side must be 16 to 16384 px/);
    expect(() => computeLayout(box, 800, 600, { outputSize: 'big' }, 1e8)).toThrow(/must look like 2000x1500/);
    expect(() => computeLayout(box, 800, 600, { padding: '60%' }, 1e8)).toThrow(/Padding 60% leaves no room/);
    expect(() => computeLayout(box, 800, 600, { outputSize: '10000x10000' }, 50e6)).toThrow(/over the limit of 50\.0 MP/);
  });
});
