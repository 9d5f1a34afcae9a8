import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { boxBlur } from '../matte/boxBlur';
import { bandDepth, type BoxColors, boxColorPrior, colorBin, MAX_FRAME_FILL, visitBandAndRing } from './boxPrior';
import { labelComponents } from '../matte/components';
import { maskIoU } from '../matte/confidence';
import { dilate, MAX_UNBACKED_PANELS, panelPixels, unbackedPanelShare } from './panels';
import { BAR_MIN_LENGTH, straightBarPixels } from './straightBars';

/** An off-bar piece smaller than this share of the box is a stray (a dark leaf, a shadow's speck)... */
const STRAY_MAX_AREA = 0.005;
/** ...unless the model took at least this share of it. */
const STRAY_MIN_MODEL = 0.5;

/**
 * Drops the pieces of a box-local matte that lie off its straight bars, are small, and that
 * the model did not take: specks of the finish's colour seen through the frame. A door's
 * panel or a kick plate is large; a pergola's brace the model sees.
 */
function dropStrayPieces(solid: Uint8Array, w: number, h: number, modelHas: (k: number) => boolean) {
  const bars = straightBarPixels(solid, w, h);
  const off = new Uint8Array(w * h);
  for (let k = 0; k < off.length; k++) off[k] = solid[k] && !bars[k] ? 1 : 0;
  const { labels, sizes } = labelComponents(off, w);
  const support = new Float64Array(sizes.length);
  for (let k = 0; k < off.length; k++) if (labels[k] && modelHas(k)) support[labels[k]]++;
  for (let k = 0; k < off.length; k++) {
    const label = labels[k];
    if (label && sizes[label] < STRAY_MAX_AREA * w * h && support[label] < STRAY_MIN_MODEL * sizes[label]) solid[k] = 0;
  }
}

/** Off the straight bars, a piece at least this elongated (long over short axis of its second moments) is a bar the line search missed: a brace, a slat cut short. */
const BAR_ELONGATION = 5;
/** An off-bar piece covering this share of the box is a panel (a door's leaf, a glazing bead's frame), not a blob seen through the frame. */
const PANEL_MIN_SHARE = 0.05;

/** Long over short axis of each labelled piece, from its second moments (index: label). */
function elongations(labels: Int32Array, sizes: number[], w: number): Float64Array {
  const sums = new Float64Array(sizes.length * 5);
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    if (!label) continue;
    const x = k % w;
    const y = (k - x) / w;
    const o = label * 5;
    sums[o] += x;
    sums[o + 1] += y;
    sums[o + 2] += x * x;
    sums[o + 3] += y * y;
    sums[o + 4] += x * y;
  }
  const result = new Float64Array(sizes.length);
  for (let label = 1; label < sizes.length; label++) {
    const n = sizes[label];
    const o = label * 5;
    const mx = sums[o] / n;
    const my = sums[o + 1] / n;
    const xx = sums[o + 2] / n - mx * mx;
    const yy = sums[o + 3] / n - my * my;
    const xy = sums[o + 4] / n - mx * my;
    const half = (xx + yy) / 2;
    const spread = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
    // A one-pixel line's short axis is a pixel's own spread (1/12), not zero.
    result[label] = Math.sqrt((half + spread) / Math.max(half - spread, 1 / 12));
  }
  return result;
}

/**
 * Drops the off-bar pieces that are neither bar-like nor panel-sized: for a finish the
 * background has as much as the band, what the model took between the bars in that colour is
 * what shows through the frame (a motorcycle's dark parts behind a bronze pergola).
 */
function dropBlobs(solid: Uint8Array, w: number, h: number) {
  const bars = straightBarPixels(solid, w, h);
  const off = new Uint8Array(w * h);
  for (let k = 0; k < off.length; k++) off[k] = solid[k] && !bars[k] ? 1 : 0;
  const { labels, sizes } = labelComponents(off, w);
  const elongation = elongations(labels, sizes, w);
  for (let k = 0; k < off.length; k++) {
    const label = labels[k];
    if (label && elongation[label] < BAR_ELONGATION && sizes[label] < PANEL_MIN_SHARE * w * h) solid[k] = 0;
  }
}

/** A doubtful piece (see pickFinish) with a square this many px from its centre to its side wholly inside it is no thin bar's mixed edge. */
const THICK_RADIUS = 2;

/**
 * Drops the pieces of doubtful pixels that are thick somewhere: the background the model
 * filled in between bars, in a colour a wood grain's spread reaches. A thin bar's pixels
 * mixed with such a background are doubtful too, but only a line a few pixels wide.
 */
function dropThickDoubtful(solid: Uint8Array, doubtful: Uint8Array, w: number, h: number) {
  const outside = new Uint8Array(w * h);
  for (let k = 0; k < outside.length; k++) outside[k] = doubtful[k] ^ 1;
  const near = dilate(outside, w, h, THICK_RADIUS);
  const { labels, sizes } = labelComponents(doubtful, w);
  const thick = new Uint8Array(sizes.length);
  for (let k = 0; k < near.length; k++) if (!near[k] && labels[k]) thick[labels[k]] = 1;
  for (let k = 0; k < solid.length; k++) if (thick[labels[k]]) solid[k] = 0;
}

/**
 * Drops the pieces that only their straight bars keep (see pickFinish) where the finish's
 * colour, left by the model, carries on across the box's edge for at least the band's depth:
 * a floor or a wall of the frame's colour running through the box, not a bar, which ends
 * inside the box (or, cut by a box drawn too tight, is the model's outside it).
 */
function dropCrossingBars(rgb: RawImage, box: BoundingBox, model: AlphaMask, finish: ColorModel, solid: Uint8Array, barOnly: Uint8Array) {
  const { width, height, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const { labels, sizes } = labelComponents(barOnly, w);
  const crossing = new Float64Array(sizes.length);
  const outsideIsFinish = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return false;
    const o = (y * width + x) * channels;
    return model.data[y * width + x] < SUBJECT_ALPHA && distance2(finish, data[o], data[o + 1], data[o + 2]) <= FINISH_D2;
  };
  const count = (x: number, y: number, ox: number, oy: number) => {
    const label = labels[y * w + x];
    if (label && outsideIsFinish(box.x + ox, box.y + oy)) crossing[label]++;
  };
  for (let x = 0; x < w; x++) {
    count(x, 0, x, -1);
    count(x, h - 1, x, h);
  }
  for (let y = 0; y < h; y++) {
    count(0, y, -1, y);
    count(w - 1, y, w, y);
  }
  const depth = bandDepth(box);
  for (let k = 0; k < solid.length; k++) if (labels[k] && crossing[labels[k]] >= depth) solid[k] = 0;
}

/** Streaks of another colour narrower than twice this (px) inside a panel of the finish are its texture (wood grain, a seam), not a gap. */
const GRAIN_RADIUS = 2;

/**
 * Fills the narrow streaks of a panel (a door's kick plate, a solid infill) that the model
 * holds opaque: the dark lines of a wood grain are not the finish's colour, but nothing shows
 * through a line two pixels wide inside a panel the model calls solid. Only inside panels
 * (panels.ts): between a pergola's close slats or at a brace's corner a narrow gap is real.
 */
function fillGrain(solid: Uint8Array, w: number, h: number, modelHas: (k: number) => boolean) {
  const grown = dilate(solid, w, h, GRAIN_RADIUS);
  for (let k = 0; k < grown.length; k++) grown[k] ^= 1;
  const outside = dilate(grown, w, h, GRAIN_RADIUS);
  const candidate = new Uint8Array(w * h);
  for (let k = 0; k < solid.length; k++) candidate[k] = solid[k] || (!outside[k] && modelHas(k)) ? 1 : 0;
  const panels = panelPixels(candidate, w, h);
  for (let k = 0; k < solid.length; k++) if (panels[k]) solid[k] = 1;
}

/** Share of `part`'s set pixels that `whole` has set too. */
function containedShare(part: Uint8Array, whole: Uint8Array): number {
  let set = 0;
  let both = 0;
  for (let k = 0; k < part.length; k++) {
    set += part[k];
    both += part[k] & whole[k];
  }
  return set ? both / set : 0;
}

/** Share of a box-local binary map that is set. */
function coverOf(solid: Uint8Array): number {
  let set = 0;
  for (let k = 0; k < solid.length; k++) set += solid[k];
  return set / Math.max(1, solid.length);
}

/** Share of a box-local matte's pixels that lie on straight bars. */
function barShare(solid: Uint8Array, w: number, h: number): number {
  const bars = straightBarPixels(solid, w, h);
  let on = 0;
  let all = 0;
  for (let i = 0; i < solid.length; i++) {
    if (!solid[i]) continue;
    all++;
    on += bars[i];
  }
  return all ? on / all : 0;
}

/**
 * The matte of a framed product (windows, doors, trellis, railings, pergolas: the box hint
 * with Framed Product) from its finish. A frame is one material: its colours, shaded, are a
 * compact cloud, and the box's band holds them (see boxPrior.ts). What shows through the
 * frame (a person, a plant, a cat, glass reflections) is another colour, so it is
 * background, whatever a salient-object model made of it. Where the background has the
 * finish's colour too (wood over a wooden table), the model decides. At the frame's edges
 * and on bars a pixel or two wide, each pixel is a mix of the finish and the background
 * beside it: alpha is how far its colour lies from the local background towards the local
 * finish, so thin bars stay opaque where they are solid and the gaps between them clear.
 */

/** Squared Mahalanobis distance under which a colour is the finish's (3 sigma). */
export const FINISH_D2 = 9;
/** A finish colour this common in the ring outside the box is the background's as well. */
const COMMON_IN_RING = 0.02;
/**
 * Off the straight bars, a colour the background shares and the model took is doubtful
 * beyond 2 sigma of the finish: a wood grain's spread reaches the olive of foliage at 3 sigma
 * (bench:frames railing 8003), the finish's own pixels lie within 2 (see dropThickDoubtful).
 */
const SHARED_COLOR_D2 = 4;
/** IoU with the model's matte under which a finish's matte is something else (see matteByFinish). */
const MIN_OVERLAP = 0.05;
/** A box less its margin narrower than this (px) has no band and inside to tell apart. */
const MIN_INNER_SIDE = 24;
/** A finish this many times commoner in the band than in the ring is the product's even where the model missed it: the box was drawn around it. */
const OWN_COLOR_LIFT = 20;
/** A finish this many times commoner in the band (relative to the ring) than every other finish is the product's, whatever its shape. */
const LIFT_DOMINANCE = 10;
/** IoU with the model's matte from which a finish's matte is the model's own product (see pickBest). */
const MODEL_AGREES = 0.9;
/** A finish is at least this much commoner in the band than in the ring (see lift). */
const MIN_LIFT = 1.5;

/** Per-channel spread never assumed tighter than this (8-bit levels): noise and JPEG. */
const MIN_SIGMA = 6;
/** Finish and background closer than this (8-bit levels) cannot be told apart by colour. */
const MIN_CONTRAST = 28;
/**
 * A frame's members cover at least this share of a box drawn around it (the thinnest seen:
 * a railing of 2 px balusters, 12 %). A finish matte covering less took a scatter of the
 * background's specks (bench:frames: every one under 8 % was worse than the model's matte).
 */
const MIN_FINISH_COVER = 0.1;
/**
 * Under MIN_FINISH_COVER, a finish matte lying at least this much on straight bars is a thin
 * frame, not specks (railings of 2.2-2.6 px balusters: 0.56-0.77 of their mattes on bars, a
 * scatter of specks or a fruit seen through the glass under 0.45)...
 */
const THIN_FRAME_BARS = 0.5;
/** ...down to this cover (a railing's 2 px balusters every 30 px: 7 %). */
const THIN_FRAME_COVER = 0.05;
/**
 * IoU with the model's matte from which a finish no commoner in the band than outside is the
 * frame the model took, when no lifted finish frames the box: the lifted colour was what shows
 * through the glass (a wood door over a fruit of the wood's own shade: 0.67-0.72 against a
 * butterfly's black, the model having taken the butterfly, 0.48).
 */
const MODEL_SHARES = 0.6;
/**
 * A finish no commoner in the band than outside the box whose matte lies at least this much
 * on straight bars is the frame by its shape alone (a wood railing over a wood table, 24002:
 * its balusters' brown 0.92 on bars, the table's redder brown the model took 0.16). Lower, a
 * wood pergola's own finish over a crop of wood tones (7006: 0.71, its matte 0.53 against the
 * truth) would replace a better cut-out from the model (0.90).
 */
const FRAME_BY_SHAPE = 0.8;
/** A mixed pixel lies within this share of the finish-background distance off the line between them. */
const MAX_OFF_LINE = 0.5;

export interface FinishMatte {
  alpha: AlphaMask;
  /** The finish's mean colour. */
  finish: [number, number, number];
}

export interface ColorModel {
  mean: [number, number, number];
  /** Inverse covariance, row-major 3x3. */
  inverse: number[];
}

export function fitColor(rgb: RawImage, members: (i: number) => boolean, box: BoundingBox, previous?: ColorModel): ColorModel | undefined {
  const { width, channels, data } = rgb;
  const sum = [0, 0, 0];
  const products = [0, 0, 0, 0, 0, 0];
  let n = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * width + x;
      if (!members(i)) continue;
      const o = i * channels;
      const r = data[o];
      const g = data[o + 1];
      const b = data[o + 2];
      if (previous && distance2(previous, r, g, b) > FINISH_D2) continue;
      sum[0] += r;
      sum[1] += g;
      sum[2] += b;
      products[0] += r * r;
      products[1] += r * g;
      products[2] += r * b;
      products[3] += g * g;
      products[4] += g * b;
      products[5] += b * b;
      n++;
    }
  }
  if (n < 16) return undefined;
  const m = sum.map((v) => v / n) as [number, number, number];
  const floor = MIN_SIGMA * MIN_SIGMA;
  const c = [
    products[0] / n - m[0] * m[0] + floor,
    products[1] / n - m[0] * m[1],
    products[2] / n - m[0] * m[2],
    products[3] / n - m[1] * m[1] + floor,
    products[4] / n - m[1] * m[2],
    products[5] / n - m[2] * m[2] + floor,
  ];
  // Symmetric 3x3 inverse by cofactors.
  const [a, b, d, e, f, k] = c; // [a b d; b e f; d f k]
  const det = a * (e * k - f * f) - b * (b * k - f * d) + d * (b * f - e * d);
  if (!(det > 0)) return undefined;
  const inverse = [e * k - f * f, d * f - b * k, b * f - d * e, d * f - b * k, a * k - d * d, b * d - a * f, b * f - d * e, b * d - a * f, a * e - b * b].map(
    (v) => v / det,
  );
  return { mean: m, inverse };
}

function distance2(model: ColorModel, r: number, g: number, b: number): number {
  const dr = r - model.mean[0];
  const dg = g - model.mean[1];
  const db = b - model.mean[2];
  const q = model.inverse;
  return dr * (q[0] * dr + q[1] * dg + q[2] * db) + dg * (q[3] * dr + q[4] * dg + q[5] * db) + db * (q[6] * dr + q[7] * dg + q[8] * db);
}

/** A finish lit or shaded is its colour scaled by up to these factors: one material, members facing the light differently (a railing's lit balusters under its rails). */
const SHADE_MIN = 0.75;
const SHADE_MAX = 1.35;

/** Squared distance of a colour to the finish scaled by the brightness that fits it best (within SHADE_MIN..SHADE_MAX). */
export function shadeDistance2(model: ColorModel, r: number, g: number, b: number): number {
  const q = model.inverse;
  const [mr, mg, mb] = model.mean;
  // Least squares under the finish's metric: s = (m' Q c) / (m' Q m).
  const qr = q[0] * mr + q[1] * mg + q[2] * mb;
  const qg = q[3] * mr + q[4] * mg + q[5] * mb;
  const qb = q[6] * mr + q[7] * mg + q[8] * mb;
  const s = Math.max(SHADE_MIN, Math.min(SHADE_MAX, (qr * r + qg * g + qb * b) / (qr * mr + qg * mg + qb * mb)));
  const dr = r - s * mr;
  const dg = g - s * mg;
  const db = b - s * mb;
  return dr * (q[0] * dr + q[1] * dg + q[2] * db) + dg * (q[3] * dr + q[4] * dg + q[5] * db) + db * (q[6] * dr + q[7] * dg + q[8] * db);
}

/** Box-local mean colours of the pixels `weight` marks, over (2 radius + 1)^2 windows (sums and weights, divide to use). */
export function localMeans(rgb: RawImage, box: BoundingBox, weight: Uint8Array, radius: number) {
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const sums = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  const weights = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!weight[k]) continue;
      const o = ((box.y + y) * width + box.x + x) * channels;
      weights[k] = 1;
      for (let c = 0; c < 3; c++) sums[c][k] = data[o + c];
    }
  }
  const scratch = new Float32Array(w * h);
  boxBlur(weights, w, h, radius, scratch);
  for (const s of sums) boxBlur(s, w, h, radius, scratch);
  return { sums, weights };
}

/** What a box-local binary matte's edges separate: its pixels' own colours inside, the rest outside. */
interface EdgeModel {
  solid: Uint8Array;
  /** Within 1 px of the matte: where a pixel can mix the finish and the background. */
  edge: Uint8Array;
  /** Pixels whose 4 neighbours are all in the matte. */
  interior: Uint8Array;
  fore: ReturnType<typeof localMeans>;
  back: ReturnType<typeof localMeans>;
}

function edgeModel(rgb: RawImage, box: BoundingBox, solid: Uint8Array): EdgeModel {
  const w = box.width;
  const h = box.height;
  const edge = dilate(solid, w, h, 1);
  const interior = new Uint8Array(w * h);
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      interior[i] = solid[i] && solid[i - 1] && solid[i + 1] && solid[i - w] && solid[i + w] ? 1 : 0;
    }
  const clear = new Uint8Array(w * h);
  for (let i = 0; i < clear.length; i++) clear[i] = edge[i] ? 0 : 1;
  const fore = localMeans(rgb, box, interior, 4);
  const back = localMeans(rgb, box, clear, 6);
  return { solid, edge, interior, fore, back };
}

export interface FinishCandidate {
  finish: ColorModel;
  model: EdgeModel;
  /** How much commoner the finish's colour is in the band than in the ring outside the box: a product's is, a background's is not. */
  lift: number;
  /** Share of the matte's pixels on straight bars (straightBars.ts): a frame is made of them, a blob of its colour is not. */
  barShare: number;
}

/** Share of the band's pixels of the finish's colour over the ring's share (the ring: as deep as the band, outside the box). */
function lift(rgb: RawImage, box: BoundingBox, depth: number, finish: ColorModel): number {
  const { width, height, channels, data } = rgb;
  let band = 0;
  let bandAll = 0;
  let ring = 0;
  let ringAll = 0;
  visitBandAndRing(width, height, box, depth, (i, inBand) => {
    const o = i * channels;
    const hit = distance2(finish, data[o], data[o + 1], data[o + 2]) <= FINISH_D2 ? 1 : 0;
    if (inBand) {
      band += hit;
      bandAll++;
    } else {
      ring += hit;
      ringAll++;
    }
  });
  // A ring cut off by the photo's edge counts as clear of the finish.
  return band / Math.max(1, bandAll) / Math.max(ring / Math.max(1, ringAll), RING_SHARE_FLOOR);
}

/** Ring shares under this are counted as this: a colour absent from the ring is not infinitely the product's. */
const RING_SHARE_FLOOR = 0.002;

/** 4096 colour bins, 4 bits a channel: fine enough to tell a finish from a background close to it. */
const fineBin = (data: Buffer | Uint8Array, o: number) => ((data[o] >> 4) << 8) | ((data[o + 1] >> 4) << 4) | (data[o + 2] >> 4);

/** Fine bins (see fineBin) each way around a mode that count toward it: a shaded finish spans a few. */
const MODE_REACH = 1;
/** Fine bins each way around a mode cleared before the next mode is looked for: the same finish, shaded, lies within. */
const MODE_EXCLUSION = 2;

/** Weighted counts of the box's pixels in fine bins. */
function fineHistogram(rgb: RawImage, box: BoundingBox, weightOf: (i: number) => number): Float64Array {
  const { width, channels, data } = rgb;
  const histogram = new Float64Array(4096);
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * width + x;
      const weight = weightOf(i);
      if (weight > 0) histogram[fineBin(data, i * channels)] += weight;
    }
  return histogram;
}

/** Calls `visit` with each fine bin within `reach` bins of `bin` on every channel. */
function forBinsAround(bin: number, reach: number, visit: (near: number) => void): void {
  const r = bin >> 8;
  const g = (bin >> 4) & 15;
  const b = bin & 15;
  for (let nr = Math.max(0, r - reach); nr <= Math.min(15, r + reach); nr++)
    for (let ng = Math.max(0, g - reach); ng <= Math.min(15, g + reach); ng++)
      for (let nb = Math.max(0, b - reach); nb <= Math.min(15, b + reach); nb++) visit((nr << 8) | (ng << 4) | nb);
}

/** The densest fine bin, counting its neighbours; -1 when the histogram is empty. */
function densestBin(histogram: Float64Array): number {
  let mode = -1;
  let best = 0;
  for (let bin = 0; bin < 4096; bin++) {
    if (!histogram[bin]) continue;
    let sum = 0;
    forBinsAround(bin, MODE_REACH, (near) => (sum += histogram[near]));
    if (sum > best) {
      best = sum;
      mode = bin;
    }
  }
  return mode;
}

/** A colour model of the weighted pixels around a fine bin's colour. */
function finishAround(rgb: RawImage, box: BoundingBox, weightOf: (i: number) => number, mode: number): ColorModel | undefined {
  const { channels, data } = rgb;
  const centre = [((mode >> 8) << 4) + 8, (((mode >> 4) & 15) << 4) + 8, ((mode & 15) << 4) + 8];
  const seed = (i: number) => {
    if (weightOf(i) <= 0) return false;
    const o = i * channels;
    return Math.abs(data[o] - centre[0]) <= 24 && Math.abs(data[o + 1] - centre[1]) <= 24 && Math.abs(data[o + 2] - centre[2]) <= 24;
  };
  const first = fitColor(rgb, seed, box);
  return first && fitColor(rgb, seed, box, first);
}

/**
 * The finishes the weighted pixels of the box have most of, densest first, at most `count`:
 * the densest fine bin (counting its neighbours), a colour model of the pixels around it,
 * then the same without that colour's bins.
 */
function dominantFinishes(rgb: RawImage, box: BoundingBox, weightOf: (i: number) => number, count: number): ColorModel[] {
  const histogram = fineHistogram(rgb, box, weightOf);
  const finishes: ColorModel[] = [];
  while (finishes.length < count) {
    const mode = densestBin(histogram);
    if (mode < 0) break;
    const finish = finishAround(rgb, box, weightOf, mode);
    if (finish) finishes.push(finish);
    forBinsAround(mode, MODE_EXCLUSION, (near) => (histogram[near] = 0));
  }
  return finishes;
}

/** The band's rarest-outside colours tried as finishes (see finishCandidates). */
const RARE_FINISHES = 3;

/**
 * The finishes the product may have, each with its matte: the colour the model's matte holds
 * most of (its band pixels counted thrice: a frame's outside is there, what shows through it
 * is not), and the band's own colour (common in the band, rare in the ring: for a model that
 * missed the frame). Each finish's matte is the box's pixels of that colour that hold together.
 */
export function finishCandidates(rgb: RawImage, box: BoundingBox, model: AlphaMask, colors: BoxColors): FinishCandidate[] {
  const { ringShare, productish } = colors;
  if (!ringShare || !productish) return [];
  const { width, channels, data } = rgb;
  const depthBand = bandDepth(box);
  const inBand = (i: number) => {
    const x = (i % width) - box.x;
    const y = Math.floor(i / width) - box.y;
    return Math.min(x, y, box.width - 1 - x, box.height - 1 - y) < depthBand;
  };
  const bandOwn = (i: number) => inBand(i) && productish[colorBin(data, i, channels)] === 1;
  // The band's rarest-outside colours: a thin frame's finish is a small share of the band,
  // outnumbered there by what shows through it, but all but absent from the ring; another
  // colour the ring lacks (a leaf's, boxed with it) can be denser.
  const [rarest, ...rare] = dominantFinishes(
    rgb,
    box,
    (i) => (bandOwn(i) ? 1 / Math.max(ringShare[colorBin(data, i, channels)], RING_SHARE_FLOOR) : 0),
    RARE_FINISHES,
  );
  const finishes = [
    ...dominantFinishes(rgb, box, (i) => (model.data[i] >= SUBJECT_ALPHA ? (inBand(i) ? 3 : 1) : 0), 1),
    ...dominantFinishes(rgb, box, (i) => (bandOwn(i) ? 1 : 0), 1),
    ...(rarest ? [rarest] : []),
  ];
  // The next rare colours only when they are no shade of a finish already found (a grey door's
  // shadowed side, on its straight stiles, would win over the door by its bars).
  for (const finish of rare) if (!finishes.some((f) => distance2(f, finish.mean[0], finish.mean[1], finish.mean[2]) <= FINISH_D2)) finishes.push(finish);
  const candidates: FinishCandidate[] = [];
  for (const finish of finishes) {
    if (candidates.some((c) => distance2(c.finish, finish.mean[0], finish.mean[1], finish.mean[2]) < 1)) continue;
    const picked = pickFinish(rgb, box, model, finish, ringShare);
    if (picked) candidates.push({ finish, ...picked, lift: lift(rgb, box, depthBand, finish), barShare: barShare(picked.model.solid, box.width, box.height) });
  }
  return candidates;
}

/**
 * The product is what holds together (across gaps of a pixel: thin bars break up): pieces
 * touching the box's band (`depth` deep), or large ones; the others are dropped from `solid`.
 * Returns the extent of what is kept.
 */
export function keepHeldTogether(solid: Uint8Array, w: number, h: number, depth: number): { width: number; height: number } {
  const { labels, sizes } = labelComponents(dilate(solid, w, h, 1), w);
  const touches = new Uint8Array(sizes.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const label = labels[y * w + x];
      if (label && Math.min(x, y, w - 1 - x, h - 1 - y) < depth) touches[label] = 1;
    }
  }
  const total = sizes.reduce((s, v) => s + v, 0);
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < solid.length; i++) {
    if (!solid[i]) continue;
    const label = labels[i];
    if (!touches[label] && sizes[label] < 0.01 * total) {
      solid[i] = 0;
      continue;
    }
    const x = i % w;
    const y = (i - x) / w;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The box's pixels of the finish's colour that hold together with the band. Where the ring
 * outside the box has the colour too, a pixel is the frame's when it lies on a straight bar
 * of that colour (straightBars.ts: the outline is kept over a background of the frame's
 * colour), else when the model took it, unless it is part of a thick doubtful piece.
 */
function pickFinish(
  rgb: RawImage,
  box: BoundingBox,
  model: AlphaMask,
  finish: ColorModel,
  ringShare: Float64Array,
): Omit<FinishCandidate, 'finish' | 'lift' | 'barShare'> | undefined {
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const colored = new Uint8Array(w * h);
  const near = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((box.y + y) * width + box.x + x) * channels;
      const d2 = distance2(finish, data[o], data[o + 1], data[o + 2]);
      if (d2 <= FINISH_D2) colored[y * w + x] = 1;
      if (d2 <= SHARED_COLOR_D2) near[y * w + x] = 1;
    }
  }
  // Where the background has the finish's colour too, a straight bar of it is the frame's.
  const bars = straightBarPixels(colored, w, h);
  const solid = new Uint8Array(w * h);
  /** Off-bar pixels of a colour the background shares, held by the model, not close to the finish. */
  const doubtful = new Uint8Array(w * h);
  /** Pixels of a colour the background shares that only their straight bar keeps (the model left them). */
  const barOnly = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!colored[k]) continue;
      const i = (box.y + y) * width + box.x + x;
      const shared = ringShare[colorBin(data, i, channels)] >= COMMON_IN_RING;
      if (shared && !bars[k]) {
        if (model.data[i] < SUBJECT_ALPHA) continue;
        if (!near[k]) doubtful[k] = 1;
      }
      if (shared && bars[k] && model.data[i] < SUBJECT_ALPHA) barOnly[k] = 1;
      solid[k] = 1;
    }
  }
  dropThickDoubtful(solid, doubtful, w, h);
  dropCrossingBars(rgb, box, model, finish, solid, barOnly);
  const span = keepHeldTogether(solid, w, h, bandDepth(box));
  // A box is drawn around the product: its matte spans most of the box both ways.
  if (span.width < 0.75 * w || span.height < 0.75 * h) return undefined;
  const modelHas = (k: number) => model.data[(box.y + Math.floor(k / w)) * width + box.x + (k % w)] >= SUBJECT_ALPHA;
  // Mostly panels the model calls background: the finish's colour is the background's here.
  if (unbackedPanelShare(solid, w, h, modelHas) > MAX_UNBACKED_PANELS) return undefined;
  dropStrayPieces(solid, w, h, modelHas);
  fillGrain(solid, w, h, modelHas);
  return { model: edgeModel(rgb, box, solid) };
}

/**
 * The soft matte of a candidate: opaque inside, and on its edges how far each pixel's colour
 * lies from the local background towards the local finish (the finish's mean where a bar is
 * too thin to have an inside of its own).
 */
function softMatte(rgb: RawImage, box: BoundingBox, model: AlphaMask, finish: ColorModel, edges: EdgeModel): AlphaMask {
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const { solid, edge, interior, fore, back } = edges;
  const out = Buffer.alloc(width * rgb.height);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      const i = (box.y + y) * width + box.x + x;
      if (interior[k]) {
        out[i] = 255;
        continue;
      }
      if (!edge[k]) continue;
      const fw = fore.weights[k];
      const bw = back.weights[k];
      if (bw < 1e-4) {
        out[i] = solid[k] ? 255 : 0;
        continue;
      }
      const o = i * channels;
      let dot = 0;
      let length2 = 0;
      let away2 = 0;
      for (let c = 0; c < 3; c++) {
        const f = fw < 1e-4 ? finish.mean[c] : fore.sums[c][k] / fw;
        const b = back.sums[c][k] / bw;
        dot += (data[o + c] - b) * (f - b);
        length2 += (f - b) * (f - b);
        away2 += (data[o + c] - b) ** 2;
      }
      if (length2 < MIN_CONTRAST * MIN_CONTRAST) {
        out[i] = solid[k] ? 255 : model.data[i];
        continue;
      }
      // A colour far off the line from background to finish is no mix of the two: the
      // background behind it is not the one beside it (a bar in front of a colour edge).
      const off2 = away2 - (dot * dot) / length2;
      if (off2 > Math.max(MIN_CONTRAST * MIN_CONTRAST, MAX_OFF_LINE * MAX_OFF_LINE * length2)) out[i] = solid[k] ? 255 : 0;
      else out[i] = Math.round(255 * Math.max(0, Math.min(1, dot / length2)));
    }
  }
  return { data: out, width, height: rgb.height };
}

/**
 * Of the plausible finishes: those commoner in the band than outside the box; of them one whose
 * matte the model's agrees with (MODEL_AGREES), else the one far commoner there than any other
 * (LIFT_DOMINANCE), else the one lying most on straight bars.
 * Without any, a colour no commoner in the band than outside is a frame's only by its shape:
 * one lying almost wholly on straight bars (FRAME_BY_SHAPE), covering a tenth of the box and
 * leaving most of it open; else the one with the highest lift if its matte leaves most of the
 * box open.
 */
function pickBest(plausible: FinishCandidate[], agreement: (c: FinishCandidate) => number): FinishCandidate | undefined {
  const lifted = plausible.filter((c) => c.lift >= MIN_LIFT).sort((a, b) => b.lift - a.lift);
  if (lifted.length === 0) {
    // Its matte must leave most of the box open, as a frame does: the olive between a railing's
    // close balusters, which the model filled, covers 0.66 of its box (bench:frames railing 9004).
    const open = plausible.filter((c) => coverOf(c.model.solid) <= MAX_FRAME_FILL);
    const barred = open.filter((c) => c.barShare >= FRAME_BY_SHAPE && coverOf(c.model.solid) >= MIN_FINISH_COVER);
    if (barred.length > 0) return barred.reduce((a, b) => (b.barShare > a.barShare ? b : a));
    const best = plausible.reduce((a, b) => (b.lift > a.lift ? b : a));
    return coverOf(best.model.solid) <= MAX_FRAME_FILL ? best : undefined;
  }
  // A matte covering under a tenth of the box is no frame (MIN_FINISH_COVER): it cannot win by
  // its bars over the frame's own finish (a white pergola's highlights on a sweep); when no
  // other lifted finish is left, only a thin frame or the model's own can be (see there).
  const framing = lifted.filter((c) => coverOf(c.model.solid) >= MIN_FINISH_COVER);
  if (framing.length === 0) return thinOrUnliftedFrame(plausible, lifted, agreement);
  // A finish whose matte is the model's own and holds the most lifted one's: the same material
  // seen wider, and two views agree on it (a two-tone finish, lit and shaded slats, against the
  // lit side alone, far rarer outside the box). Not one that agrees with the model only because
  // the model took what lies behind the frame: its matte leaves the frame's own finish out.
  const agreed = framing.find((c) => agreement(c) >= MODEL_AGREES && containedShare(lifted[0].model.solid, c.model.solid) >= MODEL_AGREES);
  if (agreed) return agreed;
  if (framing.length === 1 || framing[0].lift >= LIFT_DOMINANCE * framing[1].lift) return framing[0];
  return framing.reduce((a, b) => (b.barShare > a.barShare ? b : a));
}

/**
 * A finish matte of a thin frame under MIN_FINISH_COVER: lifted, on straight bars. A last
 * resort's (no commoner in the band) thin lines are as likely the background's (bench:frames
 * trellis 12001: wood grain behind a trellis, 0.141 -> 0.048 if taken).
 */
const isThinFrame = (c: FinishCandidate) => c.lift >= MIN_LIFT && c.barShare >= THIN_FRAME_BARS && coverOf(c.model.solid) >= THIN_FRAME_COVER;

/**
 * When no lifted finish covers a tenth of the box: a lifted one on straight bars is a thin
 * frame (balusters of 2-3 px); else an unlifted one whose matte the model's shares
 * (MODEL_SHARES) and that leaves most of the box open is the frame, the lifted colour being
 * what shows through its glass; else none (no scatter of specks, no last resort).
 */
function thinOrUnliftedFrame(plausible: FinishCandidate[], lifted: FinishCandidate[], agreement: (c: FinishCandidate) => number): FinishCandidate | undefined {
  const thin = lifted.filter(isThinFrame);
  if (thin.length > 0) return thin.reduce((a, b) => (b.barShare > a.barShare ? b : a));
  const shared = plausible.filter((c) => c.lift < MIN_LIFT && agreement(c) >= MODEL_SHARES && coverOf(c.model.solid) <= MAX_FRAME_FILL);
  return shared.length > 0 ? shared.reduce((a, b) => (agreement(b) > agreement(a) ? b : a)) : undefined;
}

/**
 * The framed product's matte inside the box, from the box's colours and the model's matte:
 * of the finishes found (finishCandidates) whose matte shares something with the model's,
 * those commoner in the band than outside the box (a product's colour), and of them the one
 * whose matte lies most on straight bars (a frame is made of bars; a shadow or a pot of
 * another colour is not); undefined when none (then the model's matte stands). A box drawn
 * loosely is searched again inside its margin (finishInLooseBox) when no finish commoner in
 * the band than outside was found: what that finds is the frame's own colour.
 */
export function matteByFinish(rgb: RawImage, box: BoundingBox, model: AlphaMask, colors: BoxColors): FinishMatte | undefined {
  const whole = finishInBox(rgb, box, model, colors, 0);
  if (whole?.lifted) return whole.matte;
  return finishInLooseBox(rgb, box, model)?.matte ?? whole?.matte;
}

/**
 * A box drawn with a margin as deep as its band has only background there, so no colour is
 * the band's own. The same search in the box less that margin, believed only when the finish
 * found is all but absent from the margin (OWN_COLOR_LIFT): else the margin held the frame's
 * outer bars and the inner box would cut them off.
 */
function finishInLooseBox(rgb: RawImage, box: BoundingBox, model: AlphaMask): FoundFinish | undefined {
  const margin = bandDepth(box);
  const inner = { x: box.x + margin, y: box.y + margin, width: box.width - 2 * margin, height: box.height - 2 * margin };
  if (Math.min(inner.width, inner.height) < MIN_INNER_SIDE) return undefined;
  return finishInBox(rgb, inner, model, boxColorPrior(rgb, inner), OWN_COLOR_LIFT);
}

/** Width and height of each labelled piece's bounding box (index: label). */
function extents(labels: Int32Array, count: number, w: number): { width: Int32Array; height: Int32Array } {
  const x0 = new Int32Array(count).fill(w);
  const x1 = new Int32Array(count).fill(-1);
  const y0 = new Int32Array(count).fill(labels.length);
  const y1 = new Int32Array(count).fill(-1);
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    if (!label) continue;
    const x = k % w;
    const y = (k - x) / w;
    if (x < x0[label]) x0[label] = x;
    if (x > x1[label]) x1[label] = x;
    if (y < y0[label]) y0[label] = y;
    if (y > y1[label]) y1[label] = y;
  }
  const width = new Int32Array(count);
  const height = new Int32Array(count);
  for (let label = 1; label < count; label++) {
    width[label] = x1[label] - x0[label] + 1;
    height[label] = y1[label] - y0[label] + 1;
  }
  return { width, height };
}

/** The box's pixels of the finish's colour or one of its shades (`both`), and those of a shade only (`shaded`, see shadeDistance2). */
function shadeMaps(rgb: RawImage, box: BoundingBox, finish: ColorModel): { both: Uint8Array; shaded: Uint8Array; shades: number } {
  const { width, channels, data } = rgb;
  const w = box.width;
  const both = new Uint8Array(w * box.height);
  const shaded = new Uint8Array(w * box.height);
  let shades = 0;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((box.y + y) * width + box.x + x) * channels;
      if (distance2(finish, data[o], data[o + 1], data[o + 2]) <= FINISH_D2) both[y * w + x] = 1;
      else if (shadeDistance2(finish, data[o], data[o + 1], data[o + 2]) <= FINISH_D2) {
        both[y * w + x] = 1;
        shaded[y * w + x] = 1;
        shades++;
      }
    }
  }
  return { both, shaded, shades };
}

/**
 * Of the pieces of `added` (box-local, w x h), those that are members of the frame `solid`:
 * joined to it (a baluster hangs from its rails: a straight edge of a shade behind the frame,
 * a glass's rim behind a pergola (9003), stands apart), long (BAR_MIN_LENGTH of the box's side)
 * and thin (BAR_ELONGATION: a streak of the background beside a bar is on the bar's line but no
 * bar, tuning trellis 1; a pale door seen through a grey one's pane is wide, 11005), and off
 * the box's edge (a member lies inside the frame's outline; a strip of a pale wall in a white
 * door's box margin does not, 10001).
 */
function memberPieces(added: Uint8Array, solid: Uint8Array, w: number, h: number): Uint8Array {
  const { labels, sizes } = labelComponents(dilate(added, w, h, 1), w);
  const member = new Uint8Array(sizes.length);
  for (let k = 0; k < added.length; k++) if (solid[k] && labels[k]) member[labels[k]] = 1;
  const extent = extents(labels, sizes.length, w);
  const elongation = elongations(labels, sizes, w);
  for (let label = 1; label < sizes.length; label++) {
    const long = extent.width[label] >= BAR_MIN_LENGTH * w || extent.height[label] >= BAR_MIN_LENGTH * h;
    if (!long || elongation[label] < BAR_ELONGATION) member[label] = 0;
  }
  for (let x = 0; x < w; x++) member[labels[x]] = member[labels[(h - 1) * w + x]] = 0;
  for (let y = 0; y < h; y++) member[labels[y * w]] = member[labels[y * w + w - 1]] = 0;
  const members = new Uint8Array(added.length);
  for (let k = 0; k < added.length; k++) if (added[k] && member[labels[k]]) members[k] = 1;
  return members;
}

/**
 * The chosen finish's matte with its lit or shaded members (the finish's colour scaled, see
 * shadeDistance2) where they lie on straight bars and are rare outside the box, as members
 * (memberPieces): a member facing the light (a railing's balusters, lighter than its rails) is
 * the same material. After the choice: a lit shade on the frame's straight outer bars must not
 * outvote, by its bars, the finish of a diagonal lattice (bench:frames trellis 9005).
 */
function withShadedBars(rgb: RawImage, box: BoundingBox, ringShare: Float64Array, finish: ColorModel, edges: EdgeModel): EdgeModel {
  const { width, channels, data } = rgb;
  const w = box.width;
  const h = box.height;
  const { both, shaded, shades } = shadeMaps(rgb, box, finish);
  if (shades === 0) return edges;
  // On a straight bar of the finish with its shades, or of the shades alone: lit balusters
  // over a background of the finish's colour merge with it into no bar (7003).
  const bars = straightBarPixels(both, w, h);
  const shadeBars = straightBarPixels(shaded, w, h);
  const added = new Uint8Array(w * h);
  let count = 0;
  for (let k = 0; k < added.length; k++) {
    if (!shaded[k] || !(bars[k] || shadeBars[k]) || edges.solid[k]) continue;
    const i = (box.y + Math.floor(k / w)) * width + box.x + (k % w);
    if (ringShare[colorBin(data, i, channels)] < COMMON_IN_RING) {
      added[k] = 1;
      count++;
    }
  }
  if (count === 0) return edges;
  const members = memberPieces(added, edges.solid, w, h);
  const solid = Uint8Array.from(edges.solid);
  for (let k = 0; k < solid.length; k++) solid[k] |= members[k];
  return edgeModel(rgb, box, solid);
}

/**
 * A last-resort finish's matte (no commoner in the band than outside the box, see pickBest)
 * without its blobs (dropBlobs): such a colour is the frame's only by its shape, so off the
 * straight bars only bar-like pieces and panels are. Applied to the finish chosen, after the
 * choice, so that it does not raise a blob-ridden candidate's share of bars.
 */
function withoutBlobs(rgb: RawImage, box: BoundingBox, edges: EdgeModel): EdgeModel {
  const solid = Uint8Array.from(edges.solid);
  dropBlobs(solid, box.width, box.height);
  return edgeModel(rgb, box, solid);
}

interface FoundFinish {
  matte: FinishMatte;
  /** The finish is commoner in the band than outside the box (MIN_LIFT), not a last resort (pickBest). */
  lifted: boolean;
}

function finishInBox(rgb: RawImage, box: BoundingBox, model: AlphaMask, colors: BoxColors, minLift: number): FoundFinish | undefined {
  const candidates = finishCandidates(rgb, box, model, colors).filter((c) => c.lift >= minLift);
  if (candidates.length === 0) return undefined;
  // A matte with nothing in common with the model's took something else of one colour,
  // unless its colour is all but absent outside the box: then the model took something else.
  const own = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) own[y * box.width + x] = model.data[(box.y + y) * rgb.width + box.x + x] >= SUBJECT_ALPHA ? 1 : 0;
  const agreement = new Map(candidates.map((c) => [c, maskIoU(c.model.solid, own, 1)]));
  const plausible = candidates.filter((c) => c.lift >= OWN_COLOR_LIFT || agreement.get(c)! >= MIN_OVERLAP);
  if (plausible.length === 0) return undefined;
  const best = pickBest(plausible, (c) => agreement.get(c)!);
  if (!best || (coverOf(best.model.solid) < MIN_FINISH_COVER && !isThinFrame(best))) return undefined;
  const chosen = best.lift < MIN_LIFT ? withoutBlobs(rgb, box, best.model) : best.model;
  // A last resort left with under a tenth of the box once its blobs are gone is specks, no frame
  // (a butterfly's black behind a white trellis, 22001: a stripe of it, 0.000, the model's 0.26).
  if (chosen !== best.model && coverOf(chosen.solid) < MIN_FINISH_COVER) return undefined;
  const edges = withShadedBars(rgb, box, colors.ringShare!, best.finish, chosen);
  return {
    matte: { alpha: softMatte(rgb, box, model, best.finish, edges), finish: best.finish.mean.map(Math.round) as [number, number, number] },
    lifted: best.lift >= MIN_LIFT,
  };
}
