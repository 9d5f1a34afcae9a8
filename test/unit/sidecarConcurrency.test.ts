import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { changeSidecar, readSidecar } from '../../src/engine/sidecar';
import { REPO_ROOT } from '../../testkit/fixtures';

/**
 * Nothing lost with several writers: each process runs changeSidecar in a loop (what Media
 * Sidecar's Update does), and every update it reports as done must be in the file.
 */
const STORE = path.join(REPO_ROOT, 'dist', 'src', 'engine', 'sidecar', 'index.js');

function child(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['-e', script, STORE, ...args]);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// argv: store, root, relative, writer name, count. Prints one line per update it saw succeed.
const UPDATER = `
const [store, root, relative, name, count] = process.argv.slice(1);
const { changeSidecar } = require(store);
(async () => {
  for (let i = 0; i < Number(count); i++) {
    try {
      await changeSidecar(root, relative, () => ({ set: [[['updates', name + '-' + i], i]] }), { lockTimeoutMs: 60000 });
      console.log(name + '-' + i);
    } catch (error) {
      console.error(name + '-' + i + ' ' + error.message);
    }
  }
})();
`;

describe('sidecar writers at once', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-race-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('4 processes x 200 updates of one sidecar: every update reported done is in the file', async () => {
    fs.mkdirSync(path.join(root, 'curated'));
    fs.writeFileSync(path.join(root, 'curated', 'a.json'), '{\n  "source": "gdrive",\n  "big": 12345678901234567890\n}\n');
    const runs = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((name) => child(UPDATER, [root, 'curated/a.json', name, '200'])));
    const done = runs.flatMap((run) => run.stdout.split('\n').filter(Boolean));
    expect(runs.map((run) => run.stderr)).toEqual(['', '', '', '']);
    expect(done).toHaveLength(800);
    const text = fs.readFileSync(path.join(root, 'curated', 'a.json'), 'utf8');
    const updates = (JSON.parse(text) as { updates: Record<string, number> }).updates;
    expect(done.filter((key) => !(key in updates))).toEqual([]);
    expect(text).toContain('"big": 12345678901234567890');
    // No lock or temporary file left behind.
    expect(fs.readdirSync(path.join(root, 'curated'))).toEqual(['a.json']);
  }, 600_000);

  test('2 processes creating the same new sidecar, 5 times: both entries always there', async () => {
    for (let round = 0; round < 5; round++) {
      const relative = `new/r${round}.json`;
      const runs = await Promise.all(['x', 'y'].map((name) => child(UPDATER, [root, relative, name, '1'])));
      expect(runs.map((run) => run.stdout.trim())).toEqual(['x-0', 'y-0']);
      const { sidecar } = await readSidecar(root, relative);
      expect(sidecar).toEqual({ updates: { 'x-0': 0, 'y-0': 0 } });
    }
  }, 600_000);

  test('a lock left by a dead writer is taken over at once; a live one makes the next writer wait, then fail clearly', async () => {
    const file = path.join(root, 'a.json');
    fs.writeFileSync(file, '{}\n');
    fs.writeFileSync(`${file}.lock`, `999999999@${os.hostname().replace(/[^A-Za-z0-9-]/g, '-')} 2026-01-01T00:00:00.000Z x\n`);
    await changeSidecar(root, 'a.json', () => ({ set: [[['k'], 1]] }));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ k: 1 });
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    // A live holder (this process's parent shell stands in: its pid is alive).
    fs.writeFileSync(`${file}.lock`, `${process.ppid}@${os.hostname().replace(/[^A-Za-z0-9-]/g, '-')} 2026-01-01T00:00:00.000Z x\n`);
    await expect(changeSidecar(root, 'a.json', () => ({ set: [[['k'], 2]] }), { lockTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'SIDECAR_CONFLICT',
      message: expect.stringMatching(new RegExp(`Sidecar a\\.json is locked by ${process.ppid}@.* since 2026-01-01T00:00:00\\.000Z; gave up after 0 s`)),
    });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ k: 1 });
    // A reader leaves a live writer's lock alone, and clears a dead one's (a worker killed
    // between its write and its unlock: that sidecar may never be written again).
    await readSidecar(root, 'a.json');
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    fs.writeFileSync(`${file}.lock`, `999999999@${os.hostname().replace(/[^A-Za-z0-9-]/g, '-')} 2026-01-01T00:00:00.000Z x\n`);
    expect((await readSidecar(root, 'a.json')).sidecar).toEqual({ k: 1 });
    expect(fs.readdirSync(root).filter((name) => name.startsWith('a.json.'))).toEqual([]);
  });

  test('a folder swapped for a symlink to outside the root while writing: nothing lands outside, nothing is read from there', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'a.json'), '{"outside": true}\n');
      fs.mkdirSync(path.join(root, 'sub'));
      // The swapper flips root/sub between a real folder and a link to `outside`, as fast as it can.
      const swapper = spawn(process.execPath, [
        '-e',
        `const fs = require('fs'); const [sub, outside] = process.argv.slice(1); const real = sub + '.real';
         const end = Date.now() + 120000;
         while (Date.now() < end) {
           try { fs.renameSync(sub, real); fs.symlinkSync(outside, sub); fs.unlinkSync(sub); fs.renameSync(real, sub); } catch {}
         }`,
        path.join(root, 'sub'),
        outside,
      ]);
      let written = 0;
      let refused = 0;
      let readOutside = 0;
      try {
        for (let i = 0; i < 3000; i++) {
          try {
            await changeSidecar(root, 'sub/a.json', () => ({ set: [[['n'], i]] }));
            written++;
            const { sidecar } = await readSidecar(root, 'sub/a.json');
            if ((sidecar as { outside?: boolean }).outside) readOutside++;
          } catch (error) {
            refused++;
            expect((error as { code?: string }).code).toMatch(/PATH_NOT_ALLOWED|SIDECAR_NOT_FOUND|WRITE_FAILED|SIDECAR_CONFLICT/);
          }
        }
      } finally {
        swapper.kill();
      }
      console.log(`symlink swap race: ${written} written, ${refused} refused, ${readOutside} reads of the outside file`);
      expect(readOutside).toBe(0);
      expect(fs.readFileSync(path.join(outside, 'a.json'), 'utf8')).toBe('{"outside": true}\n');
      expect(fs.readdirSync(outside)).toEqual(['a.json']);
      expect(written).toBeGreaterThan(0);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  }, 600_000);

  test('new folders under a folder swapped for a symlink to outside the root: none is created outside', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-outside-'));
    try {
      fs.mkdirSync(path.join(root, 'sub'));
      const swapper = spawn(process.execPath, [
        '-e',
        `const fs = require('fs'); const [sub, outside] = process.argv.slice(1); const real = sub + '.real';
         // Each state held a millisecond: mkdir -p through the link then lands outside often.
         const hold = () => { const t = Date.now() + 1; while (Date.now() < t); };
         const end = Date.now() + 120000;
         while (Date.now() < end) {
           try { fs.renameSync(sub, real); fs.symlinkSync(outside, sub); hold(); fs.unlinkSync(sub); fs.renameSync(real, sub); hold(); } catch {}
         }`,
        path.join(root, 'sub'),
        outside,
      ]);
      let written = 0;
      try {
        // Each write needs two new folders below the swapped one.
        for (let i = 0; i < 600; i++) {
          try {
            await changeSidecar(root, `sub/n${i}/deeper/a.json`, () => ({ set: [[['n'], i]] }));
            written++;
          } catch (error) {
            expect((error as { code?: string }).code).toMatch(/PATH_NOT_ALLOWED|SIDECAR_NOT_FOUND|WRITE_FAILED|SIDECAR_CONFLICT/);
          }
        }
      } finally {
        swapper.kill();
      }
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(written).toBeGreaterThan(0);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  }, 600_000);

  test('the root itself is no sidecar: "." is refused saying so', async () => {
    await expect(readSidecar(root, '.')).rejects.toThrow(/The sidecar path \. is the root folder itself; name a file in it/);
    await expect(changeSidecar(root, '.', () => ({ set: [[['n'], 1]] }))).rejects.toThrow(/is the root folder itself/);
  });
});

describe('fields we do not own survive byte for byte', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-bytes-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a 20-digit integer, a Latin-1 byte, __proto__ and a BOM: after an update only background differs', async () => {
    const before = Buffer.concat([
      Buffer.from('\xef\xbb\xbf{\n  "big": 12345678901234567890,\n  "note": "caf', 'latin1'),
      Buffer.from([0xe9]), // Latin-1 é: not UTF-8
      Buffer.from('",\n  "__proto__": {"polluted": true},\n  "odd":   [1,2 , 3],\n  "background": ', 'latin1'),
    ]);
    const old = Buffer.from('{"mode": "cleanup", "engine": "onnx", "processedAt": "2026-01-01T00:00:00Z"}', 'latin1');
    const after = Buffer.from('\n}\n', 'latin1');
    fs.writeFileSync(path.join(root, 'a.json'), Buffer.concat([before, old, after]));
    const block = { mode: 'replace', engine: 'studio', processedAt: '2026-12-03T10:00:00.000Z', prompt: 'façade on a terrace' };
    await changeSidecar(root, 'a.json', () => ({ set: [[['background'], block]] }));
    const bytes = fs.readFileSync(path.join(root, 'a.json'));
    expect(bytes.subarray(0, before.length).equals(before)).toBe(true);
    expect(bytes.subarray(bytes.length - after.length).equals(after)).toBe(true);
    const middle = bytes.subarray(before.length, bytes.length - after.length).toString('utf8');
    expect(JSON.parse(middle)).toEqual(block);
    const { sidecar } = await readSidecar(root, 'a.json');
    expect(sidecar.background).toMatchObject({ mode: 'replace', prompt: 'façade on a terrace' });
  });

  test('too deep, too big, a FIFO, a symlink: clear errors, no hang, nothing written', async () => {
    fs.writeFileSync(path.join(root, 'deep.json'), `${'['.repeat(100000)}${']'.repeat(100000)}`);
    await expect(readSidecar(root, 'deep.json')).rejects.toThrow(/nests 100000 levels deep, over the 256/);
    await expect(changeSidecar(root, 'deep.json', () => ({ set: [[['k'], 1]] }))).rejects.toThrow(/nests 100000 levels deep/);
    fs.writeFileSync(path.join(root, 'big.json'), `{"pad": "${'x'.repeat(17 * 1024 * 1024)}"}`);
    await expect(readSidecar(root, 'big.json')).rejects.toThrow(/17\.0 MB, over the 16 MB/);
    const fifo = path.join(root, 'fifo.json');
    require('node:child_process').execFileSync('mkfifo', [fifo]);
    await expect(readSidecar(root, 'fifo.json')).rejects.toThrow(/not a regular file \(a FIFO\)/);
    await expect(changeSidecar(root, 'fifo.json', () => ({ set: [[['k'], 1]] }))).rejects.toThrow(/not a regular file \(a FIFO\)/);
    fs.writeFileSync(path.join(root, 'real.json'), '{}');
    fs.symlinkSync(path.join(root, 'real.json'), path.join(root, 'link.json'));
    await expect(readSidecar(root, 'link.json')).rejects.toThrow(/is a symbolic link/);
    expect(fs.readdirSync(root).sort()).toEqual(['big.json', 'deep.json', 'fifo.json', 'link.json', 'real.json']);
  });
});
