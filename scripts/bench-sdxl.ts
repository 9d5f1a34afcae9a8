/**
 * npm run bench:sdxl -- [--model-dir DIR] [--size 1024] [--steps 25] [--runs 3]
 *                       [--scheduler euler] [--strategy txt2img|outpaint] [--device auto|cuda|cpu]
 *
 * Times SDXL generations through the engine's worker-thread runner (the path n8n uses):
 * load + first image, then the median seconds per image and per step over --runs, peak
 * host memory (the process's max RSS) and peak GPU memory (nvidia-smi, when there is one).
 * Without --model-dir it writes the tiny test export and runs that on CPU: the figures
 * then measure the pipeline's own overhead, not SDXL. Goal (issue #5) on an H100 with fp16
 * weights: <= 4 s per image at 1024x1024 and 25 steps; the ratio to it is printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type Device, readEngineConfig } from '../src/engine/core/config';
import { SdxlRunner } from '../src/engine/generate/sdxl/runner';
import { SCHEDULERS, type SchedulerName } from '../src/engine/generate/sdxl/schedulers';
import { writeTinySdxl } from '../testkit/tinySdxl';

const GOAL_SECONDS = 4;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Samples used GPU memory (MiB) with nvidia-smi's own loop; undefined without an NVIDIA GPU. */
function gpuMemorySampler(): { stop: () => number | undefined; baseline?: number } {
  let baseline: number | undefined;
  try {
    baseline = Number(execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' }).split('\n')[0]);
  } catch {
    return { stop: () => undefined };
  }
  let peak = baseline;
  const child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) peak = Math.max(peak, Number(line.split(',')[0]));
  });
  return {
    baseline,
    stop: () => {
      child.kill();
      return peak;
    },
  };
}

async function main(): Promise<void> {
  const given = option('model-dir', '');
  const tiny = !given;
  const modelDir = given ? path.resolve(given) : writeTinySdxl(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sdxl-')));
  const size = Number(option('size', '1024'));
  const steps = Number(option('steps', '25'));
  const runs = Math.max(1, Number(option('runs', '3')));
  const scheduler = option('scheduler', 'euler') as SchedulerName;
  if (!SCHEDULERS.includes(scheduler)) throw new Error(`--scheduler must be one of ${SCHEDULERS.join(', ')}`);
  const strategy = option('strategy', 'txt2img');
  const device = option('device', tiny ? 'cpu' : readEngineConfig().device) as Device;
  const threads = readEngineConfig().inferenceThreads;

  const job = () => {
    const base = {
      prompt: 'a modern aluminium veranda on a sunny garden terrace, professional photo',
      negativePrompt: 'blurry, low quality, text, watermark',
      width: size,
      height: size,
      steps,
      guidanceScale: 7.5,
      guidanceRescale: 0,
      seed: 42,
      scheduler,
      strength: 1,
    };
    if (strategy !== 'outpaint') return base;
    // A product in the middle third: everything else is repainted.
    const image = new Uint8Array(size * size * 3).fill(128);
    const mask = new Uint8Array(size * size).fill(1);
    for (let y = Math.floor(size / 3); y < Math.floor((2 * size) / 3); y++)
      mask.fill(0, y * size + Math.floor(size / 3), y * size + Math.floor((2 * size) / 3));
    return { ...base, image, mask };
  };

  const gpu = gpuMemorySampler();
  const runner = new SdxlRunner(1);
  let provider = '';
  const warnings = new Set<string>();
  let started = performance.now();
  const first = await runner.generate(job(), { modelDir, device, threads });
  const firstSeconds = (performance.now() - started) / 1000;
  provider = first.provider;
  first.warnings.forEach((warning) => warnings.add(warning));
  const perImage: number[] = [];
  const perStep: number[] = [];
  for (let run = 0; run < runs; run++) {
    started = performance.now();
    const result = await runner.generate(job(), { modelDir, device, threads });
    perImage.push((performance.now() - started) / 1000);
    perStep.push(result.timings.denoiseMs / 1000 / result.stepsRun);
  }
  const gpuPeak = gpu.stop();
  await runner.close();
  const image = median(perImage);
  console.log(
    `bench:sdxl — ${tiny ? 'TINY TEST EXPORT (pipeline overhead, not SDXL)' : modelDir}, ${size}x${size}, ${steps} steps, ${scheduler}, ${strategy}, guidance 7.5, provider ${provider}`,
  );
  console.log(
    `load + first image ${firstSeconds.toFixed(2)} s | per image (median of ${runs}) ${image.toFixed(3)} s | per step ${median(perStep).toFixed(4)} s`,
  );
  console.log(
    `peak host RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB | peak GPU memory ${gpuPeak === undefined ? 'n/a (no NVIDIA GPU)' : `${gpuPeak} MiB (${gpuPeak - (gpu.baseline ?? 0)} MiB over the ${gpu.baseline} MiB before)`}`,
  );
  console.log(`per image / goal (${GOAL_SECONDS} s on an H100, fp16): ${(image / GOAL_SECONDS).toFixed(2)}x${tiny ? ' (meaningless on the tiny export)' : ''}`);
  for (const warning of warnings) console.log(`warning: ${warning}`);
  if (tiny) fs.rmSync(modelDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
