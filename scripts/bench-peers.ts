/**
 * npm run bench:peers — our cleanup against IMG.LY's Node library and bare onnxruntime, on the
 * same photos and the same IS-Net weights (the medium model of @imgly/background-removal-data).
 *
 * Each contestant runs in its own process per size, warmed up on the first photo, then timed
 * photo by photo (bytes in, transparent PNG bytes out); the processes are interleaved over
 * --reps rounds so a busy machine slows all of them alike:
 *   ours    cleanupImage(), the engine's defaults (BG_RUNTIME=native)
 *   imgly   @imgly/background-removal-node removeBackground(), model "medium", PNG out
 *   bare    session.run() alone on the model file as shipped with onnxruntime's default
 *           session options (what rembg does), the images already at the model's input
 *   rembg   when a python3 with rembg is present (REMBG_PYTHON=path picks one): rembg.remove()
 *           with its isnet-general-use session (rembg's copy of the IS-Net weights: from
 *           U2NET_HOME when set, else the bundled weights widened to fp32 as rembg ships them)
 *   limit   the least any pipeline must do, done the fastest way known here: decode (sharp),
 *           the model's input, session.run on the fastest session measured (the engine's exact
 *           fp32 copy with the first output only, or its int8 form with BG_MODEL_PRECISION=int8,
 *           graph optimisation "all", memory patterns off, one thread per core: README,
 *           "Against peers"),
 *           its output upscaled bilinearly as the alpha, PNG written as the engine writes it (zlib
 *           level 2, black under alpha 0: image/encode.ts). Nothing else:
 *           no edge colours, no see-through, no feather
 * Prints seconds per photo and peak RSS side by side, and ours against the others. Asserts nothing.
 *
 *   npm run bench:peers -- [--sizes 1024px,12MP,24MP] [--reps 2]
 *
 * --batch N: a folder of N photos (the fixtures over and over) at each size, in and out as
 * files, timed from the first photo read to the last written (after a warm-up photo):
 *   ours    the engine as the n8n nodes run it, BG_CONCURRENCY photos in flight (default 5)
 *   rembg   what `rembg p in out` does: one session, then read, remove(), write, photo by photo
 * Prints photos per minute and ours against rembg.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

import { cleanupImage, closeWorkerPool, encodeImage, readEngineConfig } from '../src/engine';
import { writeFileAtomic } from '../src/engine/core/atomicWrite';
import { defaultCacheDir } from '../src/engine/core/config';
import { resolveModel } from '../src/engine/segment/model';
import { nativeThreads } from '../src/engine/runtime/backend';
import { mapWithConcurrency } from '../src/engine/runtime/concurrency';
import { cpuModelFile } from '../src/engine/segment/cpuModel';
import { widenModel } from '../src/engine/runtime/widenModel';
import { toInputTensorData, toMask } from '../src/engine/segment/tensors';
import { FIXTURES, PHOTOS, REPO_ROOT } from '../testkit/fixtures';

const IMGLY_VERSION = '1.4.5';

const SIZES: Record<string, (s: sharp.Sharp) => sharp.Sharp> = {
  '1024px': (s) => s.resize(1024, 1024, { fit: 'inside' }),
  '12MP': (s) => s.resize(4000, 3000, { fit: 'fill' }),
  '24MP': (s) => s.resize(6000, 4000, { fit: 'fill' }),
};
const CONTESTANTS = ['ours', 'imgly', 'bare', 'limit', 'rembg'] as const;
type Contestant = (typeof CONTESTANTS)[number];
interface Measured {
  perPhotoMs: number;
  peakRssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function writeInputs(size: string, dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  return Promise.all(
    PHOTOS.map(async (name) => {
      const file = path.join(dir, `${path.parse(name).name}.jpg`);
      if (!fs.existsSync(file))
        await SIZES[size](sharp(path.join(FIXTURES, 'photos', name)))
          .jpeg({ quality: 92 })
          .toFile(file);
      return file;
    }),
  );
}

/** Times `work` on each photo after a warm-up on the first; the median per photo. */
async function timed(files: string[], work: (bytes: Buffer) => Promise<unknown>): Promise<Measured> {
  const inputs = files.map((file) => fs.readFileSync(file));
  await work(inputs[0]);
  const times: number[] = [];
  for (const bytes of inputs) {
    const started = performance.now();
    await work(bytes);
    times.push(performance.now() - started);
  }
  return { perPhotoMs: median(times), peakRssMb: peakRssMb() };
}

async function runOurs(files: string[]): Promise<Measured> {
  const measured = await timed(files, (bytes) => cleanupImage(bytes, { mode: 'transparent' }));
  await closeWorkerPool();
  return measured;
}

/**
 * IMG.LY's library, installed from the npm registry once into the cache folder (not a
 * dependency of ours: community packages may not carry npm overrides), on the same sharp and
 * onnxruntime as ours (its pinned sharp 0.32 would fetch libvips from GitHub at install).
 */
function peerFolder(): string {
  const dir = path.join(defaultCacheDir(), 'peers', `imgly-${IMGLY_VERSION}`);
  if (fs.existsSync(path.join(dir, 'node_modules', '@imgly', 'background-removal-node', 'package.json'))) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const ours = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const manifest = {
    name: 'vitrinealu-bench-peers',
    private: true,
    dependencies: {
      '@imgly/background-removal-node': IMGLY_VERSION,
      sharp: ours.dependencies.sharp,
      'onnxruntime-node': ours.dependencies['onnxruntime-node'],
    },
    overrides: { '@imgly/background-removal-node': { sharp: '$sharp', 'onnxruntime-node': '$onnxruntime-node' } },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`bench:peers — installing @imgly/background-removal-node@${IMGLY_VERSION} into ${dir} (once)`);
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  return dir;
}

async function runImgly(files: string[]): Promise<Measured> {
  // onnxruntime-node's binding is the same file as ours: the peer gets its own process.
  const library = path.join(peerFolder(), 'node_modules', '@imgly', 'background-removal-node');
  // Its model and wasm files are found through publicPath (by default under the working folder).
  const publicPath = `file://${path.join(library, 'dist')}/`;
  const { removeBackground } = require(library) as {
    removeBackground: (image: Blob, config: object) => Promise<Blob>;
  };
  return timed(files, async (bytes) => {
    const out = await removeBackground(new Blob([bytes], { type: 'image/jpeg' }), { publicPath, model: 'medium', output: { format: 'image/png' } });
    return Buffer.from(await out.arrayBuffer());
  });
}

async function runBare(files: string[]): Promise<Measured> {
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const config = readEngineConfig();
  const model = resolveModel({ cacheDir: config.modelCacheDir });
  const side = model.family.inputSize;
  const session = await ort.InferenceSession.create(model.path, { executionProviders: ['cpu'] });
  const tensors = await Promise.all(
    files.map(async (file) => {
      const pixels = await sharp(file).resize(side, side, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      return new ort.Tensor('float32', toInputTensorData(pixels, model.family), [1, 3, side, side]);
    }),
  );
  let next = 0;
  // The same timing loop, on tensors instead of bytes.
  return timed(files, async () => session.run({ [session.inputNames[0]]: tensors[next++ % tensors.length] }));
}

async function runLimit(files: string[]): Promise<Measured> {
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const config = readEngineConfig();
  const model = resolveModel({ cacheDir: config.modelCacheDir });
  const file = await cpuModelFile(model.path, model.sha256, config.modelCacheDir, config.modelPrecision);
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
    intraOpNumThreads: nativeThreads(0),
  });
  const side = model.family.inputSize;
  return timed(files, async (bytes) => {
    const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const pixels = await sharp(data, raw).resize(side, side, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', toInputTensorData(pixels, model.family), [1, 3, side, side]) });
    const mask = toMask((outputs[session.outputNames[0]].data as Float32Array).subarray(0, side * side), model.family);
    const alpha = await sharp(Buffer.from(mask), { raw: { width: side, height: side, channels: 1 } })
      .resize(info.width, info.height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    // Written as the engine writes a PNG (zlib level 2, black under alpha 0: image/encode.ts).
    return encodeImage(
      { data, width: info.width, height: info.height, channels: 3 },
      { format: 'png', pngCompression: 2 },
      { data: alpha, width: info.width, height: info.height },
    );
  });
}

function rembgPython(): string | undefined {
  const python = process.env.REMBG_PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import rembg'], { encoding: 'utf8' });
  return probe.status === 0 ? python : undefined;
}

/** rembg's environment (rembgModelHome), set once before rembg first runs. */
let rembgEnv: NodeJS.ProcessEnv = process.env;

/**
 * rembg's environment: U2NET_HOME as given, else a folder holding the bundled weights as
 * rembg's isnet-general-use.onnx (widened to fp32, all seven outputs, as rembg ships that
 * network), written once beside the engine's cache; no download, no checksum against it.
 */
async function rembgModelHome(): Promise<NodeJS.ProcessEnv> {
  if (process.env.U2NET_HOME) return process.env;
  const config = readEngineConfig();
  const home = path.join(config.modelCacheDir, 'rembg');
  const file = path.join(home, 'isnet-general-use.onnx');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(home, { recursive: true });
    await writeFileAtomic(file, widenModel(fs.readFileSync(resolveModel({ cacheDir: config.modelCacheDir }).path)));
  }
  return { ...process.env, U2NET_HOME: home, MODEL_CHECKSUM_DISABLED: '1' };
}

function runRembg(files: string[]): Measured {
  const script = `
import json, resource, sys, time
from rembg import new_session, remove
session = new_session("isnet-general-use")
files = sys.argv[1:]
remove(open(files[0], "rb").read(), session=session)
times = []
for name in files:
    data = open(name, "rb").read()
    start = time.perf_counter()
    remove(data, session=session)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({"perPhotoMs": times[len(times) // 2], "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
`;
  const out = execFileSync(rembgPython()!, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 1 << 20, env: rembgEnv });
  return JSON.parse(out.trim().split('\n').pop()!) as Measured;
}

interface BatchMeasured {
  seconds: number;
  peakRssMb: number;
}

/** The folder through the engine, BG_CONCURRENCY photos in flight as the nodes run items, each written as it is done. */
async function runOursBatch(files: string[], outDir: string): Promise<BatchMeasured> {
  await cleanupImage(fs.readFileSync(files[0]), { mode: 'transparent' });
  const started = performance.now();
  await mapWithConcurrency(files.length, readEngineConfig().concurrency, async (index) => {
    const result = await cleanupImage(await fs.promises.readFile(files[index]), { mode: 'transparent' });
    await fs.promises.writeFile(path.join(outDir, `${index}.png`), result.data);
  });
  const seconds = (performance.now() - started) / 1000;
  await closeWorkerPool();
  return { seconds, peakRssMb: peakRssMb() };
}

/** rembg's folder mode as `rembg p` runs it (rembg/commands/p_command.py): one session, then each photo read, removed, written. */
function runRembgBatch(files: string[], outDir: string): BatchMeasured {
  const script = `
import json, os, resource, sys, time
from rembg import new_session, remove
session = new_session("isnet-general-use")
out_dir, files = sys.argv[1], sys.argv[2:]
remove(open(files[0], "rb").read(), session=session)
start = time.perf_counter()
for index, name in enumerate(files):
    with open(name, "rb") as f:
        data = f.read()
    with open(os.path.join(out_dir, f"{index}.png"), "wb") as f:
        f.write(remove(data, session=session))
print(json.dumps({"seconds": time.perf_counter() - start, "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
`;
  const out = execFileSync(rembgPython()!, ['-c', script, outDir, ...files], { encoding: 'utf8', maxBuffer: 1 << 20, env: rembgEnv });
  return JSON.parse(out.trim().split('\n').pop()!) as BatchMeasured;
}

/** --batch: the same folder through ours and rembg's folder mode, interleaved over the rounds. */
async function batchRound(size: string, count: number, reps: number, work: string) {
  const photos = await writeInputs(size, path.join(work, size));
  const files = Array.from({ length: count }, (_, i) => photos[i % photos.length]);
  const runs: Record<'ours' | 'rembg', BatchMeasured[]> = { ours: [], rembg: [] };
  const hasRembg = rembgPython() !== undefined;
  for (let rep = 0; rep < reps; rep++) {
    const order: Array<'ours' | 'rembg'> = hasRembg ? (rep % 2 ? ['rembg', 'ours'] : ['ours', 'rembg']) : ['ours'];
    for (const name of order) {
      const outDir = fs.mkdtempSync(path.join(work, `${name}-out-`));
      if (name === 'rembg') runs.rembg.push(runRembgBatch(files, outDir));
      else {
        runs.ours.push(thisScript<BatchMeasured>(['--run-batch', outDir, ...files]));
      }
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  }
  const perMinute = (list: BatchMeasured[]) => (list.length ? (count / median(list.map((m) => m.seconds))) * 60 : undefined);
  const ours = perMinute(runs.ours)!;
  const rembg = perMinute(runs.rembg);
  const rss = (list: BatchMeasured[]) => Math.max(...list.map((m) => m.peakRssMb));
  console.log(
    `${size.padEnd(7)} ${count} photos, photos per minute (peak RSS): ours ${ours.toFixed(1)} (${rss(runs.ours)} MB, ${readEngineConfig().concurrency} in flight) | rembg folder mode ${rembg ? `${rembg.toFixed(1)} (${rss(runs.rembg)} MB)` : '—'} | ours / rembg ${rembg ? `${(ours / rembg).toFixed(2)}x` : '—'}`,
  );
  return { size, count, oursPerMinute: ours, rembgPerMinute: rembg };
}

/** This script in a process of its own (native runtime, CPU), its last output line parsed. */
function thisScript<T>(args: string[]): T {
  const out = execFileSync(process.execPath, [__filename, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEVICE: 'cpu', BG_RUNTIME: 'native' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

function child(contestant: Contestant, files: string[]): Measured {
  if (contestant === 'rembg') return runRembg(files);
  return thisScript<Measured>(['--run', contestant, ...files]);
}

/** A whole number of at least 1 given to `name`, or a clear error: a typo must not quietly run another benchmark. */
function positiveCount(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number of at least 1, not "${text}"`);
  return value;
}

function sizesOption(text: string): string[] {
  const sizes = text.split(',').map((size) => size.trim());
  for (const size of sizes) if (!SIZES[size]) throw new Error(`--sizes takes sizes among ${Object.keys(SIZES).join(', ')}; not "${size}"`);
  return sizes;
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--run-batch') {
    const [, outDir, ...files] = args;
    console.log(JSON.stringify(await runOursBatch(files, outDir)));
    return;
  }
  if (args[0] === '--run') {
    const [, contestant, ...files] = args;
    const run = { ours: runOurs, imgly: runImgly, bare: runBare, limit: runLimit }[contestant as 'ours' | 'imgly' | 'bare' | 'limit'];
    console.log(JSON.stringify(await run(files)));
    return;
  }
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' }, reps: { type: 'string' }, batch: { type: 'string' } } });
  const reps = positiveCount('--reps', values.reps ?? '2');
  if (rembgPython()) rembgEnv = await rembgModelHome();
  if (values.batch !== undefined) {
    const batch = positiveCount('--batch', values.batch);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-batch-'));
    try {
      const rows = [];
      for (const size of sizesOption(values.sizes ?? '12MP')) rows.push(await batchRound(size, batch, reps, work));
      console.log(JSON.stringify({ bench: 'peers-batch', rows }));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const sizes = sizesOption(values.sizes ?? Object.keys(SIZES).join(','));
  const contestants = CONTESTANTS.filter((name) => name !== 'rembg' || rembgPython());
  peerFolder();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-'));
  console.log(
    `bench:peers — ${PHOTOS.length} fixture photos as JPEG q92, transparent PNG out, same IS-Net weights, ${os.cpus().length} CPUs, ${reps} interleaved rounds; ${contestants.join(', ')}${contestants.includes('rembg') ? '' : ' (rembg: no python3 with rembg here; REMBG_PYTHON picks one)'}`,
  );
  const rows = [];
  try {
    for (const size of sizes) {
      const files = await writeInputs(size, path.join(work, size));
      const runs: Record<string, Measured[]> = {};
      for (let rep = 0; rep < reps; rep++) {
        // Rotate the order each round: no contestant always runs on a machine the others warmed.
        const order = contestants.map((_, i) => contestants[(i + rep) % contestants.length]);
        for (const contestant of order) (runs[contestant] ??= []).push(child(contestant, files));
      }
      const result = Object.fromEntries(
        Object.entries(runs).map(([name, list]) => [
          name,
          { perPhotoMs: median(list.map((m) => m.perPhotoMs)), peakRssMb: Math.max(...list.map((m) => m.peakRssMb)) },
        ]),
      ) as Record<Contestant, Measured>;
      const seconds = (name: Contestant) => (result[name] ? `${(result[name].perPhotoMs / 1000).toFixed(2)} s (${result[name].peakRssMb} MB)` : '—');
      console.log(
        `${size.padEnd(7)} seconds per photo (peak RSS): ours ${seconds('ours')} | limit ${seconds('limit')} | IMG.LY ${seconds('imgly')} | bare session.run ${seconds('bare')} | rembg ${seconds('rembg')}`,
      );
      const ratio = (name: Contestant) => (result[name] ? `${(result[name].perPhotoMs / result.ours.perPhotoMs).toFixed(2)}x` : '—');
      console.log(
        `${''.padEnd(7)} ours / limit ${(result.ours.perPhotoMs / result.limit.perPhotoMs).toFixed(2)}x | ours / bare ${(result.ours.perPhotoMs / result.bare.perPhotoMs).toFixed(2)}x | IMG.LY / ours ${ratio('imgly')} | rembg / ours ${ratio('rembg')}`,
      );
      rows.push({ size, ...result });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'peers', rows }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
