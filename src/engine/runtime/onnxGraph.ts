/**
 * A minimal ONNX (protobuf) writer: enough of onnx.proto to build small graphs from
 * TypeScript. The runtime's probe model (health, backend selection) and the tests' tiny
 * SDXL exports are generated with it, never downloaded or checked in.
 * Field numbers follow onnx/onnx.proto (IR version 8, default opset domain).
 */

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type ElemType = (typeof DataType)[keyof typeof DataType];

class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const buffer = Buffer.alloc(4);
    buffer.writeFloatLE(value);
    this.chunks.push(buffer);
    return this;
  }

  bytes(field: number, value: Buffer | string): this {
    const buffer = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.key(field, 2);
    this.varint(buffer.length);
    this.chunks.push(buffer);
    return this;
  }

  message(field: number, body: ProtoWriter): this {
    return this.bytes(field, body.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A dimension: a fixed size or a symbolic name (dynamic axis). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: ElemType;
  /** Omitted: a tensor of unknown rank. */
  shape?: Dim[];
}

export interface Tensor {
  name: string;
  type: ElemType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint16Array | Int8Array | Uint8Array;
}

export type AttributeValue = number | number[] | string | { floats: number[] } | { ints: number[] } | { tensor: Tensor };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

function tensorProto(tensor: Tensor): ProtoWriter {
  const writer = new ProtoWriter();
  for (const dim of tensor.dims) writer.int(1, dim);
  writer.int(2, tensor.type);
  writer.bytes(8, tensor.name);
  writer.bytes(9, Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  return writer;
}

function valueInfoProto(info: ValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, info.type);
  if (info.shape) {
    const shape = new ProtoWriter();
    for (const dim of info.shape) shape.message(1, typeof dim === 'number' ? new ProtoWriter().int(1, dim) : new ProtoWriter().bytes(2, dim));
    tensorType.message(2, shape);
  }
  return new ProtoWriter().bytes(1, info.name).message(2, new ProtoWriter().message(1, tensorType));
}

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const writer = new ProtoWriter().bytes(1, name);
  if (typeof value === 'number') {
    // Integers go as INT, anything with a fraction as FLOAT; use { floats } for whole floats.
    if (Number.isInteger(value)) writer.int(3, value).int(20, 2);
    else writer.float(2, value).int(20, 1);
  } else if (typeof value === 'string') writer.bytes(4, value).int(20, 3);
  else if (Array.isArray(value) || 'ints' in value) {
    for (const item of Array.isArray(value) ? value : value.ints) writer.int(8, item);
    writer.int(20, 7);
  } else if ('floats' in value) {
    for (const item of value.floats) writer.float(7, item);
    writer.int(20, 6);
  } else writer.message(5, tensorProto(value.tensor)).int(20, 4);
  return writer;
}

function nodeProto(node: Node, name: string): ProtoWriter {
  const proto = new ProtoWriter();
  for (const input of node.inputs) proto.bytes(1, input);
  for (const output of node.outputs) proto.bytes(2, output);
  proto.bytes(3, name).bytes(4, node.op);
  for (const [attribute, value] of Object.entries(node.attributes ?? {})) proto.message(5, attributeProto(attribute, value));
  return proto;
}

/** Graph fields (onnx.proto GraphProto) to append to an existing graph's bytes: nodes, initializers, outputs. */
export const graphField = {
  node: (node: Node, name: string) => new ProtoWriter().message(1, nodeProto(node, name)).finish(),
  initializer: (tensor: Tensor) => new ProtoWriter().message(5, tensorProto(tensor)).finish(),
  output: (info: ValueInfo) => new ProtoWriter().message(12, valueInfoProto(info)).finish(),
};

export interface Graph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Tensor[];
  nodes: Node[];
}

/** Serialises a graph as an ONNX model (opset 17). */
export function encodeModel(graph: Graph, opset = 17): Buffer {
  const body = new ProtoWriter();
  graph.nodes.forEach((node, index) => body.message(1, nodeProto(node, `${node.op}_${index}`)));
  body.bytes(2, graph.name);
  for (const tensor of graph.initializers) body.message(5, tensorProto(tensor));
  for (const input of graph.inputs) body.message(11, valueInfoProto(input));
  for (const output of graph.outputs) body.message(12, valueInfoProto(output));
  return new ProtoWriter().int(1, 8).bytes(2, 'vitrinealu-tiny-onnx').message(7, body).message(8, new ProtoWriter().bytes(1, '').int(2, opset)).finish();
}
