import { createHash } from 'node:crypto';
import path from 'node:path';

/** The longest file name (bytes) the file systems we run on take: ext4, xfs, btrfs, tmpfs, overlayfs. */
export const NAME_MAX_BYTES = 255;
/** Bytes of the name's hash kept when a name is shortened, with the '~' before them. */
const HASH_CHARS = 8;

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a whole character. */
function prefixOfBytes(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * `base` as the stem of a name beside it that adds `reserve` bytes (a lock's ".lock", a
 * temporary file's writer and random part): unchanged when the whole fits NAME_MAX_BYTES,
 * else cut on a character boundary and ended with '~' and a hash of the full name, so two
 * long names that share their start still get stems of their own. The same base and reserve
 * always give the same stem (writers in other processes find each other's locks).
 */
export function siblingStem(base: string, reserve: number): string {
  if (Buffer.byteLength(base) + reserve <= NAME_MAX_BYTES) return base;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, HASH_CHARS);
  return `${prefixOfBytes(base, NAME_MAX_BYTES - reserve - HASH_CHARS - 1)}~${hash}`;
}

/** The path of a file beside `file` named after it with `suffix` (shortened as siblingStem says). */
export function siblingPath(file: string, suffix: string): string {
  return path.join(path.dirname(file), siblingStem(path.basename(file), Buffer.byteLength(suffix)) + suffix);
}
