import { DataType } from './onnxGraph';
import { fields, readVarint, type Field } from './protoWire';

/**
 * Reading an ONNX model's graph from the protobuf wire format (runtime/protoWire.ts): the
 * nodes' names and wiring, the initializers' names, shapes and float values.
 */

// Field numbers of onnx.proto, for every reader and rewriter of models here.
export const MODEL_GRAPH = 7;
export const MODEL_FUNCTIONS = 25;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
export const FUNCTION_NODE = 7;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_INT = 3;
export const ATTRIBUTE_TENSOR = 5;
export const ATTRIBUTE_GRAPH = 6;
export const ATTRIBUTE_TENSORS = 10;
export const ATTRIBUTE_GRAPHS = 11;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_FLOAT_DATA = 4;
export const TENSOR_INT32_DATA = 5;
export const TENSOR_NAME = 8;
export const TENSOR_RAW_DATA = 9;
export const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
export const TYPE_TENSOR = 1;
export const TYPE_SEQUENCE = 4;
export const TYPE_MAP = 5;
export const TYPE_OPTIONAL = 9;
export const TENSOR_TYPE_ELEM = 1;
export const SEQUENCE_ELEM = 1;
export const MAP_VALUE = 2;
export const OPTIONAL_ELEM = 1;

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
  return type === DataType.FLOAT && values ? { dims, values } : undefined;
}
