import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

import { cpuModelFile } from '../../src/engine/segment/cpuModel';
import { DataType, encodeModel, type Graph } from '../../src/engine/runtime/onnxGraph';
import { floatsToHalf } from '../../src/engine/runtime/half';
import { keepFirstOutput, outputCount } from '../../src/engine/runtime/firstOutput';
import { hasHalfWeights, widenModel } from '../../src/engine/runtime/widenModel';

/** IS-Net's pattern in small: float32 in, cast to float16, float16 weights and constants, cast back. */
function halfGraph(): Graph {
  const weights = Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => Math.sin(i) * 0.5);
  return {
    name: 'half',
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 2, 6, 6] }],
    outputs: [{ name: 'y', type: DataType.FLOAT, shape: [1, 2, 6, 6] }],
    initializers: [
      { name: 'w', type: DataType.FLOAT16, dims: [2, 2, 3, 3], data: floatsToHalf(weights) },
      { name: 'b', type: DataType.FLOAT16, dims: [2], data: floatsToHalf(Float32Array.of(0.25, -0.125)) },
    ],
    nodes: [
      { op: 'Cast', inputs: ['x'], outputs: ['xh'], attributes: { to: DataType.FLOAT16 } },
      { op: 'Conv', inputs: ['xh', 'w', 'b'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1] } },
      {
        op: 'Constant',
        inputs: [],
        outputs: ['k'],
        attributes: { value: { tensor: { name: 'k', type: DataType.FLOAT16, dims: [1], data: floatsToHalf(Float32Array.of(0.5)) } } },
      },
      { op: 'Add', inputs: ['c', 'k'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['r'] },
      { op: 'Cast', inputs: ['r'], outputs: ['y'], attributes: { to: DataType.FLOAT } },
    ],
  };
}

async function run(model: Buffer, input: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const out = await session.run({ x: new ort.Tensor('float32', input, [1, 2, 6, 6]) });
  return out.y.data as Float32Array;
}

describe('fp16 models widened to fp32 for CPU and WASM', () => {
  const input = Float32Array.from({ length: 72 }, (_, i) => Math.cos(i * 0.7));

  test('same outputs (within float16 rounding), no float16 left, every other byte kept', async () => {
    // A field the rewriter has no reason to know (doc_string, 6) must come through as it was.
    const doc = Buffer.from('a doc string nobody parses');
    const half = Buffer.concat([encodeModel(halfGraph(), 15), Buffer.from([0x32, doc.length]), doc]);
    expect(hasHalfWeights(half)).toBe(true);
    const wide = widenModel(half);
    expect(hasHalfWeights(wide)).toBe(false);
    expect(wide.includes(doc)).toBe(true);
    // Weights twice the bytes; nothing else grows.
    expect(wide.length).toBeGreaterThan(half.length + 36 * 2);
    const [a, b] = [await run(half, input), await run(wide, input)];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(0.01);
    expect(b.some((v) => v > 0)).toBe(true);
    // A model without float16 weights is left as it is.
    expect(widenModel(wide).equals(wide)).toBe(true);
  });

  test('the copy is made once in the cache folder, named after the model; an fp32 model is opened as it is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'widen-'));
    const halfPath = path.join(dir, 'half.onnx');
    fs.writeFileSync(halfPath, encodeModel(halfGraph(), 15));
    const cache = path.join(dir, 'cache');
    const copy = await cpuModelFile(halfPath, 'ab'.repeat(32), cache);
    expect(copy).toBe(path.join(cache, 'abababababababab-cpu.onnx'));
    expect(hasHalfWeights(fs.readFileSync(copy))).toBe(false);
    const stat = fs.statSync(copy);
    expect(await cpuModelFile(halfPath, 'ab'.repeat(32), cache)).toBe(copy);
    expect(fs.statSync(copy).mtimeMs).toBe(stat.mtimeMs);
    expect(fs.readdirSync(cache)).toEqual(['abababababababab-cpu.onnx']);
    expect(await cpuModelFile(copy, 'cd'.repeat(32), cache)).toBe(copy);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** Two outputs as IS-Net has seven: the matte first, then a side branch with a weight of its own. */
function twoOutputGraph(): Graph {
  return {
    name: 'two',
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 4] }],
    outputs: [
      { name: 'y', type: DataType.FLOAT, shape: [1, 4] },
      { name: 'side', type: DataType.FLOAT, shape: [1, 4] },
    ],
    initializers: [
      { name: 'k', type: DataType.FLOAT, dims: [4], data: Float32Array.of(0.5, -1, 2, 0) },
      { name: 'sideWeight', type: DataType.FLOAT, dims: [4], data: Float32Array.of(3, 3, 3, 3) },
    ],
    // Listed out of order, as some exports are: the walk must not depend on it.
    nodes: [
      { op: 'Relu', inputs: ['s'], outputs: ['y'] },
      { op: 'Add', inputs: ['x', 'k'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'sideWeight'], outputs: ['side'] },
    ],
  };
}

describe('the first output alone for CPU and WASM', () => {
  test('one output, only the nodes and weights it needs, the same values', async () => {
    const both = encodeModel(twoOutputGraph());
    const first = keepFirstOutput(both);
    expect([outputCount(both), outputCount(first)]).toEqual([2, 1]);
    expect(first.length).toBeLessThan(both.length);
    expect(first.includes(Buffer.from('sideWeight'))).toBe(false);
    expect(first.includes(Buffer.from('Mul'))).toBe(false);
    const x = new ort.Tensor('float32', Float32Array.of(-1, 0.25, -3, 4), [1, 4]);
    const [a, b] = [await ort.InferenceSession.create(both), await ort.InferenceSession.create(first)];
    expect(b.outputNames).toEqual(['y']);
    expect(Array.from((await b.run({ x })).y.data as Float32Array)).toEqual(Array.from((await a.run({ x })).y.data as Float32Array));
    expect(keepFirstOutput(first).equals(first)).toBe(true);
  });

  test('an fp32 model with several outputs gets a copy with one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'first-'));
    const file = path.join(dir, 'two.onnx');
    fs.writeFileSync(file, encodeModel(twoOutputGraph()));
    const copy = await cpuModelFile(file, 'ef'.repeat(32), path.join(dir, 'cache'));
    expect(copy).toBe(path.join(dir, 'cache', 'efefefefefefefef-cpu.onnx'));
    expect(outputCount(fs.readFileSync(copy))).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
