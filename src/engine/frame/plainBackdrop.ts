import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { labelComponents } from '../matte/components';
import { straightBarPixels } from './straightBars';
import { bandDepth, colorBin, MAX_FRAME_FILL } from './boxPrior';
import { type ColorModel, FINISH_D2, type FinishMatte, fitColor, keepHeldTogether, localMeans, shadeDistance2 } from './finish';
import { dilate } from './panels';

/**
 * A frame on a plain backdrop (a studio sweep, a painted wall and its floor, a clear sky): the
 * backdrop is a smooth surface of colour (two: wall and floor), fitted over the photo, and the
 * frame is what stands off it in the finish's colour. Where a white frame meets a sweep lit to
 * its own tone, no colour bound tells them apart (the finish's cloud reaches the sweep's
 * brightest part and takes it whole), but the sweep's smoothness does: the frame is off the surface by its shading and tint, the
 * sweep only by its noise. Things standing behind the frame (a table, a ball) are off the
 * surface too, in another colour: background.
 */

/** The fit reads every this many pixels each way at least (a sweep changes over hundreds)... */
const SAMPLE_STEP = 4;
/** ...and no more than about this many samples, whatever the photo's size (its cost grows with them: 0.25-0.4 s at 1280 x 960 read every 4 px). */
const MAX_SAMPLES = 20000;
/** Each round of the robust fit refits on the samples within this many times the last round's median residual. */
const FIT_TRIM = 2;
/** Rounds of the robust fit. */
const FIT_ROUNDS = 6;
/** Residual (8-bit levels, largest channel) a backdrop pixel always may have: noise and JPEG. */
const BACKDROP_NOISE = 4;
/** A backdrop noisier than this (levels) is no plain one: a photo's textures, foliage, clutter. */
const MAX_BACKDROP_TOLERANCE = 8;
/** The backdrop's pixels lie within this many of its residuals' median absolute deviations. */
const NOISE_SPREAD = 3;
/** A pixel this far off the backdrop (levels, largest channel) stands in front of it... */
const MIN_STEP = 6;
/** ...or this many times the backdrop's noise, when that is more. */
const STEP_OVER_NOISE = 4;
/** Share of the ring just outside the box that must be the backdrop's (what stands beside the product, a table leg, may reach out of the box). */
const MIN_RING_BACKDROP = 0.8;
/** Share of the box that must be the backdrop's: a frame leaves most of its box open (MAX_FRAME_FILL). */
const MIN_OPEN_BACKDROP = 1 - MAX_FRAME_FILL;
/** Fewer ring samples than this say nothing about the backdrop beside the box. */
const MIN_RING_SAMPLES = 64;
/**
 * A pixel of the frame stands off the backdrop at least this share of the way the finish does
 * there: a glass's reflections and tint, lighter than a white frame's step, stay background.
 */
const FINISH_REACH = 0.5;
/** A finish and the backdrop closer than this (levels) cannot be mixed into an edge's alpha. */
const MIN_MIX_CONTRAST = 6;
/** What a box is drawn around spans most of it both ways. */
const MIN_SPAN = 0.75;

/** Quadratic surface terms at normalised coordinates (u, v in -1..1): a cubic bent towards a large frame in the box (a door over a wall, 18006: 0.862 against 0.998). */
const TERMS = 6;
function terms(u: number, v: number, out: Float64Array): void {
  out[0] = 1;
  out[1] = u;
  out[2] = v;
  out[3] = u * u;
  out[4] = u * v;
  out[5] = v * v;
}

/** One smooth part of a backdrop: a wall, or the floor below it. */
interface BackdropPart {
  /** Per channel, the quadratic's coefficients. */
  coefficients: Float64Array[];
}

export interface Backdrop {
  /** The wall, and the floor from row `floorFrom` down when the backdrop has one. */
  parts: BackdropPart[];
  floorFrom: number;
  /** A backdrop pixel lies within this of the surface (levels, largest channel). */
  tolerance: number;
  /** A pixel this far off the surface stands in front of it. */
  step: number;
  width: number;
  height: number;
}

/** Rows either side of a wall's meeting with the floor where a pixel may be either's. */
const FLOOR_LINE_ROWS = 3;

/** A part's colour at (x, y), into `out`. */
function partAt(part: BackdropPart, backdrop: Backdrop, x: number, y: number, basis: Float64Array, out: Float64Array): void {
  terms((2 * x) / backdrop.width - 1, (2 * y) / backdrop.height - 1, basis);
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let t = 0; t < TERMS; t++) s += part.coefficients[c][t] * basis[t];
    out[c] = s;
  }
}

/**
 * The backdrop's colour at (x, y) nearest the pixel's own (`pixel`), into `out`: the wall's
 * or the floor's, or near the line where they meet, the closer of the two.
 */
function surfaceAt(backdrop: Backdrop, x: number, y: number, pixel: ArrayLike<number>, basis: Float64Array, out: Float64Array, other: Float64Array): void {
  const { parts, floorFrom } = backdrop;
  const below = parts.length > 1 && y >= floorFrom;
  partAt(parts[below ? 1 : 0], backdrop, x, y, basis, out);
  if (parts.length < 2 || Math.abs(y - floorFrom) > FLOOR_LINE_ROWS) return;
  partAt(parts[below ? 0 : 1], backdrop, x, y, basis, other);
  let mine = 0;
  let theirs = 0;
  for (let c = 0; c < 3; c++) {
    mine = Math.max(mine, Math.abs(pixel[c] - out[c]));
    theirs = Math.max(theirs, Math.abs(pixel[c] - other[c]));
  }
  if (theirs < mine) out.set(other);
}

/** Weighted least squares of the samples' colours on the surface terms; undefined when singular. */
function solveSurface(basis: Float64Array[], colors: Float64Array, use: Uint8Array): Float64Array[] | undefined {
  const normal = new Float64Array(TERMS * TERMS);
  const rhs = [new Float64Array(TERMS), new Float64Array(TERMS), new Float64Array(TERMS)];
  for (let s = 0; s < basis.length; s++) {
    if (!use[s]) continue;
    const b = basis[s];
    for (let i = 0; i < TERMS; i++) {
      for (let j = i; j < TERMS; j++) normal[i * TERMS + j] += b[i] * b[j];
      for (let c = 0; c < 3; c++) rhs[c][i] += b[i] * colors[s * 3 + c];
    }
  }
  for (let i = 0; i < TERMS; i++) for (let j = 0; j < i; j++) normal[i * TERMS + j] = normal[j * TERMS + i];
  const solved = rhs.map((r) => gaussSolve(normal.slice(), r.slice()));
  return solved.every((x) => x !== undefined) ? (solved as Float64Array[]) : undefined;
}

/** Solves A x = b (n x n, row-major) by Gaussian elimination with partial pivoting. */
function gaussSolve(a: Float64Array, b: Float64Array): Float64Array | undefined {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (Math.abs(a[pivot * n + col]) < 1e-9) return undefined;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k], a[col * n + k]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      for (let k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[r * n + k] * x[k];
    x[r] = s / a[r * n + r];
  }
  return x;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Samples of the photo for the fit: their surface terms, colours, rows and where they lie. */
interface Samples {
  basis: Float64Array[];
  values: Float64Array;
  columns: Int32Array;
  rows: Int32Array;
  where: Array<'box' | 'ring' | 'far'>;
}

function samplePhoto(rgb: RawImage, box: BoundingBox): Samples {
  const { width, height, channels, data } = rgb;
  const basis: Float64Array[] = [];
  const colors: number[] = [];
  const columns: number[] = [];
  const rows: number[] = [];
  const where: Array<'box' | 'ring' | 'far'> = [];
  const depth = bandDepth(box);
  const step = Math.max(SAMPLE_STEP, Math.ceil(Math.sqrt((width * height) / MAX_SAMPLES)));
  for (let y = step >> 1; y < height; y += step) {
    for (let x = step >> 1; x < width; x += step) {
      const b = new Float64Array(TERMS);
      terms((2 * x) / width - 1, (2 * y) / height - 1, b);
      basis.push(b);
      const o = (y * width + x) * channels;
      colors.push(data[o], data[o + 1], data[o + 2]);
      columns.push(x);
      rows.push(y);
      const dx = Math.max(box.x - x, x - (box.x + box.width - 1), 0);
      const dy = Math.max(box.y - y, y - (box.y + box.height - 1), 0);
      where.push(dx === 0 && dy === 0 ? 'box' : Math.max(dx, dy) <= depth ? 'ring' : 'far');
    }
  }
  return { basis, values: Float64Array.from(colors), columns: Int32Array.from(columns), rows: Int32Array.from(rows), where };
}

/**
 * A robust quadratic fit over the samples `member` marks: each round refits on the samples within
 * FIT_TRIM times the last round's median residual. Writes each member's residual (levels,
 * largest channel).
 */
function fitPart(samples: Samples, member: Uint8Array, residual: Float64Array): { part: BackdropPart; tolerance: number } | undefined {
  const { basis, values } = samples;
  let count = 0;
  for (const m of member) count += m;
  if (count < 4 * TERMS) return undefined;
  const use = Uint8Array.from(member);
  let coefficients: Float64Array[] | undefined;
  const all: number[] = [];
  for (let round = 0; round < FIT_ROUNDS; round++) {
    coefficients = solveSurface(basis, values, use);
    if (!coefficients) return undefined;
    all.length = 0;
    for (let s = 0; s < basis.length; s++) {
      if (!member[s]) continue;
      let r = 0;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let t = 0; t < TERMS; t++) v += coefficients[c][t] * basis[s][t];
        r = Math.max(r, Math.abs(values[s * 3 + c] - v));
      }
      residual[s] = r;
      all.push(r);
    }
    // The backdrop is most of the samples: their median residual is the backdrop's, and a frame
    // standing off it lies beyond twice that (then leaves the next round's fit).
    const bound = Math.max(BACKDROP_NOISE, FIT_TRIM * median(all));
    for (let s = 0; s < basis.length; s++) use[s] = member[s] && residual[s] <= bound ? 1 : 0;
  }
  const kept: number[] = [];
  for (let s = 0; s < basis.length; s++) if (use[s]) kept.push(residual[s]);
  const tolerance = Math.max(BACKDROP_NOISE, NOISE_SPREAD * 1.4826 * median(kept));
  return { part: { coefficients: coefficients! }, tolerance };
}

/** Samples outside the box a row needs for its median to be read there alone. */
const MIN_ROW_OUTSIDE = 4;

/** The sample row where the rows' median colour steps most (a wall meeting a floor), as a photo row. */
function floorLine(samples: Samples, height: number): number {
  const byRow = new Map<number, number[][]>();
  // Outside the box where a row has enough there: a frame's slats may fill most of a row inside it.
  const outside = new Map<number, number>();
  for (let s = 0; s < samples.rows.length; s++) if (samples.where[s] !== 'box') outside.set(samples.rows[s], (outside.get(samples.rows[s]) ?? 0) + 1);
  for (let s = 0; s < samples.rows.length; s++) {
    const row = samples.rows[s];
    if ((outside.get(row) ?? 0) >= MIN_ROW_OUTSIDE && samples.where[s] === 'box') continue;
    if (!byRow.has(row)) byRow.set(row, [[], [], []]);
    for (let c = 0; c < 3; c++) byRow.get(row)![c].push(samples.values[s * 3 + c]);
  }
  const rows = [...byRow.keys()].sort((a, b) => a - b);
  const medians = rows.map((row) => byRow.get(row)!.map(median));
  let best = height;
  let bestStep = 0;
  for (let i = 1; i + 1 < medians.length; i++) {
    let step = 0;
    for (let c = 0; c < 3; c++) step = Math.max(step, Math.abs(medians[i + 1][c] - medians[i - 1][c]));
    if (step > bestStep) {
      bestStep = step;
      best = rows[i];
    }
  }
  return best;
}

/**
 * The photo's plain backdrop around and behind the box, when it has one: a quadratic surface per
 * channel fitted robustly, or two (a wall and the floor it meets, split at the row where the
 * photo's row colours step most) when one does not fit; believed when its noise is low and the
 * ring outside the box and most of the box lie on it.
 */
export function fitBackdrop(rgb: RawImage, box: BoundingBox): Backdrop | undefined {
  const { width, height } = rgb;
  const samples = samplePhoto(rgb, box);
  const residual = new Float64Array(samples.basis.length);
  const all = new Uint8Array(samples.basis.length).fill(1);
  const whole = fitPart(samples, all, residual);
  if (!whole) return undefined;
  let backdrop: Backdrop = { parts: [whole.part], floorFrom: height, tolerance: whole.tolerance, step: 0, width, height };
  if (whole.tolerance > MAX_BACKDROP_TOLERANCE) {
    const floorFrom = floorLine(samples, height);
    const wall = fitPart(
      samples,
      Uint8Array.from(samples.rows, (row) => (row < floorFrom ? 1 : 0)),
      residual,
    );
    const floor = fitPart(
      samples,
      Uint8Array.from(samples.rows, (row) => (row >= floorFrom ? 1 : 0)),
      residual,
    );
    if (!wall || !floor) return undefined;
    backdrop = { parts: [wall.part, floor.part], floorFrom, tolerance: Math.max(wall.tolerance, floor.tolerance), step: 0, width, height };
    // Samples by the line where wall and floor meet may be either's.
    const basis = new Float64Array(TERMS);
    const out = new Float64Array(3);
    const other = new Float64Array(3);
    for (let s = 0; s < residual.length; s++) {
      if (Math.abs(samples.rows[s] - floorFrom) > FLOOR_LINE_ROWS) continue;
      const pixel = samples.values.subarray(s * 3, s * 3 + 3);
      surfaceAt(backdrop, samples.columns[s], samples.rows[s], pixel, basis, out, other);
      residual[s] = Math.max(...[0, 1, 2].map((c) => Math.abs(pixel[c] - out[c])));
    }
  }
  const { tolerance } = backdrop;
  const share = (place: 'box' | 'ring') => {
    let on = 0;
    let count = 0;
    for (let s = 0; s < residual.length; s++) {
      if (samples.where[s] !== place) continue;
      count++;
      if (residual[s] <= tolerance) on++;
    }
    return { on: count ? on / count : 0, count };
  };
  const ring = share('ring');
  const inside = share('box');
  if (tolerance > MAX_BACKDROP_TOLERANCE || ring.count < MIN_RING_SAMPLES || ring.on < MIN_RING_BACKDROP || inside.on < MIN_OPEN_BACKDROP) return undefined;
  return { ...backdrop, step: Math.max(MIN_STEP, (STEP_OVER_NOISE * tolerance) / NOISE_SPREAD) };
}

/**
 * The frame's matte on a plain backdrop: pixels off the surface (Backdrop.step) in the finish's
 * colour (the colour of what stands off the surface in the box's band), held together with
 * the band; on its edges, how far each pixel lies from the surface towards the local finish.
 * Undefined when the photo has no plain backdrop or what stands off it is no frame.
 */
export function matteOnPlainBackdrop(rgb: RawImage, box: BoundingBox, model: AlphaMask): FinishMatte | undefined {
  const backdrop = fitBackdrop(rgb, box);
  if (!backdrop) return undefined;
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const surface = new Float32Array(w * h * 3);
  const off = new Uint8Array(w * h);
  const basis = new Float64Array(TERMS);
  const at = new Float64Array(3);
  const other = new Float64Array(3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      const o = ((box.y + y) * width + box.x + x) * channels;
      surfaceAt(backdrop, box.x + x, box.y + y, data.subarray(o, o + 3), basis, at, other);
      let r = 0;
      for (let c = 0; c < 3; c++) {
        surface[k * 3 + c] = at[c];
        r = Math.max(r, Math.abs(data[o + c] - at[c]));
      }
      if (r >= backdrop.step) off[k] = 1;
    }
  }
  const finish = bandFinish(rgb, box, off);
  if (!finish) return undefined;
  const modelHas = (k: number) => model.data[(box.y + Math.floor(k / w)) * width + box.x + (k % w)] >= SUBJECT_ALPHA;
  const solid = new Uint8Array(w * h);
  for (let k = 0; k < solid.length; k++) {
    if (!off[k]) continue;
    const o = ((box.y + Math.floor(k / w)) * width + box.x + (k % w)) * channels;
    if (shadeDistance2(finish, data[o], data[o + 1], data[o + 2]) > FINISH_D2) continue;
    let own = 0;
    let reach = 0;
    for (let c = 0; c < 3; c++) {
      own = Math.max(own, Math.abs(data[o + c] - surface[k * 3 + c]));
      reach = Math.max(reach, Math.abs(finish.mean[c] - surface[k * 3 + c]));
    }
    if (own >= FINISH_REACH * reach) solid[k] = 1;
  }
  const bars = straightBarPixels(solid, w, h);
  if (modelSeesFrame(solid, bars, modelHas)) dropUnbackedOffBar(solid, bars, w, h, bandDepth(box), modelHas);
  const span = keepHeldTogether(solid, w, h, bandDepth(box));
  if (span.width < MIN_SPAN * w || span.height < MIN_SPAN * h) return undefined;
  let cover = 0;
  for (const v of solid) cover += v;
  if (cover > MAX_FRAME_FILL * w * h) return undefined;
  return { alpha: mixedEdges(rgb, box, solid, surface, finish), finish: finish.mean.map(Math.round) as [number, number, number] };
}

/** The model sees the frame when it took at least this share of the frame's straight bars; then an off-bar piece it took less of than this share is not the frame's. */
const MODEL_SEES = 0.5;

/** Whether the model took most of the straight bars (`bars`) of `solid` (a white frame on a sweep of its tone: it took nothing). */
function modelSeesFrame(solid: Uint8Array, bars: Uint8Array, modelHas: (k: number) => boolean): boolean {
  let onBars = 0;
  let seen = 0;
  for (let k = 0; k < bars.length; k++) {
    if (!bars[k] || !solid[k]) continue;
    onBars++;
    if (modelHas(k)) seen++;
  }
  return onBars > 0 && seen >= MODEL_SEES * onBars;
}

/** An off-bar piece with at least this share of it in the box's band is the frame's outer part. */
const MOSTLY_IN_BAND = 0.5;

/**
 * Drops from the pieces off the straight bars (`bars`) of `solid` that the model mostly left out and that
 * lie mostly inside the frame, off the box's band, what the model left out: glass reflections in
 * the finish's tone (and not the rail a reflection meets). A
 * frame's own thick parts lie in the band (a rail wide in perspective); a door's panel the
 * model sees.
 */
function dropUnbackedOffBar(solid: Uint8Array, bars: Uint8Array, w: number, h: number, depth: number, modelHas: (k: number) => boolean) {
  const off = new Uint8Array(w * h);
  for (let k = 0; k < off.length; k++) off[k] = solid[k] && !bars[k] ? 1 : 0;
  const { labels, sizes } = labelComponents(off, w);
  const support = new Float64Array(sizes.length);
  const inBand = new Float64Array(sizes.length);
  for (let k = 0; k < off.length; k++) {
    const label = labels[k];
    if (!label) continue;
    if (modelHas(k)) support[label]++;
    const x = k % w;
    const y = (k - x) / w;
    if (Math.min(x, y, w - 1 - x, h - 1 - y) < depth) inBand[label]++;
  }
  for (let k = 0; k < off.length; k++) {
    const label = labels[k];
    if (label && inBand[label] < MOSTLY_IN_BAND * sizes[label] && support[label] < MODEL_SEES * sizes[label] && !modelHas(k)) solid[k] = 0;
  }
}

/** Refits of the finish from its commonest colour bin outwards (each on the pixels within 3 sigma of the last). */
const FINISH_REFITS = 3;

/** Only a colour at least this common in the band (against its commonest) may be the finish: not the mixed edges of thin bars, which reach every side. */
const RIVAL_SHARE = 0.25;
/** A colour is on a side of the band when it holds at least this share of that side's off-backdrop pixels. */
const SIDE_MIN_SHARE = 0.05;

/**
 * The finish: of the colours of what stands off the backdrop in the box's band, the one on
 * most of the band's four sides (a box is drawn around the frame; a table or a person behind
 * it reaches one side or two, and may fill it), the commonest among those; grown by refitting
 * on the pixels near it.
 */
function bandFinish(rgb: RawImage, box: BoundingBox, off: Uint8Array): ColorModel | undefined {
  const depth = bandDepth(box);
  const w = box.width;
  const h = box.height;
  const inBand = (i: number) => {
    const x = (i % rgb.width) - box.x;
    const y = Math.floor(i / rgb.width) - box.y;
    return off[y * w + x] === 1 && Math.min(x, y, w - 1 - x, h - 1 - y) < depth;
  };
  // Per side (top, bottom, left, right: the nearest), the off-backdrop pixels of each colour bin.
  const counts = [0, 1, 2, 3].map(() => new Float64Array(512));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (box.y + y) * rgb.width + box.x + x;
      if (!inBand(i)) continue;
      const gaps = [y, h - 1 - y, x, w - 1 - x];
      counts[gaps.indexOf(Math.min(...gaps))][colorBin(rgb.data, i, rgb.channels)]++;
    }
  }
  const totals = counts.map((side) => side.reduce((a, b) => a + b, 0));
  const all = new Float64Array(512);
  for (const side of counts) for (let bin = 0; bin < 512; bin++) all[bin] += side[bin];
  const commonest = Math.max(...all);
  let modal = -1;
  let best = [-1, -1];
  for (let bin = 0; bin < 512; bin++) {
    if (all[bin] === 0 || all[bin] < RIVAL_SHARE * commonest) continue;
    const sides = counts.filter((side, s) => totals[s] > 0 && side[bin] >= SIDE_MIN_SHARE * totals[s]).length;
    if (sides > best[0] || (sides === best[0] && all[bin] > best[1])) {
      best = [sides, all[bin]];
      modal = bin;
    }
  }
  if (modal < 0) return undefined;
  let model = fitColor(rgb, (i) => inBand(i) && colorBin(rgb.data, i, rgb.channels) === modal, box);
  for (let round = 0; model && round < FINISH_REFITS; round++) model = fitColor(rgb, inBand, box, model) ?? model;
  return model;
}

/** Full-size alpha: opaque inside the frame; on its edges, a pixel's colour projected from the surface onto the local finish. */
function mixedEdges(rgb: RawImage, box: BoundingBox, solid: Uint8Array, surface: Float32Array, finish: ColorModel): AlphaMask {
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const near = dilate(solid, w, h, 1);
  const { sums, weights } = localMeans(rgb, box, solid, 2);
  const out = Buffer.alloc(width * rgb.height);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!near[k]) continue;
      const i = (box.y + y) * width + box.x + x;
      const interior = solid[k] && (x === 0 || solid[k - 1]) && (x === w - 1 || solid[k + 1]) && (y === 0 || solid[k - w]) && (y === h - 1 || solid[k + w]);
      if (interior) {
        out[i] = 255;
        continue;
      }
      let dot = 0;
      let length2 = 0;
      for (let c = 0; c < 3; c++) {
        const f = weights[k] > 1e-4 ? sums[c][k] / weights[k] : finish.mean[c];
        const b = surface[k * 3 + c];
        dot += (data[i * channels + c] - b) * (f - b);
        length2 += (f - b) * (f - b);
      }
      if (length2 < MIN_MIX_CONTRAST * MIN_MIX_CONTRAST) out[i] = solid[k] ? 255 : 0;
      else out[i] = Math.round(255 * Math.max(0, Math.min(1, dot / length2)));
    }
  }
  return { data: out, width, height: rgb.height };
}
