import { boxBlur } from './boxBlur';
import { SNAP_TABLE } from './snap';

/**
 * Guided filter (He, Sun and Tang, 2013) of an upscaled matte, with the photo as the guide:
 * in every small window the matte is fitted as a linear function of the photo's colour, so
 * an edge the model drew soft at its 1024 px goes where the photo's edge is at full size: a
 * one-pixel spoke the model saw as a faint line comes back opaque, the gap between two wires
 * clears, and where the photo has no edge (fur over a like-coloured wall) the matte is only
 * smoothed, never sharpened. Only the matte's soft pixels move: regions flat in it (all
 * subject, all background) come out exactly as they were, what it writes is snapped like the
 * model's matte (snap.ts), and no new soft fringe appears
 * around the edge (it would double the pixels whose colours must be estimated).
 */
export interface GuidedOptions {
  /** Window radius in full-resolution pixels. */
  radius: number;
  /** Regularisation on colour variance (colours 0..1): larger keeps the fit closer to the blurred matte. */
  epsilon: number;
}

/**
 * Coefficients are fitted on a grid of at most this long side (the fast guided filter): they
 * are smooth, so the model's own resolution carries them, and at 12 MP full size costs 2 s.
 */
export const GUIDED_WORK_SIDE = 1024;

interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}

/** A region of a full-size photo (and its matte), read in place: rows `stride` pixels apart. */
interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
  stride: number;
}

/**
 * Block means of `factor` x `factor` pixels of the region, scaled 0..1: the photo's three
 * colour planes and the matte's. A block row's sums are whole numbers far below 2^24, so
 * adding them per block (not per pixel) gives the same float32 values.
 */
function shrink(image: Uint8Array, matte: Uint8Array, region: Region, channels: number, factor: number): Plane[] {
  const { width, height } = region;
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const sums = [0, 1, 2, 3].map(() => new Float32Array(w * h));
  const counts = new Float32Array(w * h);
  const [r, g, b, a] = sums;
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * w;
    const start = (region.y + y) * region.stride + region.x;
    for (let column = 0; column < w; column++) {
      const from = column * factor;
      const to = Math.min(width, from + factor);
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sa = 0;
      for (let x = from; x < to; x++) {
        const o = (start + x) * channels;
        sr += image[o];
        sg += image[o + 1];
        sb += image[o + 2];
        sa += matte[start + x];
      }
      const i = row + column;
      r[i] += sr;
      g[i] += sg;
      b[i] += sb;
      a[i] += sa;
      counts[i] += to - from;
    }
  }
  for (const plane of sums) for (let i = 0; i < plane.length; i++) plane[i] /= counts[i] * 255;
  return sums.map((data) => ({ data, width: w, height: h }));
}

/** The per-window linear fit alpha ~ a . colour + b, each coefficient averaged over the windows covering a pixel. */
function fitCoefficients(
  red: Plane,
  green: Plane,
  blue: Plane,
  matte: Plane,
  radius: number,
  epsilon: number,
): { coefficients: Float32Array[]; flat: Uint8Array } {
  const { width, height } = matte;
  const n = width * height;
  const scratch = new Float32Array(n);
  const mean = (values: Float32Array) => boxBlur(values, width, height, radius, scratch);
  const product = (a: Float32Array, b: Float32Array) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    return out;
  };
  const [r, g, b, p] = [red.data, green.data, blue.data, matte.data];
  const rp = mean(product(r, p));
  const gp = mean(product(g, p));
  const bp = mean(product(b, p));
  const rr = mean(product(r, r));
  const rg = mean(product(r, g));
  const rb = mean(product(r, b));
  const gg = mean(product(g, g));
  const gb = mean(product(g, b));
  const bb = mean(product(b, b));
  const mr = mean(Float32Array.from(r));
  const mg = mean(Float32Array.from(g));
  const mb = mean(Float32Array.from(b));
  const mp = mean(Float32Array.from(p));
  const ar = new Float32Array(n);
  const ag = new Float32Array(n);
  const ab = new Float32Array(n);
  const bias = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Covariance of the colour (3 x 3, regularised) and of colour with the matte.
    const srr = rr[i] - mr[i] * mr[i] + epsilon;
    const srg = rg[i] - mr[i] * mg[i];
    const srb = rb[i] - mr[i] * mb[i];
    const sgg = gg[i] - mg[i] * mg[i] + epsilon;
    const sgb = gb[i] - mg[i] * mb[i];
    const sbb = bb[i] - mb[i] * mb[i] + epsilon;
    const cr = rp[i] - mr[i] * mp[i];
    const cg = gp[i] - mg[i] * mp[i];
    const cb = bp[i] - mb[i] * mp[i];
    // Solve the symmetric system by its adjugate.
    const i00 = sgg * sbb - sgb * sgb;
    const i01 = srb * sgb - srg * sbb;
    const i02 = srg * sgb - srb * sgg;
    const i11 = srr * sbb - srb * srb;
    const i12 = srb * srg - srr * sgb;
    const i22 = srr * sgg - srg * srg;
    const det = srr * i00 + srg * i01 + srb * i02;
    ar[i] = (i00 * cr + i01 * cg + i02 * cb) / det;
    ag[i] = (i01 * cr + i11 * cg + i12 * cb) / det;
    ab[i] = (i02 * cr + i12 * cg + i22 * cb) / det;
    bias[i] = mp[i] - ar[i] * mr[i] - ag[i] * mg[i] - ab[i] * mb[i];
  }
  // The fit at a pixel reads the matte within twice the radius: where that is all 0 or all 1, so is the fit.
  const reach = mean(Float32Array.from(mp));
  const flat = new Uint8Array(n);
  for (let i = 0; i < n; i++) flat[i] = reach[i] < FLAT || reach[i] > 1 - FLAT ? 1 : 0;
  return { coefficients: [ar, ag, ab, bias].map((values) => mean(values)), flat };
}

/** Float32 running means of exact 0s and 1s stay this close to them. */
const FLAT = 1e-5;

/**
 * The matte (full resolution, 1 channel) refined by the photo (full resolution, RGB or RGBA).
 * Pixels at 0 or 255 keep their value; only the box around the matte's edges is worked on.
 */
export function guidedUpsample(matte: Uint8Array, image: Uint8Array, width: number, height: number, channels: number, options: GuidedOptions): Uint8Array {
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / GUIDED_WORK_SIDE));
  // What a pixel's result depends on: its window's coefficients, each fitted over a window.
  const reach = 2 * options.radius + 2 * factor;
  const edges = edgeBox(matte, width, height, reach, factor);
  const out = Uint8Array.from(matte);
  if (edges) refine(matte, image, { ...edges, stride: width }, channels, factor, options, out);
  return out;
}

/** The box around every pixel that is soft or differs from a neighbour, grown by `margin` and aligned to `factor`; undefined when the matte is flat. */
function edgeBox(matte: Uint8Array, width: number, height: number, margin: number, factor: number) {
  const last = width * (height - 1);
  const isEdge = (row: number, x: number) => {
    const v = matte[row + x];
    return (v > 0 && v < 255) || (x + 1 < width && matte[row + x + 1] !== v) || (row < last && matte[row + width + x] !== v);
  };
  const rowHasEdge = (y: number) => {
    for (let x = 0; x < width; x++) if (isEdge(y * width, x)) return true;
    return false;
  };
  let y0 = 0;
  while (y0 < height && !rowHasEdge(y0)) y0++;
  if (y0 === height) return undefined;
  let y1 = height;
  while (!rowHasEdge(y1 - 1)) y1--;
  // Each row is read only outside the columns already known to hold an edge.
  let x0 = width;
  let x1 = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    for (let x = 0; x < x0; x++) {
      if (isEdge(row, x)) {
        x0 = x;
        break;
      }
    }
    for (let x = width - 1; x >= x1; x--) {
      if (isEdge(row, x)) {
        x1 = x + 1;
        break;
      }
    }
  }
  const left = Math.max(0, Math.floor((x0 - margin) / factor) * factor);
  const top = Math.max(0, Math.floor((y0 - margin) / factor) * factor);
  const right = Math.min(width, x1 + margin + 1);
  const bottom = Math.min(height, y1 + margin + 1);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The guided filter on one region: coefficients fitted on the shrunken grid, applied at full
 * resolution; the region's soft pixels are written to `out` (read in place, nothing copied).
 */
function refine(matte: Uint8Array, image: Uint8Array, region: Region, channels: number, factor: number, options: GuidedOptions, out: Uint8Array): void {
  const { width, height } = region;
  const radius = Math.max(1, Math.round(options.radius / factor));
  const [red, green, blue, p] = shrink(image, matte, region, channels, factor);
  const { coefficients, flat } = fitCoefficients(red, green, blue, p, radius, options.epsilon);
  const { width: cw, height: ch } = p;
  const [ar, ag, ab, bias] = coefficients;
  // Bilinear weights between block centres, per column (the same for every row).
  const c0s = new Int32Array(width);
  const c1s = new Int32Array(width);
  const txs = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(cw - 1, Math.max(0, (x + 0.5) / factor - 0.5));
    c0s[x] = Math.floor(fx);
    c1s[x] = Math.min(cw - 1, c0s[x] + 1);
    txs[x] = fx - c0s[x];
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(ch - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const r0 = Math.floor(fy) * cw;
    const r1 = Math.min(ch - 1, Math.floor(fy) + 1) * cw;
    const ty = fy - Math.floor(fy);
    const block = Math.floor(y / factor) * cw;
    const start = (region.y + y) * region.stride + region.x;
    for (let x = 0; x < width; x++) {
      const i = start + x;
      if (matte[i] === 0 || matte[i] === 255 || flat[block + Math.floor(x / factor)]) continue;
      const c0 = c0s[x];
      const c1 = c1s[x];
      const tx = txs[x];
      const w00 = (1 - tx) * (1 - ty);
      const w01 = tx * (1 - ty);
      const w10 = (1 - tx) * ty;
      const w11 = tx * ty;
      const a00 = r0 + c0;
      const a01 = r0 + c1;
      const a10 = r1 + c0;
      const a11 = r1 + c1;
      const o = i * channels;
      const red = ar[a00] * w00 + ar[a01] * w01 + ar[a10] * w10 + ar[a11] * w11;
      const green = ag[a00] * w00 + ag[a01] * w01 + ag[a10] * w10 + ag[a11] * w11;
      const blue = ab[a00] * w00 + ab[a01] * w01 + ab[a10] * w10 + ab[a11] * w11;
      const offset = bias[a00] * w00 + bias[a01] * w01 + bias[a10] * w10 + bias[a11] * w11;
      const q = (red * image[o] + green * image[o + 1] + blue * image[o + 2]) / 255 + offset;
      const value = Math.round(q * 255);
      out[i] = SNAP_TABLE[value < 0 ? 0 : value > 255 ? 255 : value];
    }
  }
}
