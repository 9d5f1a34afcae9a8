import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

import { writeTinySdxl } from '../../testkit/tinySdxl';
import { modelCacheDir, photoPath, REPO_ROOT } from '../../testkit/fixtures';
import { RunwayTestServer } from '../../testkit/runwayServer';
import { numberOption, parseArgs, UsageError } from '../../src/cli/args';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'index.js');
const env = { ...process.env, BG_MODEL_CACHE_DIR: modelCacheDir(), DEVICE: 'cpu' };

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('vitrinealu-bg CLI', () => {
  test('cleanup --json prints the node metadata and writes the file', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'apple.webp');
    const result = await cli(['cleanup', photoPath('apple.jpg'), '-o', out, '--mode', 'color', '--color', '#eeeeee', '--crop', '--margin', '8', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      output: out,
      mode: 'cleanup',
      cleanupMode: 'color',
      format: 'webp',
      settings: { crop: true, cropMargin: 8, color: '#eeeeee' },
    });
    expect((await sharp(out).metadata()).format).toBe('webp');
  });

  test('several inputs into a folder; a bad one fails alone with exit code 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const bad = path.join(dir, 'broken.jpg');
    fs.writeFileSync(bad, 'not a photo');
    const result = await cli(['cleanup', photoPath('butterfly.jpg'), bad, '-o', path.join(dir, 'out/'), '--mode', 'mask']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.jpg: Not an image/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['butterfly-mask.png']);
  });

  test('replace --json writes the sidecar block of the old background service; presets lists the prompt types', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'apple.jpg');
    const result = await cli([
      'replace',
      photoPath('apple.jpg'),
      '-o',
      out,
      '--engine',
      'studio',
      '--preset',
      'vitrinealu',
      '--prompt-type',
      'garden',
      '--ratio',
      '4:3',
      '--shadow',
      'both',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      mode: 'replace',
      engine: 'studio',
      promptType: 'garden',
      outJpg: out,
      shadow: ['contact', 'drop'],
      settings: { steps: 25 },
    });
    expect(await sharp(out).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 384 });
    const presets = await cli(['presets']);
    expect(JSON.parse(presets.stdout).map((p: { promptType: string }) => p.promptType)).toEqual(['studio', 'garden', 'minimal', 'lifestyle']);
    const bad = await cli(['replace', photoPath('apple.jpg'), '-o', out, '--prompt-type', 'beach']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no prompt type "beach"/);
  });

  test('replace --engine runway takes RUNWAY_API_KEY / RUNWAY_BASE_URL from the environment', async () => {
    const server = await new RunwayTestServer().start();
    try {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'apple.png');
      const runwayEnv = { RUNWAY_API_KEY: server.apiKey, RUNWAY_BASE_URL: server.url, RUNWAY_POLL_INTERVAL: '20' };
      const result = await cli(
        ['replace', photoPath('apple.jpg'), '-o', out, '--engine', 'runway', '--strategy', 'backdrop', '--prompt-type', 'minimal', '--json'],
        runwayEnv,
      );
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        engine: 'runway',
        strategy: 'backdrop',
        promptType: 'minimal',
        engineDetails: { model: 'gen4_image' },
      });
      expect(result.stdout + result.stderr).not.toContain(server.apiKey);
      expect(server.violations).toEqual([]);
      const missing = await cli(['replace', photoPath('apple.jpg'), '-o', out, '--engine', 'runway'], { RUNWAY_API_KEY: '' });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/needs a Runway API key/);
    } finally {
      await server.close();
    }
  });

  test('health reports device, model hash and versions', async () => {
    const result = await cli(['health']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      status: 'ok',
      device: { requested: 'cpu', willUse: 'cpu' },
      model: { found: true, bundled: true },
      sdxl: { configured: false },
    });
    expect(report.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.versions).toEqual(expect.objectContaining({ onnxruntime: '1.30.0', sharp: '0.34.5' }));
  });

  test('replace --engine sdxl runs a tiny export; health checks SDXL_MODEL_DIR when set', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sdxl-'));
    try {
      const modelDir = writeTinySdxl(path.join(work, 'sdxl'));
      const out = path.join(work, 'apple.png');
      const result = await cli([
        'replace',
        photoPath('apple.jpg'),
        '-o',
        out,
        '--engine',
        'sdxl',
        '--sdxl-model-dir',
        modelDir,
        '--steps',
        '3',
        '--scheduler',
        'euler-ancestral',
        '--strength',
        '0.9',
        '--json',
      ]);
      expect(result.stderr).toBe('');
      const metadata = JSON.parse(result.stdout);
      // strength 0.9 of 3 steps runs the last 2
      expect(metadata).toMatchObject({ engine: 'sdxl', strategy: 'outpaint', engineDetails: { scheduler: 'euler-ancestral', steps: 2, strength: 0.9 } });
      expect((await sharp(out).metadata()).format).toBe('png');
      const healthy = JSON.parse((await cli(['health'], { SDXL_MODEL_DIR: modelDir })).stdout);
      expect(healthy.sdxl).toMatchObject({ configured: true, layoutOk: true, scheduler: 'euler' });
      const broken = await cli(['health'], { SDXL_MODEL_DIR: path.join(work, 'nowhere') });
      expect(JSON.parse(broken.stdout)).toMatchObject({ status: 'degraded', sdxl: { layoutOk: false, error: expect.stringMatching(/not found/) } });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2 with the usage text', async () => {
    const result = await cli(['cleanup', photoPath('apple.jpg')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/needs at least one input and -o/);
    expect((await cli(['cleanup', photoPath('apple.jpg'), '-o', '/tmp/x.png', '--feather', 'wide'])).stderr).toMatch(/--feather must be a number/);
  });

  // --model points nowhere: had the photo reached the model, the error would be "Model file not found".
  test.each([
    [['--size', '0x0'], /Output size 0x0: each side must be 16 to 16384 px/],
    [['--size', '12000x12000'], /Output size 12000x12000 is over the limit of 100\.0 MP/],
    [['--ratio', '0:1'], /Aspect ratio "0:1" must look like 4:3/],
    [['--padding', '70%'], /Padding 70% leaves no room/],
    [['--background', 'BAD_BACKDROP'], /Background image: Not an image sharp can read/],
  ])('replace %j is refused before any pixel work, naming the option', async (extra, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-early-'));
    const bad = path.join(dir, 'backdrop.png');
    fs.writeFileSync(bad, 'not an image');
    const args = (extra as string[]).map((arg) => (arg === 'BAD_BACKDROP' ? bad : arg));
    const result = await cli(['replace', photoPath('apple.jpg'), '-o', path.join(dir, 'out.jpg'), '--model', '/nonexistent/model.onnx', ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message as RegExp);
    expect(result.stderr).not.toMatch(/Model file not found/);
  });

  test.each([
    ['--quality', '0x10', /--quality must be a whole number in decimal digits, got "0x10"/],
    ['--quality', '1e1', /--quality must be a whole number in decimal digits, got "1e1"/],
    ['--quality', ' 50', /--quality must be a whole number in decimal digits, got " 50"/],
    ['--quality', '50.5', /--quality must be a whole number/],
    ['--margin', '', /--margin must be a whole number in decimal digits, got ""/],
    ['--feather', 'Infinity', /--feather must be a number in decimal digits, got "Infinity"/],
    ['--blur', '0b11', /--blur must be a number in decimal digits/],
  ])('cleanup %s %j is a usage error naming the option, before any photo is read', async (flag, value, message) => {
    const result = await cli(['cleanup', '/nonexistent/in.jpg', '-o', path.join(os.tmpdir(), 'x.png'), flag, value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('numbers in decimal digits are taken: a sign, a fraction where the option takes one', () => {
    const args = parseArgs(['--feather=-.5', '--blur', '2.', '--quality', '+80', '--margin', '007'], {
      valued: ['feather', 'blur', 'quality', 'margin'],
      switches: [],
    });
    expect(numberOption(args, 'feather')).toBe(-0.5);
    expect(numberOption(args, 'blur')).toBe(2);
    expect(numberOption(args, 'quality', 'whole')).toBe(80);
    expect(numberOption(args, 'margin', 'whole')).toBe(7);
    expect(numberOption(args, 'absent')).toBeUndefined();
    expect(() => numberOption(parseArgs(['--blur', '1,5'], { valued: ['blur'], switches: [] }), 'blur')).toThrow(UsageError);
  });

  test('an output file in a folder that does not exist is a usage error before any photo is read', async () => {
    const result = await cli(['cleanup', photoPath('apple.jpg'), '-o', '/nonexistent-dir/out.png']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/-o \/nonexistent-dir\/out\.png: the folder \/nonexistent-dir does not exist/);
    expect(result.stderr).not.toMatch(/\.tmp/);
  });

  test.each([
    [['cleanup', 'in.jpg', '-o', 'x.png', '--qualty', '50'], /Unknown option '--qualty'/],
    [['cleanup', 'in.jpg', '-o', 'x.png', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['replace', 'in.jpg', '-o', 'x.jpg', '--mode', 'mask'], /Unknown option '--mode'/],
    [['cleanup', 'in.jpg', '-o', 'x.gif'], /-o x\.gif: cannot write \.gif files/],
    [['cleanup', 'in.jpg', '-o', 'x.png', '--format', 'jpeg'], /-o x\.png names a png file but --format is jpeg/],
    [['cleanup', 'in.jpg', '-o'], /Option '-o, --output <value>' argument missing/],
    [['cleanup', 'in.jpg', '-o', 'x.png', '--crop=yes'], /Option '--crop' does not take an argument/],
    [['replace', 'in.jpg', '-o', 'x.jpg', '--feather', '--no-feather'], /--feather and --no-feather contradict/],
    [['health', 'extra'], /health takes no arguments/],
    [['clean', 'in.jpg'], /unknown command "clean"/],
  ])('%j is a usage error before any work', async (args, message) => {
    const result = await cli(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message as RegExp);
    expect(result.stderr).toMatch(/Usage:/);
  });
});
