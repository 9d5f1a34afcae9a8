import { fromHalf } from './half';
import { DataType } from './onnxGraph';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_GRAPHS,
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  ATTRIBUTE_TENSOR,
  ATTRIBUTE_TENSORS,
  FUNCTION_NODE,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MAP_VALUE,
  MODEL_FUNCTIONS,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_OP_TYPE,
  OPTIONAL_ELEM,
  SEQUENCE_ELEM,
  TENSOR_DATA_TYPE,
  TENSOR_FLOAT_DATA,
  TENSOR_INT32_DATA,
  TENSOR_RAW_DATA,
  TENSOR_TYPE_ELEM,
  TYPE_MAP,
  TYPE_OPTIONAL,
  TYPE_SEQUENCE,
  TYPE_TENSOR,
  VALUE_INFO_TYPE,
} from './onnxRead';
import { bytesField, fields, readVarint, rewrite, varintField } from './protoWire';

/**
 * An fp16 ONNX model rewritten as fp32, for CPU and WASM: x86 CPUs have no fast float16
 * arithmetic, so onnxruntime runs the fp16 graph through slow paths. The weights are widened
 * exactly (every float16 is a float32), float16 casts become float32 casts (no-ops that
 * onnxruntime removes), and the graph's declared float16 values become float32.
 *
 * Works on the protobuf wire format, not a schema: every field it does not change is copied
 * byte for byte, so nothing of the model is lost.
 */

const FLOAT = DataType.FLOAT;
const FLOAT16 = DataType.FLOAT16;

let halfTable: Float32Array | undefined;

/** float16 bit patterns as little-endian float32 bytes (a 64 Ki table: tens of millions of weights). */
function halvesToFloats(bits: Uint16Array | number[]): Buffer {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalf(h);
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
  const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  return IS_LITTLE_ENDIAN ? bytes : bytes.swap32();
}

const IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function widenTensor(tensor: Buffer): Buffer {
  let float16 = false;
  for (const field of fields(tensor)) if (field.number === TENSOR_DATA_TYPE && field.value === BigInt(FLOAT16)) float16 = true;
  if (!float16) return tensor;
  return rewrite(tensor, (field) => {
    if (field.number === TENSOR_DATA_TYPE) return varintField(TENSOR_DATA_TYPE, BigInt(FLOAT));
    if (field.number === TENSOR_RAW_DATA && field.payload) {
      const raw = field.payload;
      const bits = new Uint16Array(raw.length >> 1);
      for (let i = 0; i < bits.length; i++) bits[i] = raw[2 * i] | (raw[2 * i + 1] << 8);
      return bytesField(TENSOR_RAW_DATA, halvesToFloats(bits));
    }
    // float16 values may also be kept one per int32 (packed varints, or one varint each).
    if (field.number === TENSOR_INT32_DATA) {
      const bits: number[] = [];
      if (field.payload)
        for (let offset = 0; offset < field.payload.length;) {
          const varint = readVarint(field.payload, offset);
          bits.push(Number(varint.value & 0xffffn));
          offset = varint.next;
        }
      else bits.push(Number(field.value! & 0xffffn));
      return bytesField(TENSOR_FLOAT_DATA, halvesToFloats(bits));
    }
    return undefined;
  });
}

/** TypeProto: a float16 tensor (also inside sequences, maps, optionals) becomes float32. */
function widenType(type: Buffer): Buffer {
  return rewrite(type, (field) => {
    if (!field.payload) return undefined;
    if (field.number === TYPE_TENSOR)
      return bytesField(
        TYPE_TENSOR,
        rewrite(field.payload, (inner) =>
          inner.number === TENSOR_TYPE_ELEM && inner.value === BigInt(FLOAT16) ? varintField(TENSOR_TYPE_ELEM, BigInt(FLOAT)) : undefined,
        ),
      );
    const element =
      field.number === TYPE_SEQUENCE ? SEQUENCE_ELEM : field.number === TYPE_MAP ? MAP_VALUE : field.number === TYPE_OPTIONAL ? OPTIONAL_ELEM : undefined;
    if (element === undefined) return undefined;
    return bytesField(
      field.number,
      rewrite(field.payload, (inner) => (inner.number === element && inner.payload ? bytesField(element, widenType(inner.payload)) : undefined)),
    );
  });
}

function widenValueInfo(info: Buffer): Buffer {
  return rewrite(info, (field) => (field.number === VALUE_INFO_TYPE && field.payload ? bytesField(VALUE_INFO_TYPE, widenType(field.payload)) : undefined));
}

function widenAttribute(attribute: Buffer, castTarget: boolean): Buffer {
  let name = '';
  for (const field of fields(attribute)) if (field.number === ATTRIBUTE_NAME && field.payload) name = field.payload.toString('utf8');
  return rewrite(attribute, (field) => {
    if (castTarget && name === 'to' && field.number === ATTRIBUTE_INT && field.value === BigInt(FLOAT16)) return varintField(ATTRIBUTE_INT, BigInt(FLOAT));
    if (!field.payload) return undefined;
    if (field.number === ATTRIBUTE_TENSOR || field.number === ATTRIBUTE_TENSORS) return bytesField(field.number, widenTensor(field.payload));
    if (field.number === ATTRIBUTE_GRAPH || field.number === ATTRIBUTE_GRAPHS) return bytesField(field.number, widenGraph(field.payload));
    return undefined;
  });
}

function widenNode(node: Buffer): Buffer {
  let opType = '';
  for (const field of fields(node)) if (field.number === NODE_OP_TYPE && field.payload) opType = field.payload.toString('utf8');
  // Cast's `to` and the like (CastLike takes its type from an input, which is widened anyway).
  const castTarget =
    opType === 'Cast' ||
    opType === 'EyeLike' ||
    opType === 'RandomNormal' ||
    opType === 'RandomUniform' ||
    opType === 'RandomNormalLike' ||
    opType === 'RandomUniformLike' ||
    opType === 'Multinomial';
  return rewrite(node, (field) =>
    field.number === NODE_ATTRIBUTE && field.payload ? bytesField(NODE_ATTRIBUTE, widenAttribute(field.payload, castTarget)) : undefined,
  );
}

function widenGraph(graph: Buffer): Buffer {
  return rewrite(graph, (field) => {
    if (!field.payload) return undefined;
    if (field.number === GRAPH_NODE) return bytesField(GRAPH_NODE, widenNode(field.payload));
    if (field.number === GRAPH_INITIALIZER) return bytesField(GRAPH_INITIALIZER, widenTensor(field.payload));
    if (field.number === GRAPH_INPUT || field.number === GRAPH_OUTPUT || field.number === GRAPH_VALUE_INFO)
      return bytesField(field.number, widenValueInfo(field.payload));
    return undefined;
  });
}

/** True when the model holds float16 weights (an initializer of data type FLOAT16). */
export function hasHalfWeights(model: Buffer): boolean {
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || !field.payload) continue;
    for (const entry of fields(field.payload)) {
      if (entry.number !== GRAPH_INITIALIZER || !entry.payload) continue;
      for (const part of fields(entry.payload)) if (part.number === TENSOR_DATA_TYPE && part.value === BigInt(FLOAT16)) return true;
    }
  }
  return false;
}

/** The model with every float16 tensor, type and cast made float32 (see above). */
export function widenModel(model: Buffer): Buffer {
  return rewrite(model, (field) => {
    if (!field.payload) return undefined;
    if (field.number === MODEL_GRAPH) return bytesField(MODEL_GRAPH, widenGraph(field.payload));
    if (field.number === MODEL_FUNCTIONS)
      return bytesField(
        MODEL_FUNCTIONS,
        rewrite(field.payload, (inner) => (inner.number === FUNCTION_NODE && inner.payload ? bytesField(FUNCTION_NODE, widenNode(inner.payload)) : undefined)),
      );
    return undefined;
  });
}
