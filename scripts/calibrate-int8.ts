/**
 * npm run calibrate:int8 — the activation ranges the int8 copy of the bundled model is made with
 * (runtime/quantizeModel.ts), written to src/engine/segment/int8Ranges.ts. Run once per model
 * version; the engine makes its int8 copy from the shipped ranges, never calibrating itself.
 *
 * The calibration photos: the six fixture photos, at the model's input as the engine feeds it
 * (not bench:frames scenes: a drawn window over a plain wall drives the decoder to 50x the
 * activations of a busy photo). Each Conv's input and output is read out of the fp32 copy
 * (with the first output only). Per photo, its range holds all but 0.001 % of the values
 * (half cut off each end, from a histogram of 2048 bins over [-max |x|, max |x|], as
 * onnxruntime's percentile calibration); the range shipped is the median of the photos' ends.
 * Ranges pooled over the photos instead were stretched by the apple's white sweep (decoder
 * activations 10x the others'), and 256 levels over them cost every photo its precision:
 * IoU to fp32 on the cat 0.961 and 45 bench:frames scenes 0.950 on average, against 0.993 and
 * 0.990 with the median; values beyond a range saturate, which moves the mask far less.
 *
 *   npm run calibrate:int8 -- [--check]   (--check: compare with the shipped ranges, write nothing)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

import { readEngineConfig } from '../src/engine';
import { DataType, graphField } from '../src/engine/runtime/onnxGraph';
import { GRAPH_NODE, MODEL_GRAPH, graphOf, readNode } from '../src/engine/runtime/onnxRead';
import { bytesField, fields, rewrite } from '../src/engine/runtime/protoWire';
import type { ActivationRanges } from '../src/engine/runtime/quantizeModel';
import { cpuModelFile } from '../src/engine/segment/cpuModel';
import { resolveModel } from '../src/engine/segment/model';
import { toInputTensorData } from '../src/engine/segment/tensors';
import { PHOTOS, REPO_ROOT, readPhoto } from '../testkit/fixtures';

const PERCENTILE = 99.999;
const BINS = 2048;
/** Tensors read out per run: their copies (up to 64 MB each at 1024 px) must fit in memory. */
const GROUP = 24;
const OUTPUT = path.join(REPO_ROOT, 'src', 'engine', 'segment', 'int8Ranges.ts');

/** Every Conv's input and output (not its weights), in graph order. */
function convActivations(model: Buffer): string[] {
  const names = new Set<string>();
  for (const field of fields(graphOf(model)!.payload!)) {
    if (field.number !== GRAPH_NODE || !field.payload) continue;
    const node = readNode(field.payload);
    if (node.op === 'Conv') names.add(node.inputs[0]).add(node.outputs[0]);
  }
  return [...names];
}

/** The model with the tensors added as graph outputs. */
function withOutputs(model: Buffer, names: string[]): Buffer {
  const extra = names.map((name) => graphField.output({ name, type: DataType.FLOAT }));
  return rewrite(model, (field) =>
    field.number === MODEL_GRAPH && field.payload ? bytesField(MODEL_GRAPH, Buffer.concat([field.payload, ...extra])) : undefined,
  );
}

async function calibrationInputs(side: number): Promise<Buffer[]> {
  const images = PHOTOS.map(readPhoto);
  return Promise.all(images.map((image) => sharp(image).rotate().removeAlpha().resize(side, side, { fit: 'fill', kernel: 'linear' }).raw().toBuffer()));
}

function histogramOf(data: Float32Array): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  const bound = Math.max(Math.abs(min), Math.abs(max)) || 1;
  const counts = new Float64Array(BINS);
  for (let i = 0; i < data.length; i++) counts[Math.min(BINS - 1, Math.floor(((data[i] + bound) / (2 * bound)) * BINS))]++;
  return { min, max, counts };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Histogram {
  min: number;
  max: number;
  counts: Float64Array;
}

/** The range holding all but (100 - PERCENTILE) % of the values, half cut off each end, within [min, max]. */
function percentileRange({ min, max, counts }: Histogram): [number, number] {
  const bound = Math.max(Math.abs(min), Math.abs(max));
  const total = counts.reduce((s, c) => s + c, 0);
  const cut = (100 - PERCENTILE) / 200;
  const edge = (bin: number) => -bound + (2 * bound * bin) / BINS;
  let cumulative = 0;
  let low: number | undefined;
  let high = max;
  for (let bin = 0; bin < BINS; bin++) {
    cumulative += counts[bin] / total;
    if (low === undefined && cumulative >= cut) low = edge(bin);
    if (cumulative >= 1 - cut) {
      high = edge(bin);
      break;
    }
  }
  return [Math.max(min, low ?? min), Math.min(max, high)];
}

async function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const config = readEngineConfig();
  const model = resolveModel({ cacheDir: config.modelCacheDir });
  const fp32 = fs.readFileSync(await cpuModelFile(model.path, model.sha256, config.modelCacheDir));
  const names = convActivations(fp32);
  const session = await ort.InferenceSession.create(withOutputs(fp32, names), { executionProviders: ['cpu'], graphOptimizationLevel: 'basic' });
  const side = model.family.inputSize;
  const inputs = await calibrationInputs(side);
  const feeds = (pixels: Buffer) => ({ [session.inputNames[0]]: new ort.Tensor('float32', toInputTensorData(pixels, model.family), [1, 3, side, side]) });
  const perPhoto = new Map<string, Array<[number, number]>>(names.map((name) => [name, []]));
  for (let start = 0; start < names.length; start += GROUP) {
    const group = names.slice(start, start + GROUP);
    for (const pixels of inputs) {
      const out = await session.run(feeds(pixels), group);
      for (const name of group) perPhoto.get(name)!.push(percentileRange(histogramOf(out[name].data as Float32Array)));
    }
    console.error(`${Math.min(names.length, start + GROUP)} / ${names.length} tensors`);
  }
  const ranges: ActivationRanges = Object.fromEntries(
    names.map((name) => {
      const found = perPhoto.get(name)!;
      return [name, [median(found.map((r) => r[0])), median(found.map((r) => r[1]))].map((v) => Number(v.toPrecision(7))) as [number, number]];
    }),
  );
  // Formatted as the repository's lint wants it, so that --check compares like with like.
  const prettier = await import('prettier');
  const text = await prettier.format(render(model.sha256, inputs.length, ranges), { ...(await prettier.resolveConfig(OUTPUT)), filepath: OUTPUT });
  if (values.check) {
    const same = fs.existsSync(OUTPUT) && fs.readFileSync(OUTPUT, 'utf8') === text;
    console.log(same ? 'the shipped ranges are what calibration gives' : 'the shipped ranges differ from what calibration gives');
    process.exitCode = same ? 0 : 1;
    return;
  }
  fs.writeFileSync(OUTPUT, text);
  console.log(`${names.length} ranges from ${inputs.length} photos -> ${path.relative(REPO_ROOT, OUTPUT)}`);
}

function render(sha256: string, photos: number, ranges: ActivationRanges): string {
  const lines = Object.entries(ranges).map(([name, [low, high]]) => `    ${JSON.stringify(name)}: [${low}, ${high}],`);
  return `// Written by scripts/calibrate-int8.ts (npm run calibrate:int8); do not edit by hand.
import type { ActivationRanges } from '../runtime/quantizeModel';

/** The bundled model's Conv activation ranges (${photos} calibration photos, percentile ${PERCENTILE}), by model sha256. */
export const INT8_RANGES: Record<string, ActivationRanges> = {
  ${JSON.stringify(sha256)}: {
${lines.join('\n')}
  },
};
`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
