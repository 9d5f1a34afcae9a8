import type { AlphaMask, RawImage } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { barMap } from './bars';
import { labelComponents } from '../matte/components';
import { maskIoU } from '../matte/confidence';
import { MAX_UNBACKED_PANELS, unbackedPanelShare } from './panels';
import type { BoundingBox } from '../image/types';

/**
 * A box hint says the product fills the box: it reaches the box's edges. Frames (windows,
 * doors, pergolas) are where salient-object models fail: seen through the panes, a cat or a
 * plant is more "salient" than the bars. When the model's mask inside the box does not
 * reach at least three of the box's sides, the product is taken from colour instead: the
 * colours of the band just inside the box that are rare in the ring just outside it are
 * the product's, and the pieces of that colour touching the band are the product.
 */
const BAND = 0.1;
/**
 * The ring outside the box holds at least this many pixels per band pixel (a box at one of
 * the photo's edges keeps about half; a grey pergola boxed edge to edge over the cat kept 9 %,
 * and its finish followed the grey of the wall: bench:frames pergola 10004).
 */
const MIN_RING = 0.2;
/** A side is reached when the mask lies in the band along this share of it. */
const SIDE_REACHED = 0.3;
/** A colour bin is the band's own when it holds more than this share of the band (not a few stray pixels)... */
const PRODUCTISH_MIN_SHARE = 0.002;
/** ...and more than this share of its pixels near the box edge lie inside the band rather than in the ring. */
const PRODUCTISH_BAND_SHARE = 0.8;
/** A piece of the band's own colours is the product's when it lies in the band over this share of the band. */
const PRIOR_MIN_BAND = 0.05;
/** The model and the colour prior disagree under this IoU. */
const PRIOR_DISAGREES = 0.5;
/** A frame leaves most of its box open: a mask filling more than this share of it took the background too. */
export const MAX_FRAME_FILL = 0.6;

/** Sides of the box along which the mask reaches the band for at least 30 % of the side. */
export function sidesReached(mask: AlphaMask, box: BoundingBox): number {
  const depth = bandDepth(box);
  const reach = (length: number, hit: (t: number) => boolean) => {
    let count = 0;
    for (let t = 0; t < length; t++) if (hit(t)) count++;
    return count >= SIDE_REACHED * length;
  };
  const solid = (x: number, y: number) => mask.data[y * mask.width + x] >= SUBJECT_ALPHA;
  const anyAlong = (x0: number, y0: number, dx: number, dy: number) => {
    for (let k = 0; k < depth; k++) if (solid(x0 + dx * k, y0 + dy * k)) return true;
    return false;
  };
  const right = box.x + box.width - 1;
  const bottom = box.y + box.height - 1;
  return [
    reach(box.width, (t) => anyAlong(box.x + t, box.y, 0, 1)),
    reach(box.width, (t) => anyAlong(box.x + t, bottom, 0, -1)),
    reach(box.height, (t) => anyAlong(box.x, box.y + t, 1, 0)),
    reach(box.height, (t) => anyAlong(right, box.y + t, -1, 0)),
  ].filter(Boolean).length;
}

export interface BoxColors {
  /** The product's pieces by colour (see above); undefined when no colour is the band's own. */
  prior?: AlphaMask;
  /** Share of the ring just outside the box in each colour bin (see colorBin): how common a colour is in the background. */
  ringShare?: Float64Array;
  /** Bins (see colorBin) that are the band's own: common in the band, rare outside the box. */
  productish?: Uint8Array;
}

/** The 512 coarse colour bins (3 bits a channel) the box's colours are counted in. */
export function colorBin(data: Buffer | Uint8Array, i: number, channels: number): number {
  const o = i * channels;
  return ((data[o] >> 5) << 6) | ((data[o + 1] >> 5) << 3) | (data[o + 2] >> 5);
}

/** How deep (px) the box's band is. */
export function bandDepth(box: { width: number; height: number }): number {
  return Math.max(2, Math.round(BAND * Math.min(box.width, box.height)));
}

/**
 * Visits each pixel of the box's band (`inBand`: inside, within `depth` of its edges) and of
 * the ring as deep just outside it, within the photo, row by row.
 */
export function visitBandAndRing(width: number, height: number, box: BoundingBox, depth: number, visit: (i: number, inBand: boolean) => void) {
  for (let y = Math.max(0, box.y - depth); y < Math.min(height, box.y + box.height + depth); y++) {
    for (let x = Math.max(0, box.x - depth); x < Math.min(width, box.x + box.width + depth); x++) {
      const inside = x >= box.x && y >= box.y && x < box.x + box.width && y < box.y + box.height;
      if (!inside) visit(y * width + x, false);
      else if (Math.min(x - box.x, y - box.y, box.x + box.width - 1 - x, box.y + box.height - 1 - y) < depth) visit(y * width + x, true);
    }
  }
}

export function boxColorPrior(rgb: RawImage, box: BoundingBox): BoxColors {
  const { width, height, channels } = rgb;
  const depth = bandDepth(box);
  const inside = new Float64Array(512);
  const outside = new Float64Array(512);
  let nIn = 0;
  let nOut = 0;
  visitBandAndRing(width, height, box, depth, (i, inBand) => {
    const b = colorBin(rgb.data, i, channels);
    if (inBand) {
      inside[b]++;
      nIn++;
    } else {
      outside[b]++;
      nOut++;
    }
  });
  // A box reaching the photo's edges on most sides leaves too little ring to tell the
  // background's colours from the product's.
  if (nIn === 0 || nOut < MIN_RING * nIn) return {};
  const ringShare = outside.map((count) => count / nOut);
  const productish = new Uint8Array(512);
  for (let b = 0; b < 512; b++) {
    const pIn = inside[b] / nIn;
    const pOut = outside[b] / nOut;
    if (pIn > PRODUCTISH_MIN_SHARE && pIn / (pIn + pOut) > PRODUCTISH_BAND_SHARE) productish[b] = 1;
  }
  const candidate = new Uint8Array(width * height);
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) if (productish[colorBin(rgb.data, y * width + x, channels)]) candidate[y * width + x] = 1;
  const { labels, sizes } = labelComponents(candidate, width);
  // Pieces that lie in the band over a meaningful length are the product.
  const inBand = new Float64Array(sizes.length);
  visitBandAndRing(width, height, box, depth, (i, band) => {
    if (band && labels[i]) inBand[labels[i]]++;
  });
  const keep = new Uint8Array(sizes.length);
  let kept = 0;
  for (let label = 1; label < sizes.length; label++) {
    if (inBand[label] >= PRIOR_MIN_BAND * nIn) {
      keep[label] = 1;
      kept++;
    }
  }
  if (kept === 0) return { ringShare, productish };
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) if (keep[labels[i]]) data[i] = 255;
  return { prior: { data, width, height }, ringShare, productish };
}

/**
 * Whether the colour prior should replace the model's mask (only for a hint that says the
 * product is a frame): the prior must look like a frame, and the model must either miss the
 * box's sides, fill the box (it took the panes with what shows through them), or disagree
 * with the prior (IoU < 0.5) while being less like a frame of straight bars than the prior
 * (it kept a cup or a leaf behind the panes). A model mask that is the better frame stays.
 */
export function preferColorPrior(model: AlphaMask, box: BoundingBox, colors: BoxColors): colors is BoxColors & { prior: AlphaMask } {
  const prior = colors.prior;
  if (!prior || !isFrameLike(prior, box) || priorIsMostlyPanels(prior, model, box)) return false;
  if (sidesReached(model, box) < 3 || !isFrameLike(model, box)) return true;
  return maskIoU(model.data, prior.data) < PRIOR_DISAGREES && offBarShare(model, box) > offBarShare(prior, box);
}

/** Whether most of the prior inside the box is panels (panels.ts) the model calls background: the band's colour was the background's too. */
function priorIsMostlyPanels(prior: AlphaMask, model: AlphaMask, box: BoundingBox): boolean {
  const local = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) local[y * box.width + x] = prior.data[(box.y + y) * prior.width + box.x + x] >= SUBJECT_ALPHA ? 1 : 0;
  const modelHas = (k: number) => model.data[(box.y + Math.floor(k / box.width)) * model.width + box.x + (k % box.width)] >= SUBJECT_ALPHA;
  return unbackedPanelShare(local, box.width, box.height, modelHas) > MAX_UNBACKED_PANELS;
}

/**
 * The share of a mask's pixels inside the box that lie on no straight bar (frame/bars.ts): a
 * window's frame is ~0 (its junctions only); a cup or a leaf kept in a pane, solid or a rim,
 * is not.
 */
export function offBarShare(mask: AlphaMask, box: BoundingBox): number {
  const solid = new Uint8Array(mask.data.length);
  for (let i = 0; i < solid.length; i++) solid[i] = mask.data[i] >= SUBJECT_ALPHA ? 1 : 0;
  const bars = barMap(solid, mask.width, box);
  let area = 0;
  let off = 0;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      if (!solid[(box.y + y) * mask.width + box.x + x]) continue;
      area++;
      if (!bars[y * box.width + x]) off++;
    }
  }
  return area === 0 ? 0 : off / area;
}

/**
 * A colour-prior mask is only believed when it looks like a frame: it reaches at least three
 * of the box's sides and leaves most of the box open (at most 60 % filled). A mask filling
 * the box means the band's colours were the background's too.
 */
export function isFrameLike(mask: AlphaMask, box: BoundingBox): boolean {
  return sidesReached(mask, box) >= 3 && boxCover(mask, box) <= MAX_FRAME_FILL;
}

/** The share of the box the mask holds (alpha >= SUBJECT_ALPHA). */
export function boxCover(mask: AlphaMask, box: BoundingBox): number {
  let filled = 0;
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) if (mask.data[y * mask.width + x] >= SUBJECT_ALPHA) filled++;
  return filled / (box.width * box.height);
}
