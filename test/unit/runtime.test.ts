import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { health } from '../../src/engine/pipeline/health';
import { type Backend, selectBackend } from '../../src/engine/runtime/backend';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, photoPath, REPO_ROOT } from '../../testkit/fixtures';
import { unloadableOnnxruntimeDir } from '../../testkit/muslLike';

afterAll(() => closeWorkerPool());

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'index.js');

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, BG_MODEL_CACHE_DIR: modelCacheDir(), ...env },
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('inference backends when onnxruntime-node cannot load (as on musl)', () => {
  let libDir: string;
  beforeAll(() => {
    libDir = unloadableOnnxruntimeDir();
  });

  test('auto falls back to WASM: health says so and why; BG_RUNTIME=native is an error', async () => {
    const auto = await cli(['health'], { LD_LIBRARY_PATH: libDir, BG_RUNTIME: 'auto' });
    expect(auto.code).toBe(0);
    const report = JSON.parse(auto.stdout);
    expect(report.status).toBe('degraded');
    expect(report.runtime).toMatchObject({
      requested: 'auto',
      ok: true,
      backend: 'wasm',
      library: 'onnxruntime-web',
      fallbackReason: expect.stringMatching(/__vsnprintf_chk_musl/),
    });
    expect(report.device.willUse).toBe('wasm');
    expect(report.problems.join('\n')).toMatch(/onnxruntime-node cannot run on this system .*running the same models on onnxruntime-web \(WASM/);

    const native = await cli(['health'], { LD_LIBRARY_PATH: libDir, BG_RUNTIME: 'native' });
    expect(native.code).toBe(1);
    const failed = JSON.parse(native.stdout);
    expect(failed.status).toBe('error');
    expect(failed.runtime).toMatchObject({
      requested: 'native',
      ok: false,
      error: expect.stringMatching(/BG_RUNTIME=native: onnxruntime-node does not run here \(.*__vsnprintf_chk_musl/),
    });
  });

  test('a cleanup still works, on WASM, and warns once with the reason and the cost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'musl-like-out-'));
    const result = await cli(['cleanup', photoPath('apple.jpg'), photoPath('coffee.png'), '-o', `${dir}/`, '--json'], { LD_LIBRARY_PATH: libDir });
    expect(result.code).toBe(0);
    const reports = JSON.parse(result.stdout);
    expect(reports.map((report: { device: string }) => report.device)).toEqual(['wasm', 'wasm']);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('onnxruntime-node cannot run on this system'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/about 3-4x as long/);
    expect(fs.readdirSync(dir).sort()).toEqual(['apple-cutout.png', 'coffee-cutout.png']);
  }, 600_000);
});

describe('backend choice', () => {
  const broken = (message: string) => () => {
    throw new Error(message);
  };

  test('no backend at all: a clear error naming both causes', async () => {
    const loaders = { native: broken('Error relocating libonnxruntime.so.1: fcntl64: symbol not found'), wasm: broken('WebAssembly is not defined') };
    await expect(selectBackend('auto', 0, loaders)).rejects.toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      message:
        'No inference backend runs here: onnxruntime-node: Error relocating libonnxruntime.so.1: fcntl64: symbol not found; onnxruntime-web: WebAssembly is not defined',
    });
    await expect(selectBackend('wasm', 0, loaders)).rejects.toThrow(/BG_RUNTIME=wasm: onnxruntime-web does not run here: WebAssembly is not defined/);
  });

  test('a library that loads but computes wrong is not used', async () => {
    // A stand-in whose session answers the probe with zeros: loading is not enough.
    const lying = (): Backend =>
      ({
        name: 'native',
        library: 'onnxruntime-node',
        version: '0',
        threads: 0,
        ort: {
          InferenceSession: { create: async () => ({ run: async () => ({ y: { data: new Float32Array(4) } }) }) },
          Tensor: class {},
        },
      }) as unknown as Backend;
    const wasm = broken('no wasm either');
    await expect(selectBackend('native', 0, { native: lying, wasm })).rejects.toThrow(/probe inference returned \[0, 0, 0, 0\], expected \[1, 3, -3, 2\]/);
  });

  test('health reports error (and names the cause) when no backend runs', async () => {
    const report = await health({}, async () => ({
      ok: false,
      error: 'No inference backend runs here: onnxruntime-node: x; onnxruntime-web: y',
      code: 'RUNTIME_UNAVAILABLE',
    }));
    expect(report.status).toBe('error');
    expect(report.runtime).toEqual({ requested: 'auto', ok: false, error: 'No inference backend runs here: onnxruntime-node: x; onnxruntime-web: y' });
    expect(report.problems).toContain('No inference backend runs here: onnxruntime-node: x; onnxruntime-web: y');
  });

  test('health on this machine: the native backend, probed', async () => {
    const report = await health({ runtime: 'auto' });
    expect(report.runtime).toMatchObject({ requested: 'auto', ok: true, backend: 'native', library: 'onnxruntime-node', version: '1.30.0' });
    expect(report.runtime.probeMs).toBeGreaterThan(0);
    const wasm = await health({ runtime: 'wasm' });
    expect(wasm.runtime).toMatchObject({ ok: true, backend: 'wasm', library: 'onnxruntime-web', version: '1.30.0' });
    expect(wasm.device.willUse).toBe('wasm');
  });
});
