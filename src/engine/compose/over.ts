import type { AlphaMask, RawImage } from '../image/types';
import type { ColorTables } from './colorMatch';

const IDENTITY = Uint8Array.from({ length: 256 }, (_, v) => v);

export interface CompositeOptions {
  /** Colour tables for the subject's pixels (colour matching), applied on the way. */
  tables?: ColorTables;
  /** Write into the backdrop's buffer: the caller gives it up (a fresh 12 MP buffer costs more than the blend). */
  inPlace?: boolean;
}

/**
 * out = F a + B (1 - a), exactly: where a = 255 the subject's pixels pass through untouched
 * (through the colour tables, when given).
 */
export function compositeOver(subject: RawImage, alpha: AlphaMask, backdrop: RawImage, { tables, inPlace = false }: CompositeOptions = {}): RawImage {
  const out = inPlace ? backdrop.data : Buffer.allocUnsafe(backdrop.data.length);
  const f = subject.data;
  const b = backdrop.data;
  const [tr, tg, tb] = tables ?? [IDENTITY, IDENTITY, IDENTITY];
  for (let i = 0, o = 0; i < alpha.data.length; i++, o += 3) {
    const a = alpha.data[i];
    if (a === 0) {
      if (!inPlace) {
        out[o] = b[o];
        out[o + 1] = b[o + 1];
        out[o + 2] = b[o + 2];
      }
    } else if (a === 255) {
      out[o] = tr[f[o]];
      out[o + 1] = tg[f[o + 1]];
      out[o + 2] = tb[f[o + 2]];
    } else {
      const rest = 255 - a;
      out[o] = Math.round((tr[f[o]] * a + b[o] * rest) / 255);
      out[o + 1] = Math.round((tg[f[o + 1]] * a + b[o + 1] * rest) / 255);
      out[o + 2] = Math.round((tb[f[o + 2]] * a + b[o + 2] * rest) / 255);
    }
  }
  return { data: out, width: backdrop.width, height: backdrop.height, channels: 3 };
}
