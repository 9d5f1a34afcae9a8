import { resizeMask, sharpFromRaw, toRaw } from '../image/raw';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { findContinuingPanes } from './panes';
import { FloodFill } from '../matte/components';

/**
 * See-through regions. Windows, doors and pergola frames enclose panes or gaps through
 * which the old background shows; salient-object models keep that background inside the
 * frame. We look for regions inside the subject whose colours continue the background
 * around it and make them transparent ("gaps") or faintly tinted glass ("glass").
 *
 * Working on a copy at most WORK_SIDE px on its long side:
 *  1. sure background = alpha < 32; the subject = alpha >= SUBJECT_ALPHA; the subject's outer ring =
 *     subject pixels within RING px of the background (for a frame: the frame itself);
 *  2. colour models (16^3-bin histograms) of the background near the subject and of the ring;
 *  3. candidates = subject pixels off the ring where P(background | colour) > CANDIDATE_P,
 *     cleaned by a 3x3 majority vote, split into connected components;
 *  4. a component becomes see-through when it is big enough, its colours are as a whole
 *     close to the background's (Bhattacharyya coefficient on an 8^3 grid), it is mostly
 *     enclosed by the subject (little of its border touches the outside) and it lies behind
 *     a thin bar (within 8 % of the subject's size from the outside somewhere) and every
 *     wall around it is thin: panes are, the coffee in a cup on a saucer is not;
 *  5. a second test, continuity (panes.ts), opens panes whose content continues the world
 *     across the frame's bars whatever its colours, and vetoes step 4 inside a pane whose
 *     content ends at a bar;
 *  6. islands left inside opened panes that never reach the outer ring open with them.
 * The decision map is scaled back to full resolution with a smooth kernel.
 */
export type SeeThroughMode = 'off' | 'gaps' | 'glass';

/** Long side (px) of the copy the detector works on: panes are large, so their decision needs no more; the map is scaled back smoothly. */
const WORK_SIDE = 768;
/** Levels per channel of the colour histograms (16^3 bins): fine enough to tell a frame's grey from a sky's, coarse enough to fill from one photo. */
const BINS = 16;
/** Depth of the subject's outer ring, as a share of the working copy's long side: a frame's outer bar, whose colours are the frame's. */
const RING_FRACTION = 0.012;
/** A pixel is a candidate when its colour is this much likelier background than ring (P(background | colour), 0.5 = no evidence). */
const CANDIDATE_P = 0.6;
/** A region smaller than this share of the subject is a speck of background colour on the product, not a pane. */
const MIN_AREA_FRACTION = 0.004;
/** A region's mean P(background | colour) must reach this: most of its pixels, not a few, look like the background. */
const MIN_MEAN_P = 0.75;
/** Palette overlap (Bhattacharyya) with the background near the subject that a pane showing it reaches... */
const MIN_BHATTACHARYYA = 0.6;
/** ...or, when nearly every pixel's colour is far likelier background (mean P this high), this looser overlap: another part of the same background. */
const STRONG_MEAN_P = 0.95;
const MIN_BHATTACHARYYA_STRONG = 0.45;
/** Share of a region's border that may be open (the photo's edge, or not subject): a pane is walled in by the frame, a bay between two products is not. */
const MAX_OPEN_BORDER = 0.35;
/** A bar is at most this share of the subject's size thick: a pane lies within that distance of the outside somewhere, and no wall around it is thicker. */
const MAX_BAR_FRACTION = 0.08;

export interface SeeThroughResult {
  /** 0..255: how see-through each pixel is, at full resolution. */
  map: AlphaMask;
  regions: number;
  /** Share of the subject's area made see-through. */
  share: number;
}

const bin = (r: number, g: number, b: number) => ((r >> 4) * BINS + (g >> 4)) * BINS + (b >> 4);

function histogram(rgb: Buffer, pick: (i: number) => boolean, pixels: number): Float64Array {
  const h = new Float64Array(BINS * BINS * BINS);
  let n = 0;
  for (let i = 0; i < pixels; i++) {
    if (!pick(i)) continue;
    h[bin(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2])]++;
    n++;
  }
  if (n > 0) for (let k = 0; k < h.length; k++) h[k] /= n;
  return h;
}

/** The 4 neighbours of pixel i at (x, y), -1 off the image; one shared array (hot loops). */
const NEIGHBOURS = new Int32Array(4);
function fourNeighbours(i: number, x: number, y: number, width: number, height: number): Int32Array {
  NEIGHBOURS[0] = x > 0 ? i - 1 : -1;
  NEIGHBOURS[1] = x < width - 1 ? i + 1 : -1;
  NEIGHBOURS[2] = y > 0 ? i - width : -1;
  NEIGHBOURS[3] = y < height - 1 ? i + width : -1;
  return NEIGHBOURS;
}

/**
 * Distance (in px, chessboard, capped) of each subject pixel to the nearest non-subject pixel:
 * the classic two-pass transform (forward over the top-left neighbours, backward over the
 * bottom-right ones), exact for the chessboard metric.
 */
function distanceToOutside(subject: Uint8Array, width: number, height: number, cap: number): Uint16Array {
  const dist = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!subject[i]) continue;
      let d = cap;
      if (x > 0) d = Math.min(d, dist[i - 1] + 1);
      if (y > 0) {
        d = Math.min(d, dist[i - width] + 1);
        if (x > 0) d = Math.min(d, dist[i - width - 1] + 1);
        if (x < width - 1) d = Math.min(d, dist[i - width + 1] + 1);
      }
      dist[i] = d;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      let d = dist[i];
      if (d === 0) continue;
      if (x < width - 1) d = Math.min(d, dist[i + 1] + 1);
      if (y < height - 1) {
        d = Math.min(d, dist[i + width] + 1);
        if (x < width - 1) d = Math.min(d, dist[i + width + 1] + 1);
        if (x > 0) d = Math.min(d, dist[i + width - 1] + 1);
      }
      dist[i] = d;
    }
  }
  return dist;
}

/**
 * Overlap of two colour distributions on a coarser 8^3 grid: a pane shows another part of
 * the same background, similar in palette but not pixel for pixel.
 */
function coarseBhattacharyya(component: Float64Array, area: number, background: Float64Array): number {
  const a = new Float64Array(512);
  const b = new Float64Array(512);
  for (let k = 0; k < component.length; k++) {
    const r = Math.floor(k / (BINS * BINS));
    const g = Math.floor(k / BINS) % BINS;
    const bl = k % BINS;
    const coarse = ((r >> 1) * 8 + (g >> 1)) * 8 + (bl >> 1);
    a[coarse] += component[k] / area;
    b[coarse] += background[k];
  }
  let sum = 0;
  for (let k = 0; k < 512; k++) sum += Math.sqrt(a[k] * b[k]);
  return sum;
}

/**
 * Half-thickness of the thickest wall within `reach` px of a component: a breadth-first walk
 * from the component into the wall pixels, keeping the largest distance-to-edge met.
 */
function thickestWallAround(
  members: number[],
  mark: number,
  wall: Uint8Array,
  depth: Uint16Array,
  seen: Int32Array,
  width: number,
  height: number,
  reach: number,
): number {
  let frontier = members;
  let thickest = 0;
  for (let step = 0; step < reach && frontier.length > 0; step++) {
    const next: number[] = [];
    for (const i of frontier) {
      const x = i % width;
      const y = (i - x) / width;
      const neighbours = fourNeighbours(i, x, y, width, height);
      for (const j of neighbours) {
        if (j < 0 || !wall[j] || seen[j] === mark) continue;
        seen[j] = mark;
        if (depth[j] > thickest) thickest = depth[j];
        next.push(j);
      }
    }
    frontier = next;
  }
  return thickest;
}

/**
 * Textured background seen through a pane leaves islands the colour test missed (a knot in
 * the wood, a dark leaf). A window is one connected piece, so a patch of "subject" that sits
 * entirely inside see-through pixels and never reaches the frame's outer ring is background
 * too: it is opened with the pane. Returns the area opened.
 */
function fillIslands(accepted: Uint8Array, subject: Uint8Array, dist: Uint16Array, ring: number, width: number, height: number): number {
  const pixels = width * height;
  const visited = new Uint8Array(pixels);
  const flood = new FloodFill(width, height);
  let opened = 0;
  for (let seed = 0; seed < pixels; seed++) {
    if (!subject[seed] || accepted[seed] || visited[seed]) continue;
    const members: number[] = [];
    visited[seed] = 1;
    let enclosed = true;
    flood.fill(
      seed,
      (j) => {
        if (!subject[j] || accepted[j] || visited[j]) return false;
        visited[j] = 1;
        return true;
      },
      (i) => {
        members.push(i);
        if (dist[i] <= ring) enclosed = false;
      },
      // Out of the picture, or onto what is not subject: not an island.
      (j) => {
        if (j < 0 || !subject[j]) enclosed = false;
      },
    );
    if (!enclosed) continue;
    for (const i of members) accepted[i] = 255;
    opened += members.length;
  }
  return opened;
}

/**
 * Leaves out of the opened regions the pixels of their one-pixel rim against the frame whose
 * own colour is not the background's: a mix of bar and background, opened only because its
 * neighbours were (the majority vote), where the model's soft alpha already says how much of
 * each. Returns the area left out.
 */
function keepRims(accepted: Uint8Array, subject: Uint8Array, width: number, height: number, backgroundColored: (i: number) => boolean): number {
  const rim: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!accepted[i] || backgroundColored(i)) continue;
      for (const j of fourNeighbours(i, x, y, width, height)) {
        if (j >= 0 && subject[j] && !accepted[j]) {
          rim.push(i);
          break;
        }
      }
    }
  }
  for (const i of rim) accepted[i] = 0;
  return rim.length;
}

/** The subject at the working size (step 1): alpha >= SUBJECT_ALPHA, its area and bounding box. */
function subjectAt(alpha: Buffer | Uint8Array, width: number, height: number) {
  const subject = new Uint8Array(width * height);
  let area = 0;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < subject.length; i++) {
    if (alpha[i] < SUBJECT_ALPHA) continue;
    subject[i] = 1;
    area++;
    const x = i % width;
    const y = (i - x) / width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { subject, area, box: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } };
}

/**
 * P(background | colour) per 16^3 bin (step 2), from the background near the subject (its
 * box grown by a quarter on each side) against the subject's outer ring.
 */
function backgroundOdds(image: Buffer, alpha: Buffer | Uint8Array, width: number, box: BoundingBox, inRing: (i: number) => boolean) {
  const gx = Math.round((box.width - 1) * 0.25);
  const gy = Math.round((box.height - 1) * 0.25);
  const near = (i: number) => {
    const x = i % width;
    const y = (i - x) / width;
    return x >= box.x - gx && x <= box.x + box.width - 1 + gx && y >= box.y - gy && y <= box.y + box.height - 1 + gy;
  };
  const pixels = alpha.length;
  const hBackground = histogram(image, (i) => alpha[i] < 32 && near(i), pixels);
  const hRing = histogram(image, inRing, pixels);
  const pBackground = new Float32Array(hBackground.length);
  for (let k = 0; k < pBackground.length; k++) pBackground[k] = (hBackground[k] + 1e-5) / (hBackground[k] + hRing[k] + 2e-5);
  return { hBackground, pBackground };
}

/** Candidates (step 3): subject pixels off the ring of a background colour, then a 3x3 majority vote against speckle. */
function colorCandidates(image: Buffer, width: number, height: number, offRing: (i: number) => boolean, pBackground: Float32Array) {
  const pixels = width * height;
  const raw = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    if (offRing(i) && pBackground[bin(image[i * 3], image[i * 3 + 1], image[i * 3 + 2])] > CANDIDATE_P) raw[i] = 1;
  }
  const candidate = new Uint8Array(pixels);
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      let votes = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) votes += raw[(y + dy) * width + x + dx];
      if (votes >= 5) {
        candidate[y * width + x] = 1;
        count++;
      }
    }
  }
  return { candidate, count };
}

interface ColorRegionInput {
  image: Buffer;
  width: number;
  height: number;
  subject: Uint8Array;
  dist: Uint16Array;
  candidate: Uint8Array;
  hBackground: Float64Array;
  pBackground: Float32Array;
  barReach: number;
  minArea: number;
  /** 1 in panes whose content ends at a bar (panes.ts). */
  contradicted: Uint8Array;
}

/**
 * The candidates' connected components that are see-through by colour (step 4), marked 255
 * in `accepted`; returns how many regions and how much area they add.
 */
function acceptColorRegions(input: ColorRegionInput, accepted: Uint8Array): { regions: number; area: number } {
  const { image, width, height, subject, dist, candidate, hBackground, pBackground, barReach } = input;
  const pixels = width * height;
  // The subject left once the candidates are taken out ("walls"), and how thick it is: a pane
  // is walled in by thin bars on every side, a cup's coffee by a thick cup on one side.
  const wall = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) wall[i] = subject[i] && !candidate[i] ? 1 : 0;
  const wallDepth = distanceToOutside(wall, width, height, barReach + 1);
  const seen = new Int32Array(pixels);
  const label = new Int32Array(pixels);
  const flood = new FloodFill(width, height);
  let regions = 0;
  let added = 0;
  let next = 0;
  for (let seed = 0; seed < pixels; seed++) {
    if (!candidate[seed] || label[seed]) continue;
    next++;
    const members: number[] = [];
    label[seed] = next;
    const hComponent = new Float64Array(hBackground.length);
    let sumP = 0;
    let border = 0;
    let openBorder = 0;
    let nearestOutside = Infinity;
    flood.fill(
      seed,
      (j) => {
        if (!candidate[j] || label[j]) return false;
        label[j] = next;
        return true;
      },
      (i) => {
        members.push(i);
        if (dist[i] < nearestOutside) nearestOutside = dist[i];
        const k = bin(image[i * 3], image[i * 3 + 1], image[i * 3 + 2]);
        hComponent[k]++;
        sumP += pBackground[k];
      },
      // The picture's edge and what is not subject are open border; the frame is closed border.
      (j) => {
        if (j < 0) {
          border++;
          openBorder++;
        } else if (!candidate[j]) {
          border++;
          if (!subject[j]) openBorder++;
        }
      },
    );
    const area = members.length;
    if (area < input.minArea) continue;
    const bhattacharyya = coarseBhattacharyya(hComponent, area, hBackground);
    const wallThickness = thickestWallAround(members, next, wall, wallDepth, seen, width, height, barReach);
    const meanP = sumP / area;
    // A pane may show a different mix of the same background than the ring around the
    // subject (one side of a blurred garden): when nearly every pixel's colour is far more
    // common in the background than on the frame, a looser palette overlap is enough.
    const palette = bhattacharyya >= MIN_BHATTACHARYYA || (meanP >= STRONG_MEAN_P && bhattacharyya >= MIN_BHATTACHARYYA_STRONG);
    if (nearestOutside > barReach || wallThickness > barReach / 2 + 1 || meanP < MIN_MEAN_P || !palette || openBorder / Math.max(1, border) > MAX_OPEN_BORDER)
      continue;
    // A pane whose content ends at the bar is no window onto the background, whatever its
    // colours (a framed picture of a garden in front of a garden).
    let ended = 0;
    for (const i of members) ended += input.contradicted[i];
    if (ended > area / 2) continue;
    regions++;
    for (const i of members) {
      if (!accepted[i]) added++;
      accepted[i] = 255;
    }
  }
  return { regions, area: added };
}

export async function detectSeeThrough(rgb: RawImage, alpha: AlphaMask): Promise<SeeThroughResult> {
  const scale = Math.min(1, WORK_SIDE / Math.max(rgb.width, rgb.height));
  const width = Math.max(8, Math.round(rgb.width * scale));
  const height = Math.max(8, Math.round(rgb.height * scale));
  const small = scale < 1 ? await toRaw(sharpFromRaw(rgb).resize(width, height, { fit: 'fill' })) : rgb;
  const smallAlpha = scale < 1 ? (await resizeMask(alpha, width, height, 'lanczos3')).data : alpha.data;
  const empty = (): SeeThroughResult => ({
    map: { data: Buffer.alloc(alpha.width * alpha.height), width: alpha.width, height: alpha.height },
    regions: 0,
    share: 0,
  });

  const { subject, area: subjectArea, box } = subjectAt(smallAlpha, width, height);
  if (subjectArea < 64) return empty();
  const ring = Math.max(2, Math.round(Math.max(width, height) * RING_FRACTION));
  // A pane sits behind a thin bar: somewhere it lies within this distance of the outside.
  const barReach = Math.max(ring + 1, Math.ceil(Math.max(box.width - 1, box.height - 1) * MAX_BAR_FRACTION));
  const dist = distanceToOutside(subject, width, height, barReach + 1);
  const image = small.data;
  const { hBackground, pBackground } = backgroundOdds(image, smallAlpha, width, box, (i) => subject[i] === 1 && dist[i] <= ring);
  const { candidate, count: candidates } = colorCandidates(image, width, height, (i) => subject[i] === 1 && dist[i] > ring, pBackground);
  const minArea = subjectArea * MIN_AREA_FRACTION;
  const panes = findContinuingPanes({ image: small.data, width, height, subject, dist, ring, box, barReach, minArea });
  // No region could be large enough: the usual answer for a product photo, found early.
  if (candidates < minArea && panes.panes === 0) return empty();

  // Panes that continue the world behind the frame are open whatever their colours.
  const accepted = panes.opened;
  let regions = panes.panes;
  let acceptedArea = panes.area;
  if (candidates >= minArea) {
    const byColor = acceptColorRegions(
      { image, width, height, subject, dist, candidate, hBackground, pBackground, barReach, minArea, contradicted: panes.contradicted },
      accepted,
    );
    regions += byColor.regions;
    acceptedArea += byColor.area;
  }
  if (regions === 0) return empty();
  acceptedArea += fillIslands(accepted, subject, dist, ring, width, height);
  acceptedArea -= keepRims(accepted, subject, width, height, (i) => pBackground[bin(image[i * 3], image[i * 3 + 1], image[i * 3 + 2])] > CANDIDATE_P);
  const map =
    scale < 1 ? (await resizeMask({ data: Buffer.from(accepted.buffer), width, height }, alpha.width, alpha.height)).data : Buffer.from(accepted.buffer);
  return { map: { data: map, width: alpha.width, height: alpha.height }, regions, share: acceptedArea / subjectArea };
}

export interface GlassOptions {
  opacity: number;
  tint: { r: number; g: number; b: number };
}

/**
 * Applies a see-through map: gaps become transparent; glass keeps `opacity` of the pane,
 * with the tint as its colour.
 */
export function applySeeThrough(
  alpha: AlphaMask,
  foreground: RawImage,
  map: AlphaMask,
  mode: 'gaps' | 'glass',
  glass: GlassOptions,
): { alpha: AlphaMask; foreground: RawImage } {
  const a = Buffer.from(alpha.data);
  const f = mode === 'glass' ? Buffer.from(foreground.data) : foreground.data;
  const tint = [glass.tint.r, glass.tint.g, glass.tint.b];
  for (let i = 0; i < a.length; i++) {
    const t = map.data[i] / 255;
    if (t === 0) continue;
    if (mode === 'gaps') {
      a[i] = Math.round(a[i] * (1 - t));
    } else {
      a[i] = Math.round(a[i] * (1 - t) + 255 * glass.opacity * t);
      for (let c = 0; c < 3; c++) f[i * 3 + c] = Math.round(f[i * 3 + c] * (1 - t) + tint[c] * t);
    }
  }
  return { alpha: { ...alpha, data: a }, foreground: { ...foreground, data: f } };
}
