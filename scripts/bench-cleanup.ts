/**
 * npm run bench:cleanup — the cleanup path against bare inference, on the same inputs.
 *
 * For the fixture photos scaled to 1024 px (long side) and to 4000x3000, on each inference
 * library (native onnxruntime-node and onnxruntime-web WASM; --runtimes native,wasm), each in
 * its own child process so peak RSS is per size and library:
 *   e2e   median time of cleanupImage() (decode -> segment -> matte -> transparent PNG)
 *   bare  median time of session.run() alone, same library, on the model file as shipped with
 *         onnxruntime's default session options (what a peer like rembg runs), on the same
 *         images resized to the model input (no decode, no matte, no encode); and the engine's
 *         own session (its file and options) the same way
 *   ratio e2e / bare, the e2e process's peak RSS, and WASM against native side by side.
 * Goals: e2e <= 1.15x bare at 12 MP (1.3x at 24 MP, bench:peers), 12 MP peak RSS <= 1.5 GB.
 * Prints ratios, asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { FIXTURES, PHOTOS } from '../testkit/fixtures';

import { cleanupImage, closeWorkerPool, readEngineConfig } from '../src/engine';
import { loadBackend, type RuntimeChoice } from '../src/engine/runtime/backend';
import { openSession } from '../src/engine/runtime/session';
import { cpuModelFile } from '../src/engine/segment/cpuModel';
import { resolveModel } from '../src/engine/segment/model';
import { toInputTensorData } from '../src/engine/segment/tensors';

const SIZES: Record<string, (s: sharp.Sharp) => sharp.Sharp> = {
  '1024px': (s) => s.resize(1024, 1024, { fit: 'inside' }),
  '4000x3000': (s) => s.resize(4000, 3000, { fit: 'fill' }),
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function inputs(size: string): Promise<Buffer[]> {
  return Promise.all(
    PHOTOS.map((name) =>
      SIZES[size](sharp(path.join(FIXTURES, 'photos', name)))
        .jpeg({ quality: 92 })
        .toBuffer(),
    ),
  );
}

async function phaseE2e(size: string): Promise<object> {
  const images = await inputs(size);
  await cleanupImage(images[0], {}); // warm-up: model assembly, session creation
  const totals: number[] = [];
  const inference: number[] = [];
  const stages: Record<string, number[]> = {};
  for (const image of images) {
    const started = performance.now();
    const result = await cleanupImage(image, { mode: 'transparent' });
    totals.push(performance.now() - started);
    inference.push(result.metadata.timings.inferenceMs);
    for (const [key, value] of Object.entries(result.metadata.timings)) (stages[key] ??= []).push(value);
  }
  await closeWorkerPool();
  return {
    e2eMs: median(totals),
    stagesMs: Object.fromEntries(Object.entries(stages).map(([key, values]) => [key, Math.round(median(values))])),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/**
 * session.run alone, same library, on the same images at the model's input size. `defaults`:
 * the model file as shipped with onnxruntime's own default session options (what a peer such
 * as rembg runs); `engine`: the file and options the engine opens (its fp32 copy on CPU).
 */
async function phaseBare(size: string, flavour: 'defaults' | 'engine'): Promise<object> {
  const config = readEngineConfig();
  const model = resolveModel({ modelPath: config.modelPath, family: config.modelFamily, cacheDir: config.modelCacheDir });
  const side = model.family.inputSize;
  const backend = await loadBackend(config.runtime, config.inferenceThreads);
  const provider = backend.name === 'wasm' ? 'wasm' : 'cpu';
  const session =
    flavour === 'defaults'
      ? await backend.ort.InferenceSession.create((backend.name === 'wasm' ? fs.readFileSync(model.path) : model.path) as string, {
          executionProviders: [provider],
        })
      : (
          await openSession(backend, model.path, {
            device: 'cpu',
            threads: config.inferenceThreads,
            graphOptimization: config.graphOptimization,
            cpuModelPath: () => cpuModelFile(model.path, model.sha256, config.modelCacheDir),
          })
        ).session;
  const tensors = await Promise.all(
    (await inputs(size)).map(async (image) => {
      const pixels = await sharp(image).resize(side, side, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      return new backend.ort.Tensor('float32', toInputTensorData(pixels, model.family), [1, 3, side, side]);
    }),
  );
  await session.run({ [session.inputNames[0]]: tensors[0] }); // warm-up, as for e2e
  const runs: number[] = [];
  for (const tensor of tensors) {
    const started = performance.now();
    await session.run({ [session.inputNames[0]]: tensor });
    runs.push(performance.now() - started);
  }
  return { bareMs: median(runs), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

function child(phase: string, size: string, runtime: RuntimeChoice): Record<string, unknown> {
  const out = execFileSync(process.execPath, [__filename, '--phase', phase, '--size', size], {
    encoding: 'utf8',
    env: { ...process.env, DEVICE: process.env.DEVICE ?? 'cpu', BG_RUNTIME: runtime },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

type E2e = { e2eMs: number; stagesMs: Record<string, number>; peakRssMb: number };
type Bare = { bareMs: number; peakRssMb: number };

async function main() {
  const args = process.argv.slice(2);
  const phase = args[args.indexOf('--phase') + 1];
  const size = args[args.indexOf('--size') + 1];
  if (args.includes('--phase')) {
    const result = phase === 'e2e' ? await phaseE2e(size) : await phaseBare(size, phase === 'bare-engine' ? 'engine' : 'defaults');
    console.log(JSON.stringify(result));
    return;
  }
  if (!fs.existsSync(path.join(FIXTURES, 'photos'))) throw new Error(`Fixtures not found at ${FIXTURES} (set VITRINEALU_FIXTURES)`);
  const runtimes = (args.includes('--runtimes') ? args[args.indexOf('--runtimes') + 1] : 'native,wasm').split(',') as RuntimeChoice[];
  console.log(
    `bench:cleanup — ${PHOTOS.length} fixture photos, JPEG q92 inputs, transparent PNG output, DEVICE=${process.env.DEVICE ?? 'cpu'}, runtimes ${runtimes.join(' and ')} (onnxruntime-node, onnxruntime-web WASM)`,
  );
  const rows = [];
  for (const size of Object.keys(SIZES)) {
    const measured: Record<string, { e2e: E2e; bare: Bare; engineBare: Bare }> = {};
    for (const runtime of runtimes) {
      const e2e = child('e2e', size, runtime) as E2e;
      const bare = child('bare', size, runtime) as Bare;
      const engineBare = child('bare-engine', size, runtime) as Bare;
      measured[runtime] = { e2e, bare, engineBare };
      console.log(
        `${size.padEnd(10)} ${runtime.padEnd(6)} e2e median ${(e2e.e2eMs / 1000).toFixed(2)} s | bare session.run (model as shipped, onnxruntime defaults) ${(bare.bareMs / 1000).toFixed(2)} s | ratio ${(e2e.e2eMs / bare.bareMs).toFixed(2)}x | peak RSS e2e ${e2e.peakRssMb} MB (bare ${bare.peakRssMb} MB)`,
      );
      console.log(
        `           ${''.padEnd(6)} the engine's own session.run ${(engineBare.bareMs / 1000).toFixed(2)} s (${(engineBare.bareMs / bare.bareMs).toFixed(2)}x the defaults'; peak RSS ${engineBare.peakRssMb} MB); e2e / engine's session.run ${(e2e.e2eMs / engineBare.bareMs).toFixed(2)}x`,
      );
      console.log(`           ${''.padEnd(6)} e2e stages (median ms): ${JSON.stringify(e2e.stagesMs)}`);
    }
    if (measured.native && measured.wasm) {
      const { native, wasm } = measured;
      console.log(
        `${size.padEnd(10)} side by side: seconds per photo native ${(native.e2e.e2eMs / 1000).toFixed(2)} | WASM ${(wasm.e2e.e2eMs / 1000).toFixed(2)} | WASM / native ${(wasm.e2e.e2eMs / native.e2e.e2eMs).toFixed(2)}x end to end, ${(wasm.bare.bareMs / native.bare.bareMs).toFixed(2)}x inference alone`,
      );
    }
    rows.push({ size, ...measured });
  }
  console.log(JSON.stringify({ bench: 'cleanup', rows }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
