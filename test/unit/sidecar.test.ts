import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { siblingPath } from '../../src/engine/core/fileNames';
import { resolvePreset } from '../../src/engine/presets';
import {
  alreadyProcessed,
  backgroundBlockFrom,
  plannedProcessing,
  processingKey,
  readSidecar,
  resolveInRoot,
  sourceSha256,
  writeSidecar,
} from '../../src/engine/sidecar';

/** The old background service's example sidecar, plus a field no schema knows (it must survive every write). */
const SEED_SIDECAR = {
  source: 'gdrive',
  original_path: '/path/to/original.jpg',
  output_path: '/media/curated/2024/01/sample.jpg',
  processed_at: '2024-01-15T10:30:00Z',
  scores: { aesthetic: 0.85, sharpness: 245.67 },
  decisions: { kept: true, reasons: [] },
  enhancement: { backend: 'realesrgan', scale: 2 },
  faces_blurred: true,
  watermark: '/path/to/logo.png',
  brand: 'vitrinealu',
  x_reviewer: { name: 'Ana', approved: true },
};

const replaceMetadata = (promptType = 'studio') => {
  const preset = resolvePreset({ name: 'vitrinealu', promptType });
  return {
    mode: 'replace' as const,
    engine: 'studio',
    processedAt: '2026-11-24T10:00:00.000Z',
    prompt: preset.prompt,
    preset: preset.preset,
    promptType: preset.promptType,
    settings: {
      steps: 25,
      guidanceScale: 7.5,
      enhanceFg: preset.composite.enhanceFg,
      matchColors: preset.composite.matchColors,
      featherEdges: preset.composite.featherEdges,
    },
    fileName: 'sample-replaced.jpg',
    timings: { totalMs: 5 },
  };
};

describe('the processing key', () => {
  test('is stable: sidecars recorded by earlier versions still match the same plan', () => {
    // A change here makes every recorded background look unprocessed (the weekly batch redoes it all).
    const base = resolvePreset({ name: 'vitrinealu', promptType: 'studio' });
    const plan = plannedProcessing('replace', 'studio', {
      ...base,
      preset: 'x',
      promptType: 'studio',
      prompt: 'p',
      generation: { ...base.generation, steps: 30, guidanceScale: 7 },
      composite: { ...base.composite, enhanceFg: true, matchColors: false, featherEdges: true },
    });
    expect(processingKey(plan)).toBe('77b8c0bccaefb45cbfc4f484d0d3fcace6d5d615ac11cb0342060697ea016db8');
    expect(processingKey({ mode: 'cleanup', engine: 'onnx' })).toBe('ec11e48a0cd35483672b2c77ceab9644e481700e2ba2ff6aac1e59e441ba663d');
  });
});

describe('sidecar store', () => {
  let root: string;
  const write = (name: string, content: string) => fs.writeFileSync(path.join(root, name), content);
  const read = (name: string) => fs.readFileSync(path.join(root, name), 'utf8');
  const leftovers = () => fs.readdirSync(root).filter((f) => f.endsWith('.tmp'));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-'));
    write('sample.json', JSON.stringify(SEED_SIDECAR));
  });

  test('long names that share their start get lock names of their own, the same in every process', () => {
    const a = `${'x'.repeat(250)}a.json`;
    const b = `${'x'.repeat(250)}b.json`;
    expect(siblingPath(`/r/${a}`, '.lock')).not.toBe(siblingPath(`/r/${b}`, '.lock'));
    expect(siblingPath(`/r/${a}`, '.lock')).toBe(siblingPath(`/r/${a}`, '.lock'));
    expect(Buffer.byteLength(path.basename(siblingPath(`/r/${a}`, '.lock')))).toBeLessThanOrEqual(255);
    expect(siblingPath('/r/sample.json', '.lock')).toBe('/r/sample.json.lock');
  });

  test.each([255, 250, 233])('a sidecar named with %i bytes (up to the file system limit) can be updated, its lock and temporary names fit', async (length) => {
    const name = `${'é'.repeat(Math.floor((length - 5) / 2))}${'a'.repeat((length - 5) % 2)}.json`;
    expect(Buffer.byteLength(name)).toBe(length);
    write(name, JSON.stringify(SEED_SIDECAR));
    const file = await readSidecar(root, name);
    const block = backgroundBlockFrom(replaceMetadata(), sourceSha256(Buffer.from('photo')), '/out/sample-replaced.jpg');
    await writeSidecar(root, name, { ...file.sidecar, background: block }, { expectedVersion: file.version });
    expect(JSON.parse(read(name)).background.outJpg).toBe('/out/sample-replaced.jpg');
    expect(fs.readdirSync(root).sort()).toEqual([name, 'sample.json'].sort());
  });

  test('update keeps every other field (unknown ones too) and writes the block of the old background service', async () => {
    const file = await readSidecar(root, 'sample.json');
    const block = backgroundBlockFrom(replaceMetadata(), sourceSha256(Buffer.from('photo')), '/out/sample-replaced.jpg');
    await writeSidecar(root, 'sample.json', { ...file.sidecar, background: block }, { expectedVersion: file.version });
    const saved = JSON.parse(read('sample.json'));
    expect(saved).toMatchObject(SEED_SIDECAR);
    expect(saved.background).toMatchObject({
      mode: 'replace',
      engine: 'studio',
      outJpg: '/out/sample-replaced.jpg',
      processedAt: '2026-11-24T10:00:00.000Z',
      settings: { steps: 25, guidanceScale: 7.5 },
    });
    expect(Object.keys(saved.background.settings).sort()).toEqual(['enhanceFg', 'featherEdges', 'guidanceScale', 'matchColors', 'steps']);
    expect(saved.background.timings).toBeUndefined();
    expect(leftovers()).toEqual([]);
  });

  test("a writer killed between write and rename leaves a temp file: the next write of that sidecar removes it, a live writer's and another host's stay", async () => {
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, '-');
    const deadPid = spawnSync('true').pid!;
    const dead = `.sample.json.${deadPid}@${host}.0badf00d.tmp`;
    const live = `.sample.json.${process.ppid}@${host}.0badf00d.tmp`;
    const elsewhere = `.sample.json.${deadPid}@some-other-host.0badf00d.tmp`;
    for (const name of [dead, live, elsewhere]) write(name, '{"half":');
    const file = await readSidecar(root, 'sample.json');
    await writeSidecar(
      root,
      'sample.json',
      { ...file.sidecar, background: backgroundBlockFrom(replaceMetadata(), sourceSha256(Buffer.from('photo')), '/out/x.jpg') },
      { expectedVersion: file.version },
    );
    expect(leftovers().sort()).toEqual([live, elsewhere].sort());
    expect(JSON.parse(read('sample.json')).background.outJpg).toBe('/out/x.jpg');
  });

  test('already processed: same photo and settings yes; another photo or prompt type no', async () => {
    const photo = sourceSha256(Buffer.from('photo'));
    const block = backgroundBlockFrom(replaceMetadata('garden'), photo);
    const sidecar = { ...SEED_SIDECAR, background: block };
    const garden = plannedProcessing('replace', 'studio', resolvePreset({ name: 'vitrinealu', promptType: 'garden' }));
    expect(alreadyProcessed(sidecar, photo, garden)).toBe(true);
    expect(alreadyProcessed(sidecar, sourceSha256(Buffer.from('another photo')), garden)).toBe(false);
    expect(alreadyProcessed(sidecar, photo, plannedProcessing('replace', 'studio', resolvePreset({ name: 'vitrinealu', promptType: 'minimal' })))).toBe(false);
    expect(alreadyProcessed(sidecar, photo, plannedProcessing('replace', 'runway', resolvePreset({ name: 'vitrinealu', promptType: 'garden' })))).toBe(false);
    expect(alreadyProcessed(SEED_SIDECAR, photo, garden)).toBe(false);
  });

  test('malformed JSON and a field of the wrong type: clear errors, the file untouched', async () => {
    write('broken.json', '{"source": "gdrive",');
    await expect(readSidecar(root, 'broken.json')).rejects.toThrow(/Sidecar broken\.json is not valid JSON/);
    write('typed.json', JSON.stringify({ ...SEED_SIDECAR, scores: { aesthetic: 'high' } }));
    await expect(readSidecar(root, 'typed.json')).rejects.toThrow(/Sidecar typed\.json has a bad field: scores\.aesthetic: Expected number, received string/);
    await expect(writeSidecar(root, 'sample.json', { ...SEED_SIDECAR, faces_blurred: 'yes' } as never)).rejects.toThrow(/bad field: faces_blurred/);
    expect(JSON.parse(read('sample.json'))).toEqual(SEED_SIDECAR);
    expect(read('broken.json')).toBe('{"source": "gdrive",');
  });

  test('paths outside the root are refused: .., absolute elsewhere, a symlink out', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret.json'), '{}');
    fs.symlinkSync(outside, path.join(root, 'link'));
    await expect(readSidecar(root, '../secret.json')).rejects.toThrow(/leaves the root folder/);
    await expect(readSidecar(root, path.join(outside, 'secret.json'))).rejects.toThrow(/leaves the root folder/);
    await expect(readSidecar(root, 'link/secret.json')).rejects.toThrow(/through a link that leaves the root/);
    await expect(writeSidecar(root, 'link/new.json', SEED_SIDECAR)).rejects.toThrow(/through a link that leaves the root/);
    expect(fs.readdirSync(outside)).toEqual(['secret.json']);
    // Inside the root, absolute or nested (new folders are created) is fine.
    expect(await resolveInRoot(root, path.join(fs.realpathSync(root), 'a', 'b.json'))).toBe(path.join(fs.realpathSync(root), 'a', 'b.json'));
  });

  test('a read-only sidecar is not overwritten', async () => {
    fs.chmodSync(path.join(root, 'sample.json'), 0o444);
    await expect(writeSidecar(root, 'sample.json', { ...SEED_SIDECAR, brand: 'other' })).rejects.toThrow(/read-only/);
    expect(JSON.parse(read('sample.json'))).toEqual(SEED_SIDECAR);
    expect(leftovers()).toEqual([]);
  });

  test('a sidecar that changed on disk between read and write is refused, the new content kept', async () => {
    const file = await readSidecar(root, 'sample.json');
    write('sample.json', JSON.stringify({ ...SEED_SIDECAR, brand: 'edited meanwhile' }));
    await expect(
      writeSidecar(root, 'sample.json', { ...file.sidecar, background: backgroundBlockFrom(replaceMetadata()) }, { expectedVersion: file.version }),
    ).rejects.toThrow(/changed on disk since it was read/);
    expect(JSON.parse(read('sample.json')).brand).toBe('edited meanwhile');
    // Expected to be new, but someone created it: refused too.
    await expect(writeSidecar(root, 'sample.json', SEED_SIDECAR, { expectedVersion: null })).rejects.toThrow(/changed on disk/);
  });
});
