import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { changeSidecar, cutoutEdits, readSidecar } from '../../src/engine/sidecar';
import type { BackgroundResult } from '../../src/engine/core/result';

/** Lossless edits of a sidecar's text: what we do not own stays byte for byte, also inside what we add to. */
describe('sidecar text edits', () => {
  let root: string;
  const file = (name: string) => path.join(root, name);
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-text-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const block = { mode: 'cleanup', engine: 'onnx', processedAt: '2026-12-06T10:00:00.000Z' };
  const blockText = (indent: string) => JSON.stringify(block, null, 2).replace(/\n/g, `\n${indent}`);
  const reviewed = (reasons: string[]) =>
    changeSidecar(root, 'a.json', (current) => ({
      set: cutoutEdits(current.sidecar, { confidence: { score: 0.3 } } as Pick<BackgroundResult, 'confidence'>, { reasons }),
    }));

  test("other tools' reasons stay as they were (a Latin-1 byte, a duplicate, an escape); ours are appended after them", async () => {
    const head = Buffer.from('{\n  "decisions": {\n    "reasons": [\n      "caf', 'latin1');
    const foreign = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('",\n      "same",\n      "same",\n      "d\\u00e9j\\u00e0 vu"', 'latin1')]);
    const tail = Buffer.from('\n    ]\n  }\n}\n', 'latin1');
    fs.writeFileSync(file('a.json'), Buffer.concat([foreign, tail]));
    await reviewed(['fragmented: 3 pieces']);
    const bytes = fs.readFileSync(file('a.json'));
    expect(bytes.subarray(0, foreign.length).equals(foreign)).toBe(true);
    const rest = bytes.subarray(foreign.length).toString('utf8');
    expect(rest).toBe(',\n      "cutout review: fragmented: 3 pieces"\n    ]\n  },\n  "scores": {\n    "cutout": 0.3\n  }\n}\n');
    // Again: the reason is there already, nothing is added twice.
    await reviewed(['fragmented: 3 pieces']);
    expect(
      fs
        .readFileSync(file('a.json'))
        .subarray(0, bytes.length - 40)
        .equals(bytes.subarray(0, bytes.length - 40)),
    ).toBe(true);
    expect((await readSidecar(root, 'a.json')).sidecar.decisions?.reasons?.filter((r) => r.startsWith('cutout review')).length).toBe(1);
  });

  test('one-line objects and arrays keep their line: the one before the new block, and scores / decisions that receive a field', async () => {
    const text = '{\n  "tags": ["a", "b"],\n  "scores": {"aesthetic": 0.8},\n  "decisions": {"reasons": ["x"]},\n  "meta": {"k": 1, "l": [1, 2]}\n}\n';
    fs.writeFileSync(file('a.json'), text);
    await reviewed(['soft edges']);
    const after = fs.readFileSync(file('a.json'), 'utf8');
    expect(after).toBe(
      '{\n  "tags": ["a", "b"],\n  "scores": {"aesthetic": 0.8,"cutout":0.3},\n  "decisions": {"reasons": ["x","cutout review: soft edges"]},\n  "meta": {"k": 1, "l": [1, 2]}\n}\n',
    );
    await changeSidecar(root, 'a.json', () => ({ set: [[['background'], block]] }));
    const withBlock = fs.readFileSync(file('a.json'), 'utf8');
    expect(withBlock.startsWith(after.slice(0, after.lastIndexOf('\n}')))).toBe(true);
    expect(withBlock).toContain('"meta": {"k": 1, "l": [1, 2]},\n  "background": {\n    "mode": "cleanup",');
  });

  test('a duplicate key we edit is refused naming it, the file untouched', async () => {
    const text = `{\n  "background": ${JSON.stringify(block)},\n  "x": 1,\n  "background": ${JSON.stringify({ ...block, mode: 'replace' })}\n}\n`;
    fs.writeFileSync(file('a.json'), text);
    await expect(changeSidecar(root, 'a.json', () => ({ set: [[['background'], block]] }))).rejects.toThrow(
      /Sidecar a\.json has the key "background" 2 times; not changed/,
    );
    const twice = '{"decisions": {"reasons": []}, "decisions": {"reasons": ["y"]}}';
    fs.writeFileSync(file('b.json'), twice);
    await expect(changeSidecar(root, 'b.json', () => ({ set: [[['decisions', 'reasons'], ['z'], 'append']] }))).rejects.toThrow(
      /has the key "decisions" 2 times/,
    );
    expect(fs.readFileSync(file('a.json'), 'utf8')).toBe(text);
    expect(fs.readFileSync(file('b.json'), 'utf8')).toBe(twice);
  });

  test.each([99, 150, 255])('a last field nested %i levels deep (the limit is 256): the update works, the field is kept', async (depth) => {
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const text = `{\n  "a": 1,\n  "z": ${deep}\n}\n`;
    fs.writeFileSync(file('a.json'), text);
    await changeSidecar(root, 'a.json', () => ({ set: [[['background'], block]] }));
    expect(fs.readFileSync(file('a.json'), 'utf8')).toBe(`{\n  "a": 1,\n  "z": ${deep},\n  "background": ${blockText('  ')}\n}\n`);
  });

  test('an update that would pass 16 MB says so, about the update; the file just under the limit stays', async () => {
    const pad = 16 * 1024 * 1024 - 64;
    const text = `{"pad": "${'x'.repeat(pad)}"}`;
    fs.writeFileSync(file('a.json'), text);
    await expect(changeSidecar(root, 'a.json', () => ({ set: [[['background'], block]] }))).rejects.toThrow(
      /Sidecar a\.json would be 16777\d{3} bytes, over the 16 MB \(16777216 bytes\) a sidecar may have after this change; not changed/,
    );
    expect(fs.readFileSync(file('a.json'), 'utf8')).toBe(text);
  });

  test('a file that is not JSON is reported by where it breaks, never by quoting it', async () => {
    fs.writeFileSync(file('passwd.json'), 'root:x:0:0:root:/root:/bin/bash\n');
    const error = await readSidecar(root, 'passwd.json').catch((e: Error) => e);
    expect(String(error)).toMatch(/Sidecar passwd\.json is not valid JSON \(\w+ at byte \d+\)/);
    expect(String(error)).not.toMatch(/root:x|bin\/bash/);
  });
});
