import type { AlphaMask } from '../image/types';

/**
 * Segmentation nets rarely output exact 0 or 1: our default saturates at 252-254 on the
 * subject and leaves 1-3 on the background. Snapping those to 0/255 keeps the subject's
 * pixels exact and its background truly clear; the soft edge in between is untouched.
 */
export const SNAP_LOW = 3;
export const SNAP_HIGH = 252;

/** Each 8-bit alpha snapped (see above). */
export const SNAP_TABLE = Uint8Array.from({ length: 256 }, (_, a) => (a <= SNAP_LOW ? 0 : a >= SNAP_HIGH ? 255 : a));

export function snapMatte(mask: AlphaMask): AlphaMask {
  const data = Buffer.allocUnsafe(mask.data.length);
  const source = new Uint8Array(mask.data.buffer, mask.data.byteOffset, mask.data.length);
  const target = new Uint8Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < target.length; i++) target[i] = SNAP_TABLE[source[i]];
  return { data, width: mask.width, height: mask.height };
}
