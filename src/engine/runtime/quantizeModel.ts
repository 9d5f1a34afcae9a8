import { DataType, graphField, type Node, type Tensor } from './onnxGraph';
import {
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_OUTPUT,
  graphOf,
  readFloatTensor,
  readNode,
  tensorName,
  type GraphNode,
} from './onnxRead';
import { bytesField, fields, rewrite } from './protoWire';

/**
 * A float32 model's convolutions in int8, as quantize-dequantize (QDQ) pairs that onnxruntime
 * fuses into integer convolutions (QLinearConv; VNNI and AVX2 kernels on x86). Each Conv
 * reads its input through a QuantizeLinear / DequantizeLinear pair (uint8, the range its
 * calibration found), its weights as int8 per output channel (symmetric), its bias as int32
 * at the input's scale times the weights', and writes its output through another pair; every
 * other node runs in float32 as before. A Conv without a calibrated range for its input and
 * output stays float32.
 */

/** Per activation tensor, the float range [low, high] calibration found (runtime/calibrate: scripts/calibrate-int8.ts). */
export type ActivationRanges = Record<string, [number, number]>;

const UINT8_LEVELS = 255;
const INT8_MAX = 127;

interface Affine {
  scale: number;
  zero: number;
}

/** uint8 scale and zero point covering [low, high] and 0 (zero must be exact: padding, ReLU). */
function uint8Affine([low, high]: [number, number]): Affine {
  const min = Math.min(low, 0);
  const max = Math.max(high, 0);
  const scale = max > min ? (max - min) / UINT8_LEVELS : 1;
  return { scale, zero: Math.max(0, Math.min(UINT8_LEVELS, Math.round(-min / scale))) };
}

/** Symmetric int8 weights per output channel (axis 0). */
function int8PerChannel(dims: number[], values: Float32Array): { data: Int8Array; scales: Float32Array } {
  const channels = dims[0];
  const size = values.length / channels;
  const data = new Int8Array(values.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let peak = 0;
    for (let i = c * size; i < (c + 1) * size; i++) peak = Math.max(peak, Math.abs(values[i]));
    const scale = peak > 0 ? peak / INT8_MAX : 1;
    scales[c] = scale;
    for (let i = c * size; i < (c + 1) * size; i++) data[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(values[i] / scale)));
  }
  return { data, scales };
}

class QdqBuilder {
  readonly nodes: Buffer[] = [];
  readonly initializers: Buffer[] = [];
  /** Activation name -> the name of its dequantized copy. */
  private readonly dequantized = new Map<string, string>();

  private node(node: Node): void {
    this.nodes.push(graphField.node(node, `${node.outputs[0]}::node`));
  }

  private tensor(tensor: Tensor): string {
    this.initializers.push(graphField.initializer(tensor));
    return tensor.name;
  }

  /** Quantize `from` and dequantize it as `to`, at `affine`. */
  pair(from: string, to: string, affine: Affine): void {
    const scale = this.tensor({ name: `${to}::scale`, type: DataType.FLOAT, dims: [], data: Float32Array.of(affine.scale) });
    const zero = this.tensor({ name: `${to}::zero`, type: DataType.UINT8, dims: [], data: Uint8Array.of(affine.zero) });
    this.node({ op: 'QuantizeLinear', inputs: [from, scale, zero], outputs: [`${to}::q`] });
    this.node({ op: 'DequantizeLinear', inputs: [`${to}::q`, scale, zero], outputs: [to] });
  }

  /** The activation as the Conv reads it: dequantized once, shared by every Conv reading it. */
  input(name: string, affine: Affine): string {
    const known = this.dequantized.get(name);
    if (known) return known;
    const to = `${name}::dq`;
    this.pair(name, to, affine);
    this.dequantized.set(name, to);
    return to;
  }

  /** A Conv's output, already dequantized under its own name (see quantizeConvs). */
  markDequantized(name: string): void {
    this.dequantized.set(name, name);
  }

  weights(name: string, dims: number[], values: Float32Array): { name: string; scales: Float32Array } {
    const { data, scales } = int8PerChannel(dims, values);
    const q = this.tensor({ name: `${name}::int8`, type: DataType.INT8, dims, data });
    const scale = this.tensor({ name: `${name}::scale`, type: DataType.FLOAT, dims: [dims[0]], data: scales });
    const zero = this.tensor({ name: `${name}::zero`, type: DataType.INT8, dims: [dims[0]], data: new Int8Array(dims[0]) });
    this.node({ op: 'DequantizeLinear', inputs: [q, scale, zero], outputs: [`${name}::dq`], attributes: { axis: 0 } });
    return { name: `${name}::dq`, scales };
  }

  bias(name: string, values: Float32Array, inputScale: number, weightScales: Float32Array): string {
    const scales = weightScales.map((s) => s * inputScale);
    const data = Int32Array.from(values, (v, c) => Math.round(v / scales[c]));
    const q = this.tensor({ name: `${name}::int32`, type: DataType.INT32, dims: [values.length], data });
    const scale = this.tensor({ name: `${name}::scale`, type: DataType.FLOAT, dims: [values.length], data: scales });
    this.node({ op: 'DequantizeLinear', inputs: [q, scale], outputs: [`${name}::dq`], attributes: { axis: 0 } });
    return `${name}::dq`;
  }
}

/** Each node's input and output names replaced in order. */
function rewireNode(node: Buffer, inputs: string[], outputs: string[]): Buffer {
  let input = 0;
  let output = 0;
  return rewrite(node, (field) => {
    if (field.number === NODE_INPUT) return bytesField(NODE_INPUT, Buffer.from(inputs[input++], 'utf8'));
    if (field.number === NODE_OUTPUT) return bytesField(NODE_OUTPUT, Buffer.from(outputs[output++], 'utf8'));
    return undefined;
  });
}

/**
 * The model with each calibrated Conv whose weights and bias no other node reads in QDQ form
 * (see above); those are replaced by their integer copies; the model is otherwise byte for
 * byte the same. Returns the model and how many Convs were quantized.
 */
export function quantizeConvs(model: Buffer, ranges: ActivationRanges): { model: Buffer; quantized: number } {
  const graph = graphOf(model);
  if (!graph) return { model, quantized: 0 };
  const nodes: GraphNode[] = [];
  const floats = new Map<string, { dims: number[]; values: Float32Array }>();
  for (const field of fields(graph.payload!)) {
    if (field.number === GRAPH_NODE && field.payload) nodes.push(readNode(field.payload));
    if (field.number === GRAPH_INITIALIZER && field.payload) {
      const tensor = readFloatTensor(field.payload);
      if (tensor) floats.set(tensorName(field.payload), tensor);
    }
  }
  const readers = new Map<string, number>();
  for (const node of nodes) for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  const quantizable = (node: GraphNode) =>
    node.op === 'Conv' &&
    ranges[node.inputs[0]] !== undefined &&
    ranges[node.outputs[0]] !== undefined &&
    floats.get(node.inputs[1])?.dims.length === 4 &&
    readers.get(node.inputs[1]) === 1 &&
    // A shared weight or bias would need one integer copy per reader (a bias's scale follows its input's).
    (node.inputs.length < 3 || (floats.has(node.inputs[2]) && readers.get(node.inputs[2]) === 1));
  const builder = new QdqBuilder();
  for (const node of nodes) if (quantizable(node)) builder.markDequantized(node.outputs[0]);
  const replaced = new Set<string>();
  let index = 0;
  let quantized = 0;
  const rewired = rewrite(graph.payload!, (field) => {
    if (field.number !== GRAPH_NODE || !field.payload) return undefined;
    const node = nodes[index++];
    if (!quantizable(node)) return undefined;
    quantized++;
    const [x, w, b] = node.inputs;
    const y = node.outputs[0];
    const inputAffine = uint8Affine(ranges[x]);
    const before = builder.nodes.length;
    const input = builder.input(x, inputAffine);
    const weights = builder.weights(w, floats.get(w)!.dims, floats.get(w)!.values);
    const inputs = [input, weights.name];
    if (b) inputs.push(builder.bias(b, floats.get(b)!.values, inputAffine.scale, weights.scales));
    for (const name of [w, b]) if (name) replaced.add(name);
    const conv = bytesField(GRAPH_NODE, rewireNode(field.payload, inputs, [`${y}::conv`]));
    builder.pair(`${y}::conv`, y, uint8Affine(ranges[y]));
    return Buffer.concat([...builder.nodes.slice(before, -2), conv, ...builder.nodes.slice(-2)]);
  });
  // Dropped once every node is seen: initializers may come before the nodes in the file.
  const pruned = rewrite(rewired, (field) =>
    field.number === GRAPH_INITIALIZER && field.payload && replaced.has(tensorName(field.payload)) ? Buffer.alloc(0) : undefined,
  );
  const body = Buffer.concat([pruned, ...builder.initializers]);
  return { model: rewrite(model, (field) => (field.number === MODEL_GRAPH && field.payload ? bytesField(MODEL_GRAPH, body) : undefined)), quantized };
}
