import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

import { DataType, encodeModel, type Graph } from '../../src/engine/runtime/onnxGraph';
import { quantizeConvs, type ActivationRanges } from '../../src/engine/runtime/quantizeModel';
import { cpuModelFile, int8Unavailable } from '../../src/engine/segment/cpuModel';

/** IS-Net's pattern in small: Conv then ReLU, twice, the second Conv reading the first's output. */
function convGraph(): Graph {
  const weights = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + phase) * 0.4);
  return {
    name: 'convs',
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 2, 8, 8] }],
    outputs: [{ name: 'y', type: DataType.FLOAT, shape: [1, 3, 8, 8] }],
    initializers: [
      { name: 'w1', type: DataType.FLOAT, dims: [4, 2, 3, 3], data: weights(72, 0) },
      { name: 'b1', type: DataType.FLOAT, dims: [4], data: Float32Array.of(0.1, -0.2, 0.05, 0) },
      { name: 'w2', type: DataType.FLOAT, dims: [3, 4, 3, 3], data: weights(108, 2) },
      { name: 'b2', type: DataType.FLOAT, dims: [3], data: Float32Array.of(0, 0.3, -0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attributes: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['y'] },
    ],
  };
}

const input = new ort.Tensor(
  'float32',
  Float32Array.from({ length: 128 }, (_, i) => Math.cos(i * 0.37)),
  [1, 2, 8, 8],
);

/** Every Conv input and output's range on the test input, as calibration would find it. */
async function rangesOf(): Promise<ActivationRanges> {
  const graph = convGraph();
  graph.outputs.push(...['c1', 'r1', 'c2'].map((name) => ({ name, type: DataType.FLOAT })));
  const session = await ort.InferenceSession.create(encodeModel(graph));
  const out = await session.run({ x: input });
  const ranges: ActivationRanges = { x: [-1, 1] };
  for (const name of ['c1', 'r1', 'c2']) {
    const data = out[name].data as Float32Array;
    ranges[name] = [Math.min(...data), Math.max(...data)];
  }
  return ranges;
}

describe('int8 convolutions (QDQ)', () => {
  test('close to fp32, integer weights, fused into integer convolutions by onnxruntime', async () => {
    const fp32 = encodeModel(convGraph());
    const { model, quantized } = quantizeConvs(fp32, await rangesOf());
    expect(quantized).toBe(2);
    expect(model.length).toBeLessThan(fp32.length + 2000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'int8-'));
    const optimized = path.join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
    expect(fs.readFileSync(optimized).includes(Buffer.from('QLinearConv'))).toBe(true);
    const [a, b] = [
      (await (await ort.InferenceSession.create(fp32)).run({ x: input })).y.data as Float32Array,
      (await session.run({ x: input })).y.data as Float32Array,
    ];
    const peak = Math.max(...a);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    // A few levels of 256 over the output's range, never more.
    expect(worst).toBeLessThan(peak * 0.03);
    expect(worst).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a Conv without a calibrated input or output range stays fp32', async () => {
    const fp32 = encodeModel(convGraph());
    const { r1, ...withoutSecondInput } = await rangesOf();
    expect(r1).toBeDefined();
    const { model, quantized } = quantizeConvs(fp32, withoutSecondInput);
    expect(quantized).toBe(1);
    expect(model.includes(Buffer.from('w2::int8'))).toBe(false);
    expect(model.includes(Buffer.from('w1::int8'))).toBe(true);
    expect(quantizeConvs(fp32, {}).model.equals(fp32)).toBe(true);
  });

  test('Convs sharing a weight and bias stay fp32 (an integer bias follows one input scale); the model still runs', async () => {
    const graph = convGraph();
    graph.initializers = graph.initializers.filter((t) => t.name !== 'w2' && t.name !== 'b2');
    graph.nodes[2] = { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c2'], attributes: { pads: [1, 1, 1, 1] } };
    graph.nodes.push({ op: 'Add', inputs: ['r1', 'y0'], outputs: ['sum'] });
    graph.nodes[3] = { op: 'Relu', inputs: ['c2'], outputs: ['y0'] };
    graph.outputs = [{ name: 'sum', type: DataType.FLOAT, shape: [1, 4, 8, 8] }];
    const fp32 = encodeModel(graph);
    const { model, quantized } = quantizeConvs(fp32, { x: [-1, 1], c1: [-2, 2], c2: [-2, 2] });
    expect(quantized).toBe(0);
    expect(model.equals(fp32)).toBe(true);
    const out = await (await ort.InferenceSession.create(model)).run({ x: input });
    expect(out.sum.dims).toEqual([1, 4, 8, 8]);
  });

  test('int8 asked for a model without calibrated ranges: its fp32 copy, and a warning saying so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'int8-'));
    const file = path.join(dir, 'convs.onnx');
    fs.writeFileSync(file, encodeModel(convGraph()));
    expect(await cpuModelFile(file, '12'.repeat(32), path.join(dir, 'cache'), 'int8')).toBe(file);
    expect(int8Unavailable('int8', '12'.repeat(32), 'cpu')).toMatch(/no calibrated ranges/);
    expect(int8Unavailable('fp32', '12'.repeat(32), 'cpu')).toBeUndefined();
    expect(int8Unavailable('int8', '12'.repeat(32), 'cuda')).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
