import { bytesField, fields, rewrite, type Field } from './protoWire';

/**
 * A model cut down to its first output and what that output is computed from. The engine
 * reads only the first output (the matte); IS-Net also returns five side mattes and six
 * decoder maps at full size, which onnxruntime computes and copies out on every run whether
 * or not they are fetched (about a tenth of the inference time). What is kept is copied byte
 * for byte, so the first output is exactly what the whole model gives.
 */

// Field numbers of onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;

interface GraphNode {
  inputs: string[];
  outputs: string[];
  /** A node with a subgraph (If, Loop, Scan) may read names its inputs do not list. */
  hasSubgraph: boolean;
}

const strings = (message: Buffer, number: number) =>
  [...fields(message)].filter((f) => f.number === number && f.payload).map((f) => f.payload!.toString('utf8'));

function readNode(node: Buffer): GraphNode {
  let hasSubgraph = false;
  for (const field of fields(node))
    if (field.number === NODE_ATTRIBUTE && field.payload)
      for (const part of fields(field.payload)) if (part.number === ATTRIBUTE_GRAPH || part.number === ATTRIBUTE_GRAPHS) hasSubgraph = true;
  return { inputs: strings(node, NODE_INPUT), outputs: strings(node, NODE_OUTPUT), hasSubgraph };
}

function graphOf(model: Buffer): Field | undefined {
  for (const field of fields(model)) if (field.number === MODEL_GRAPH && field.payload) return field;
  return undefined;
}

/** How many outputs the model's graph declares. */
export function outputCount(model: Buffer): number {
  const graph = graphOf(model);
  if (!graph) return 0;
  let count = 0;
  for (const field of fields(graph.payload!)) if (field.number === GRAPH_OUTPUT) count++;
  return count;
}

/** The names the graph's first output is computed from (node outputs and initializers), by walking back from it. */
function namesNeeded(nodes: GraphNode[], first: string): Set<string> | undefined {
  const producer = new Map<string, GraphNode>();
  for (const node of nodes) for (const output of node.outputs) producer.set(output, node);
  const needed = new Set<string>();
  const pending = [first];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const node = producer.get(name);
    if (!node) continue;
    if (node.hasSubgraph) return undefined;
    for (const input of node.inputs) if (input) pending.push(input);
  }
  return needed;
}

/**
 * The model with only its first graph output and the nodes and initializers it needs; the
 * model as it is when it has one output, or when a node it needs holds a subgraph (whose
 * outer-scope reads this walk does not follow).
 */
export function keepFirstOutput(model: Buffer): Buffer {
  const graph = graphOf(model);
  if (!graph || outputCount(model) <= 1) return model;
  const nodes: GraphNode[] = [];
  let first: string | undefined;
  for (const field of fields(graph.payload!)) {
    if (field.number === GRAPH_NODE && field.payload) nodes.push(readNode(field.payload));
    if (field.number === GRAPH_OUTPUT && field.payload && first === undefined) first = strings(field.payload, VALUE_INFO_NAME)[0];
  }
  const needed = first === undefined ? undefined : namesNeeded(nodes, first);
  if (!needed) return model;
  let outputs = 0;
  let index = 0;
  const dropped = Buffer.alloc(0);
  const pruned = rewrite(graph.payload!, (field) => {
    if (field.number === GRAPH_OUTPUT) return outputs++ === 0 ? undefined : dropped;
    if (field.number === GRAPH_NODE && field.payload) return nodes[index++].outputs.some((name) => needed.has(name)) ? undefined : dropped;
    if (field.number === GRAPH_INITIALIZER && field.payload) return needed.has(strings(field.payload, TENSOR_NAME)[0] ?? '') ? undefined : dropped;
    return undefined;
  });
  return rewrite(model, (field) => (field.number === MODEL_GRAPH && field.payload ? bytesField(MODEL_GRAPH, pruned) : undefined));
}
