import { fields, readVarint, type Field } from './protoWire';

/**
 * Reading an ONNX model's graph from the protobuf wire format (runtime/protoWire.ts): the
 * nodes' names and wiring, the initializers' names, shapes and float values. Field numbers
 * follow onnx/onnx.proto.
 */

export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const VALUE_INFO_NAME = 1;
const FLOAT = 1;

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** A node with a subgraph (If, Loop, Scan) may read names its inputs do not list. */
  hasSubgraph: boolean;
}

export const strings = (message: Buffer, number: number) =>
  [...fields(message)].filter((f) => f.number === number && f.payload).map((f) => f.payload!.toString('utf8'));

export function readNode(node: Buffer): GraphNode {
  let hasSubgraph = false;
  for (const field of fields(node))
    if (field.number === NODE_ATTRIBUTE && field.payload)
      for (const part of fields(field.payload)) if (part.number === ATTRIBUTE_GRAPH || part.number === ATTRIBUTE_GRAPHS) hasSubgraph = true;
  return { op: strings(node, NODE_OP_TYPE)[0] ?? '', inputs: strings(node, NODE_INPUT), outputs: strings(node, NODE_OUTPUT), hasSubgraph };
}

/** The model's graph field (its payload is the GraphProto). */
export function graphOf(model: Buffer): Field | undefined {
  for (const field of fields(model)) if (field.number === MODEL_GRAPH && field.payload) return field;
  return undefined;
}

export const outputName = (valueInfo: Buffer) => strings(valueInfo, VALUE_INFO_NAME)[0];
export const tensorName = (tensor: Buffer) => strings(tensor, TENSOR_NAME)[0] ?? '';

/** A float32 initializer's shape and values (raw or packed), or undefined for any other type. */
export function readFloatTensor(tensor: Buffer): { dims: number[]; values: Float32Array } | undefined {
  const dims: number[] = [];
  let type = 0;
  let values: Float32Array | undefined;
  for (const field of fields(tensor)) {
    if (field.number === TENSOR_DIMS) {
      if (field.value !== undefined) dims.push(Number(field.value));
      else if (field.payload)
        for (let offset = 0; offset < field.payload.length;) {
          const varint = readVarint(field.payload, offset);
          dims.push(Number(varint.value));
          offset = varint.next;
        }
    }
    if (field.number === TENSOR_DATA_TYPE) type = Number(field.value);
    if ((field.number === TENSOR_RAW_DATA || field.number === TENSOR_FLOAT_DATA) && field.payload) {
      const bytes = Buffer.from(field.payload); // aligned copy, little-endian as stored
      values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    }
  }
  return type === FLOAT && values ? { dims, values } : undefined;
}
