import { applyEdits, type FormattingOptions, modify } from 'jsonc-parser';

import { EngineError, errorMessage } from '../core/errors';

/**
 * Edits of a sidecar's JSON as text, so what we do not own survives byte for byte: other
 * tools' fields, key order, integers beyond 2^53, bytes that are not UTF-8, `__proto__`,
 * a byte-order mark. The text is handled as latin1 (one char per byte: every offset is a
 * byte offset and nothing is re-encoded); values we write are UTF-8 encoded into it.
 * jsonc-parser finds the spans (VS Code's JSON editing library).
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

/** Checks size, depth and JSON syntax before anything is parsed for real. */
export function parseSidecarText(bytes: Buffer, what: string): SidecarText {
  if (bytes.length > MAX_SIDECAR_BYTES)
    throw new EngineError(
      'SIDECAR_INVALID',
      `${what} is ${(bytes.length / 1048576).toFixed(1)} MB, over the ${MAX_SIDECAR_BYTES / 1048576} MB a sidecar may have`,
    );
  const raw = bytes.toString('latin1');
  const body = raw.startsWith(BOM) ? raw.slice(BOM.length) : raw;
  const depth = deepestNesting(body);
  if (depth > MAX_SIDECAR_DEPTH)
    throw new EngineError('SIDECAR_INVALID', `${what} nests ${depth} levels deep, over the ${MAX_SIDECAR_DEPTH} a sidecar may have`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
  } catch (error) {
    throw new EngineError('SIDECAR_INVALID', `${what} is not valid JSON: ${errorMessage(error)}`);
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

/**
 * Sets each path to its value in the text, touching nothing else. A pretty-printed file gets
 * the new parts indented like ours (2 spaces); a one-line file gets them compact, so its
 * other bytes stay as they are.
 */
export function setInSidecarText(raw: string, edits: Array<[JsonPath, unknown]>): Buffer {
  const hasBom = raw.startsWith(BOM);
  let text = hasBom ? raw.slice(BOM.length) : raw;
  const formatting: FormattingOptions | undefined = text.trim().includes('\n') ? { insertSpaces: true, tabSize: 2, eol: '\n' } : undefined;
  for (const [path, value] of edits) {
    text = applyEdits(text, modify(text, path, toLatin1Utf8(value), { formattingOptions: formatting }));
  }
  return Buffer.from((hasBom ? BOM : '') + text, 'latin1');
}
