/**
 * Protocol buffers' wire format, read and rewritten field by field without a schema (ONNX
 * models: runtime/widenModel.ts, runtime/firstOutput.ts): a field nobody rewrites is copied
 * byte for byte.
 */

export interface Field {
  number: number;
  wire: number;
  /** Varint value (wire 0). */
  value?: bigint;
  /** Payload (wire 2). */
  payload?: Buffer;
  /** The field's bytes as read, tag included. */
  raw: Buffer;
}

export function readVarint(buffer: Buffer, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let position = offset;
  for (;;) {
    if (position >= buffer.length) throw new Error('truncated varint');
    const byte = buffer[position++];
    value |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return { value, next: position };
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
}

function writeVarint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest) byte |= 0x80;
    bytes.push(byte);
  } while (rest);
  return Buffer.from(bytes);
}

export function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  while (offset < buffer.length) {
    const start = offset;
    const tag = readVarint(buffer, offset);
    offset = tag.next;
    const number = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (wire === 0) {
      const varint = readVarint(buffer, offset);
      offset = varint.next;
      yield { number, wire, value: varint.value, raw: buffer.subarray(start, offset) };
    } else if (wire === 2) {
      const length = readVarint(buffer, offset);
      const end = length.next + Number(length.value);
      if (end > buffer.length) throw new Error('truncated field');
      offset = end;
      yield { number, wire, payload: buffer.subarray(length.next, end), raw: buffer.subarray(start, end) };
    } else if (wire === 1 || wire === 5) {
      offset += wire === 1 ? 8 : 4;
      if (offset > buffer.length) throw new Error('truncated field');
      yield { number, wire, raw: buffer.subarray(start, offset) };
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

export const varintField = (number: number, value: bigint) => Buffer.concat([writeVarint(BigInt((number << 3) | 0)), writeVarint(value)]);
export const bytesField = (number: number, payload: Buffer) =>
  Buffer.concat([writeVarint(BigInt((number << 3) | 2)), writeVarint(BigInt(payload.length)), payload]);

export type Rewrite = (field: Field) => Buffer | undefined;

/** The message with some fields rewritten (a rewrite returning undefined keeps the field's bytes). */
export function rewrite(message: Buffer, change: Rewrite): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields(message)) parts.push(change(field) ?? field.raw);
  return Buffer.concat(parts);
}
