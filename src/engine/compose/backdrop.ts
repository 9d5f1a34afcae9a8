import sharp from 'sharp';

import { parseHexColor, type Rgb } from '../image/color';
import { decodeImage } from '../image/decode';
import { sharpFromRaw, toRaw } from '../image/raw';
import type { RawImage } from '../image/types';
import type { Backdrop } from '../presets/schema';

/** Gradients are smooth: render them small and let libvips scale them up. */
const RENDER_MAX_SIDE = 512;

const mix = (a: number, b: number, t: number) => a + (b - a) * t;
const smoothstep = (edge0: number, edge1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - edge0) / Math.max(1e-6, edge1 - edge0)));
  return t * t * (3 - 2 * t);
};

/** Renders a studio backdrop (solid colour, or wall-to-floor sweep with vignette) at width x height. */
export async function renderBackdrop(spec: Backdrop, width: number, height: number): Promise<RawImage> {
  if (spec.type === 'solid') {
    const { r, g, b } = parseHexColor(spec.color);
    return toRaw(sharp({ create: { width, height, channels: 3, background: { r, g, b } } }));
  }
  const scale = Math.min(1, RENDER_MAX_SIDE / Math.max(width, height));
  const w = Math.max(2, Math.round(width * scale));
  const h = Math.max(2, Math.round(height * scale));
  const top = parseHexColor(spec.top);
  const bottom = parseHexColor(spec.bottom);
  const floor = parseHexColor(spec.floor.color);
  const data = Buffer.alloc(w * h * 3);
  const { horizon, softness } = spec.floor;
  for (let y = 0; y < h; y++) {
    const v = (y + 0.5) / h;
    const wallT = Math.min(1, v / Math.max(horizon, 1e-6));
    const floorT = smoothstep(horizon - softness / 2, horizon + softness / 2, v);
    const row: Rgb = {
      r: mix(mix(top.r, bottom.r, wallT), floor.r, floorT),
      g: mix(mix(top.g, bottom.g, wallT), floor.g, floorT),
      b: mix(mix(top.b, bottom.b, wallT), floor.b, floorT),
    };
    for (let x = 0; x < w; x++) {
      const dx = (x + 0.5) / w - 0.5;
      const dy = v - 0.5;
      const shade = 1 - spec.vignette * smoothstep(0.25, 0.75, Math.sqrt(dx * dx + dy * dy) * Math.SQRT2);
      const i = (y * w + x) * 3;
      data[i] = Math.round(row.r * shade);
      data[i + 1] = Math.round(row.g * shade);
      data[i + 2] = Math.round(row.b * shade);
    }
  }
  const small: RawImage = { data, width: w, height: h, channels: 3 };
  if (w === width && h === height) return small;
  return toRaw(sharpFromRaw(small).resize(width, height, { fit: 'fill', kernel: 'cubic' }));
}

export type BackdropFit = 'cover' | 'contain';

/** A photo or texture as the backdrop, decoded through the engine's image module. */
export async function imageBackdrop(input: Buffer, width: number, height: number, fit: BackdropFit, maxPixels?: number): Promise<RawImage> {
  const { image } = await decodeImage(input, { maxPixels });
  return toRaw(
    sharpFromRaw(image)
      .flatten({ background: '#ffffff' })
      .resize(width, height, { fit, background: '#ffffff', position: 'centre' })
      .removeAlpha(),
  );
}
