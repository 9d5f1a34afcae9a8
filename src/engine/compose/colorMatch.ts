import type { AlphaMask, RawImage } from '../image/types';

/**
 * Colour matching: move the subject's colour statistics a bounded amount toward the
 * backdrop's light. Per-channel gains in linear light, found so that the subject's mean
 * moves `strength` of the way toward the backdrop's mean in CIE Lab, and never more than
 * `maxDeltaE`. Applied through 256-entry tables: cheap, smooth and monotonic.
 */
const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

function linearToSrgb(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

export type Lab = [number, number, number];

export function linearToLab(r: number, g: number, b: number): Lab {
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

export function deltaE(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Per-channel 256-entry tables (r, g, b): a colour change applied while compositing. */
export type ColorTables = [Uint8Array, Uint8Array, Uint8Array];

/** Mean linear RGB of the pixels, weighted by alpha when given (sampled for speed), seen through tables when given. */
export function meanLinear(image: RawImage, alpha?: AlphaMask, tables?: ColorTables): [number, number, number] {
  const pixels = image.width * image.height;
  const step = Math.max(1, Math.floor(pixels / 400_000));
  let r = 0;
  let g = 0;
  let b = 0;
  let w = 0;
  for (let i = 0; i < pixels; i += step) {
    const weight = alpha ? alpha.data[i] / 255 : 1;
    if (weight === 0) continue;
    const o = i * image.channels;
    r += SRGB_TO_LINEAR[tables ? tables[0][image.data[o]] : image.data[o]] * weight;
    g += SRGB_TO_LINEAR[tables ? tables[1][image.data[o + 1]] : image.data[o + 1]] * weight;
    b += SRGB_TO_LINEAR[tables ? tables[2][image.data[o + 2]] : image.data[o + 2]] * weight;
    w += weight;
  }
  return w === 0 ? [0, 0, 0] : [r / w, g / w, b / w];
}

/** Mean Lab of the subject (alpha-weighted, computed in linear light then converted). */
export function meanLab(image: RawImage, alpha?: AlphaMask): Lab {
  const [r, g, b] = meanLinear(image, alpha);
  return linearToLab(r, g, b);
}

function tablesFor(gains: [number, number, number]): ColorTables {
  return gains.map((gain) => Uint8Array.from({ length: 256 }, (_, v) => linearToSrgb(SRGB_TO_LINEAR[v] * gain))) as ColorTables;
}

export interface ColorMatchPlan {
  /** Applied to the subject's pixels as they are composited (compose/over.ts). */
  tables: ColorTables;
  /** How far the subject's mean moves, in Lab delta E. */
  deltaE: number;
  gains: [number, number, number];
}

/** The colour match as tables, to be applied in the composite pass (no extra full-size copy of the subject). */
export function planColorMatch(subject: RawImage, alpha: AlphaMask, backdrop: RawImage, strength: number, maxDeltaE: number): ColorMatchPlan {
  const subjectMean = meanLinear(subject, alpha);
  const backdropMean = meanLinear(backdrop);
  const before = linearToLab(...subjectMean);
  // Gains that would carry the subject's mean all the way to the backdrop's, scaled by t.
  const full = subjectMean.map((v, c) => (v > 1e-4 ? backdropMean[c] / v : 1)) as [number, number, number];
  const gainsAt = (t: number) => full.map((g) => 1 + (Math.min(4, Math.max(0.25, g)) - 1) * t) as [number, number, number];
  const shiftAt = (t: number) => {
    const g = gainsAt(t);
    return deltaE(before, linearToLab(subjectMean[0] * g[0], subjectMean[1] * g[1], subjectMean[2] * g[2]));
  };
  let t = strength;
  if (shiftAt(t) > maxDeltaE) {
    // Bisection on the strength so the mean shift meets the bound.
    let lo = 0;
    let hi = t;
    for (let k = 0; k < 30; k++) {
      const mid = (lo + hi) / 2;
      if (shiftAt(mid) > maxDeltaE) hi = mid;
      else lo = mid;
    }
    t = lo;
  }
  const gains = gainsAt(t);
  const tables = tablesFor(gains);
  return { tables, deltaE: deltaE(before, linearToLab(...meanLinear(subject, alpha, tables))), gains };
}
