import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';

import { EngineError } from '../core/errors';

/**
 * Edits of a sidecar's JSON as text, so what we do not own survives byte for byte: other
 * tools' fields, key order, integers beyond 2^53, bytes that are not UTF-8, `__proto__`,
 * a byte-order mark. The text is handled as latin1 (one char per byte: every offset is a
 * byte offset and nothing is re-encoded); values we write are UTF-8 encoded into it.
 * jsonc-parser finds the spans (VS Code's JSON library); the splices are ours, so its
 * formatter never reflows a neighbour (nor fails on deep nesting).
 */
export const MAX_SIDECAR_BYTES = 16 * 1024 * 1024;
export const MAX_SIDECAR_DEPTH = 256;

const BOM = '\xef\xbb\xbf';

export interface SidecarText {
  /** The file's bytes as latin1 (a byte per char). */
  raw: string;
  /** Parsed (lossily: for validation and reading only). */
  json: unknown;
}

function deepestNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** A size over the limit in words: MB, or bytes where one decimal of MB would hide the excess. */
export function sizeOverLimit(bytes: number): string {
  const mb = (bytes / 1048576).toFixed(1);
  const shown = Number(mb) * 1048576 > MAX_SIDECAR_BYTES ? `${mb} MB` : `${bytes} bytes`;
  return `${shown}, over the ${MAX_SIDECAR_BYTES / 1048576} MB (${MAX_SIDECAR_BYTES} bytes) a sidecar may have`;
}

/** Where JSON text stops being JSON, without quoting it (a file outside our control may hold anything). */
function syntaxErrorAt(body: string): string {
  const errors: ParseError[] = [];
  parseTree(body, errors, { allowTrailingComma: false, disallowComments: true });
  return errors.length > 0 ? `${printParseErrorCode(errors[0].error)} at byte ${errors[0].offset}` : 'not JSON';
}

/** Checks size, depth and JSON syntax before anything is parsed for real. */
export function parseSidecarText(bytes: Buffer, what: string): SidecarText {
  if (bytes.length > MAX_SIDECAR_BYTES) throw new EngineError('SIDECAR_INVALID', `${what} is ${sizeOverLimit(bytes.length)}`);
  const raw = bytes.toString('latin1');
  const body = raw.startsWith(BOM) ? raw.slice(BOM.length) : raw;
  const depth = deepestNesting(body);
  if (depth > MAX_SIDECAR_DEPTH)
    throw new EngineError('SIDECAR_INVALID', `${what} nests ${depth} levels deep, over the ${MAX_SIDECAR_DEPTH} a sidecar may have`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
  } catch {
    throw new EngineError('SIDECAR_INVALID', `${what} is not valid JSON (${syntaxErrorAt(body)})`);
  }
  return { raw, json };
}

/** A value's strings as UTF-8 bytes in latin1 chars, so JSON.stringify writes UTF-8 into the latin1 text. */
function toLatin1Utf8(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('latin1');
  if (Array.isArray(value)) return value.map(toLatin1Utf8);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [toLatin1Utf8(key) as string, toLatin1Utf8(item)]));
  return value;
}

export type JsonPath = Array<string | number>;
/** A value set at a path, or items appended to the array at a path (created when missing). */
export type JsonEdit = [JsonPath, unknown] | [JsonPath, unknown[], 'append'];

/** Whitespace before the first non-blank character of the line holding `offset`. */
function indentOfLine(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n') start--;
  let end = start;
  while (end < offset && (text[end] === ' ' || text[end] === '\t')) end++;
  return text.slice(start, end);
}

/** A value as JSON in the latin1 text: pretty (2 spaces, continuing `indent`) or compact. */
function render(value: unknown, pretty: boolean, indent: string): string {
  const json = JSON.stringify(toLatin1Utf8(value), null, pretty ? 2 : undefined);
  return pretty ? json.replace(/\n/g, `\n${indent}`) : json;
}

/** A container is laid out over several lines (then what we add goes on lines of its own). */
const spansLines = (text: string, node: Node) => text.slice(node.offset, node.offset + node.length).includes('\n');

/** The property nodes of an object named `key`; more than one is refused (readers would disagree on which counts). */
function propertyOf(object: Node, key: string, what: string, path: JsonPath): Node | undefined {
  const found = (object.children ?? []).filter((property) => property.children?.[0]?.value === key);
  if (found.length > 1)
    throw new EngineError(
      'SIDECAR_INVALID',
      `${what} has the key "${[...path].join('.')}" ${found.length} times; not changed (readers take different copies: keep one)`,
    );
  return found[0];
}

/** The node at a path, checking every object on the way for duplicate keys. */
function nodeAt(root: Node, path: JsonPath, what: string): Node | undefined {
  let node: Node | undefined = root;
  for (let depth = 0; depth < path.length && node; depth++) {
    const step = path[depth];
    if (node.type === 'object' && typeof step === 'string') node = propertyOf(node, step, what, path.slice(0, depth + 1))?.children?.[1];
    else if (node.type === 'array' && typeof step === 'number') node = node.children?.[step];
    else return undefined;
  }
  return node;
}

interface Splice {
  offset: number;
  length: number;
  content: string;
}

/** Adds `content` (rendered members or items) after a container's last child, or into it when empty. */
function addToContainer(text: string, container: Node, members: (pretty: boolean, indent: string) => string[]): Splice {
  const pretty = spansLines(text, container);
  const children = container.children ?? [];
  if (children.length > 0) {
    const last = children[children.length - 1];
    const indent = indentOfLine(text, last.offset);
    const separator = pretty ? `,\n${indent}` : ',';
    const end = last.offset + last.length;
    return {
      offset: end,
      length: 0,
      content: members(pretty, indent)
        .map((member) => separator + member)
        .join(''),
    };
  }
  // Empty: `{}` stays on its line; a multi-line `{ }` gets its members one level in.
  const outer = indentOfLine(text, container.offset);
  const inner = `${outer}  `;
  const content = pretty ? `\n${inner}${members(true, inner).join(`,\n${inner}`)}\n${outer}` : members(false, '').join(',');
  return { offset: container.offset + 1, length: container.length - 2, content };
}

/** The change that sets `path` to `value` in the text (creating the objects on the way). */
function setSplice(text: string, root: Node, path: JsonPath, value: unknown, what: string): Splice {
  const existing = nodeAt(root, path, what);
  if (existing)
    return { offset: existing.offset, length: existing.length, content: render(value, spansLines(text, root), indentOfLine(text, existing.offset)) };
  const parentPath = path.slice(0, -1);
  const parent = nodeAt(root, parentPath, what);
  const key = path[path.length - 1];
  if (!parent) return setSplice(text, root, parentPath, typeof key === 'number' ? [value] : { [key]: value }, what);
  if (parent.type !== 'object' || typeof key !== 'string')
    throw new EngineError('SIDECAR_INVALID', `${what}: "${parentPath.join('.')}" is not an object; "${path.join('.')}" cannot be set`);
  return addToContainer(text, parent, (pretty, indent) => [`${render(key, false, '')}:${pretty ? ' ' : ''}${render(value, pretty, indent)}`]);
}

/** The change that appends `items` to the array at `path`, its other items untouched (byte for byte). */
function appendSplice(text: string, root: Node, path: JsonPath, items: unknown[], what: string): Splice {
  const array = nodeAt(root, path, what);
  if (!array) return setSplice(text, root, path, items, what);
  if (array.type !== 'array') throw new EngineError('SIDECAR_INVALID', `${what}: "${path.join('.')}" is not a list; nothing can be added to it`);
  return addToContainer(text, array, (pretty, indent) => items.map((item) => render(item, pretty, indent)));
}

/**
 * Applies each edit to the text, touching nothing else: no neighbour is re-indented or
 * re-encoded, strings we did not write stay as they were. What we add to a container laid out
 * over several lines goes on lines of its own, indented like its siblings; to a one-line
 * container (or a one-line file), compact. A key we edit that appears twice is refused.
 */
export function setInSidecarText(raw: string, edits: JsonEdit[], what = 'The sidecar'): Buffer {
  const hasBom = raw.startsWith(BOM);
  let text = hasBom ? raw.slice(BOM.length) : raw;
  for (const [path, value, how] of edits) {
    const root = parseTree(text);
    if (!root || root.type !== 'object') throw new EngineError('SIDECAR_INVALID', `${what} is not a JSON object`);
    const splice = how === 'append' ? appendSplice(text, root, path, value as unknown[], what) : setSplice(text, root, path, value, what);
    text = text.slice(0, splice.offset) + splice.content + text.slice(splice.offset + splice.length);
  }
  return Buffer.from((hasBom ? BOM : '') + text, 'latin1');
}
