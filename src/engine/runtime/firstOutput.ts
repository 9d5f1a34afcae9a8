import { GRAPH_INITIALIZER, GRAPH_NODE, GRAPH_OUTPUT, MODEL_GRAPH, graphOf, outputName, readNode, tensorName, type GraphNode } from './onnxRead';
import { bytesField, fields, rewrite } from './protoWire';

/**
 * A model cut down to its first output and what that output is computed from. The engine
 * reads only the first output (the matte); IS-Net also returns five side mattes and six
 * decoder maps at full size, which onnxruntime computes and copies out on every run whether
 * or not they are fetched (about a tenth of the inference time). What is kept is copied byte
 * for byte, so the first output is exactly what the whole model gives.
 */

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
    if (field.number === GRAPH_OUTPUT && field.payload && first === undefined) first = outputName(field.payload);
  }
  const needed = first === undefined ? undefined : namesNeeded(nodes, first);
  if (!needed) return model;
  let outputs = 0;
  let index = 0;
  const dropped = Buffer.alloc(0);
  const pruned = rewrite(graph.payload!, (field) => {
    if (field.number === GRAPH_OUTPUT) return outputs++ === 0 ? undefined : dropped;
    if (field.number === GRAPH_NODE && field.payload) return nodes[index++].outputs.some((name) => needed.has(name)) ? undefined : dropped;
    if (field.number === GRAPH_INITIALIZER && field.payload) return needed.has(tensorName(field.payload)) ? undefined : dropped;
    return undefined;
  });
  return rewrite(model, (field) => (field.number === MODEL_GRAPH && field.payload ? bytesField(MODEL_GRAPH, pruned) : undefined));
}
