import { barMap, closeBarGaps } from './bars';
import type { BoundingBox } from '../image/types';
import { FloodFill } from '../matte/components';

/**
 * Panes that continue the world behind the frame. The colour test in seeThrough.ts opens a
 * pane whose colours are the background's; it cannot open one that shows something the
 * model took for subject (a potted plant behind the glass, a wall the colour of the frame
 * next to a wooden one). What a pane shows continues across the bar around it: the pixels
 * just inside a frame's outer bar resemble those just outside it, at the same place along
 * the bar, far more than chance. A door's solid panel, a picture in a frame, a product in a
 * box do not continue the world outside. So:
 *  1. the frame = subject pixels of the frame's colour (the outer ring's dominant colour)
 *     that lie on long thin straight runs (`barMap`), closed across interruptions;
 *  2. panes = the holes of that bar structure inside the subject's box (regions that barely
 *     touch the box's edge); their subject pixels are what opens;
 *  3. for every pane pixel next to a bar, step across the bar (at most `barReach` px) and
 *     compare the 5x5 patch colour a little way in on both sides; a pane continues when those
 *     pairs match far more often than the same pixels paired at random (texture alone, or a
 *     uniform wall, matches at random as well as in place) and no side contradicts;
 *  4. panes that continue across a mullion into an opened pane open with it (a window shows
 *     one world);
 *  5. subject outside the frame that continues an opened pane opens with it;
 *  6. `contradicted` marks panes whose content ends at a bar: seeThrough.ts keeps the colour
 *     test from opening them.
 */

const MATCH_DISTANCE = 28; // RGB distance under which two smoothed colours are "the same"
const MIN_PAIRS = 64;
const MIN_CONTINUITY = 0.35;
const MIN_LIFT = 0.25; // continuity over chance
const MAX_CONTRADICTING_MATCHES = 0.1; // a side of a pane where fewer pairs match contradicts it
const MAX_EDGE_BORDER = 0.15;
const MAX_EDGE_SHARE = 0.05; // of the box's perimeter: a pane reaches the box's edge only through a leak
const MAX_BAR_GAP = 0.35; // of the box's side: a bar interrupted by something of its colour goes on
const MAX_FRAME_COLORED = 0.8;
const MIN_PALETTE_SHARE = 0.002; // a colour the opened panes show (of 8^3 coarse colours)
const MISSED_EDGE = 3; // px of frame colour at a bar's side that the bar map may have missed
const STEP_IN = 3; // px past the bar's edge on each side: clear of the edge's anti-aliasing

export interface PaneInput {
  /** RGB at the working size. */
  image: Buffer;
  width: number;
  height: number;
  /** 1 = subject (alpha >= SUBJECT_ALPHA). */
  subject: Uint8Array;
  /** Distance of subject pixels to the outside (capped); the outer ring is dist <= ring. */
  dist: Uint16Array;
  ring: number;
  box: BoundingBox;
  /** The thickest a bar may be, in px. */
  barReach: number;
  minArea: number;
}

export interface PaneResult {
  /** 255 where a pane was opened. */
  opened: Uint8Array;
  /** 1 in panes whose content ends at the bar on some side: not the world behind the frame. */
  contradicted: Uint8Array;
  panes: number;
  area: number;
}

/** The frame's colour: mean and spread of the ring pixels near its dominant coarse colour. */
function frameColor(input: PaneInput): FrameColor | undefined {
  const { image, subject, dist, ring } = input;
  const counts = new Uint32Array(512);
  const pixels = input.width * input.height;
  const ringPixels: number[] = [];
  for (let i = 0; i < pixels; i++) {
    if (!subject[i] || dist[i] > ring) continue;
    counts[((image[i * 3] >> 5) * 8 + (image[i * 3 + 1] >> 5)) * 8 + (image[i * 3 + 2] >> 5)]++;
    ringPixels.push(i);
  }
  const total = ringPixels.length;
  if (total === 0) return undefined;
  let mode = 0;
  for (let k = 1; k < 512; k++) if (counts[k] > counts[mode]) mode = k;
  // Mean shift from the dominant coarse colour: a bar's shading spans two coarse bins.
  let mean = [((mode >> 6) << 5) + 16, (((mode >> 3) & 7) << 5) + 16, ((mode & 7) << 5) + 16];
  let near: number[] = [];
  for (let iteration = 0; iteration < 5; iteration++) {
    near = [];
    const sum = [0, 0, 0];
    for (const i of ringPixels) {
      if (colorDistance(image, i, mean) > 40) continue;
      near.push(i);
      for (let c = 0; c < 3; c++) sum[c] += image[i * 3 + c];
    }
    if (near.length === 0) return undefined;
    const next = sum.map((value) => value / near.length);
    const moved = Math.abs(next[0] - mean[0]) + Math.abs(next[1] - mean[1]) + Math.abs(next[2] - mean[2]);
    mean = next;
    if (moved < 1) break;
  }
  // The frame should be most of the ring: a subject without one has no dominant ring colour.
  if (near.length < total * 0.4) return undefined;
  let squares = 0;
  for (const i of near) squares += colorDistance(image, i, mean) ** 2;
  return { mean: [mean[0], mean[1], mean[2]], radius: Math.max(28, 2.5 * Math.sqrt(squares / near.length)) };
}

/**
 * Distance to the frame's colour that forgives shading: a profile's light and shadow change
 * its brightness far more than its hue, so brightness counts half.
 */
function colorDistance(image: Buffer, i: number, color: ArrayLike<number>): number {
  const r = image[i * 3] - color[0];
  const g = image[i * 3 + 1] - color[1];
  const b = image[i * 3 + 2] - color[2];
  const brightness = (r + g + b) / 6;
  const redGreen = r - g;
  const blueGreen = b - g;
  return Math.sqrt(brightness * brightness + redGreen * redGreen + blueGreen * blueGreen);
}

/**
 * Mean colour of the 5x5 patch around a pixel (clamped at the image's edges), computed when
 * first asked for: pairs compare patches, not single noisy pixels, and only a few thousand
 * pixels are ever compared.
 */
function patchColors(image: Buffer, width: number, height: number): (i: number) => Float32Array {
  const cache = new Map<number, Float32Array>();
  return (i) => {
    let mean = cache.get(i);
    if (mean) return mean;
    mean = new Float32Array(3);
    const x = i % width;
    const y = (i - x) / width;
    let n = 0;
    for (let yy = Math.max(0, y - 2); yy <= Math.min(height - 1, y + 2); yy++) {
      for (let xx = Math.max(0, x - 2); xx <= Math.min(width - 1, x + 2); xx++) {
        const k = (yy * width + xx) * 3;
        mean[0] += image[k];
        mean[1] += image[k + 1];
        mean[2] += image[k + 2];
        n++;
      }
    }
    for (let c = 0; c < 3; c++) mean[c] /= n;
    cache.set(i, mean);
    return mean;
  };
}

const DIRECTIONS: Array<[number, number]> = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];

export interface Continuity {
  pairs: number;
  /** Share of pairs across the bar whose colours match. */
  inPlace: number;
  /** The same share with the far sides shuffled: what texture alone gives. */
  atRandom: number;
  continues: boolean;
}

/**
 * How much the colours across a bar continue each other, against chance. Each pair is
 * (a pixel a little way into the pane, the pixel as far past the bar on the other side).
 */
export function measureContinuity(pairs: ReadonlyArray<readonly [number, number]>, distance: (a: number, b: number) => number): Continuity {
  const count = pairs.length;
  if (count < MIN_PAIRS) return { pairs: count, inPlace: 0, atRandom: 0, continues: false };
  const order = shuffled(count);
  let inPlace = 0;
  let atRandom = 0;
  for (let k = 0; k < count; k++) {
    if (distance(pairs[k][0], pairs[k][1]) <= MATCH_DISTANCE) inPlace++;
    if (distance(pairs[k][0], pairs[order[k]][1]) <= MATCH_DISTANCE) atRandom++;
  }
  const result = { pairs: count, inPlace: inPlace / count, atRandom: atRandom / count };
  return { ...result, continues: result.inPlace >= MIN_CONTINUITY && result.inPlace - result.atRandom >= MIN_LIFT };
}

/** A deterministic shuffle (the chance baseline must not change between runs). */
function shuffled(count: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let state = 0x9e3779b9;
  for (let i = count - 1; i > 0; i--) {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = state % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

type FrameColor = { mean: [number, number, number]; radius: number };
type Pair = [number, number];
/** A region of the box that is not bar. enclosed: walled in by bars (a pane, whatever it holds); ok: a pane with enough subject to open. */
type Pane = { area: number; enclosed: boolean; ok: boolean };

/** The frame's bars (step 1): subject pixels of its colour on long thin straight runs, closed across interruptions. */
function frameBars(input: PaneInput, frame: FrameColor): { frameColored: Uint8Array; bar: Uint8Array } | undefined {
  const { image, width, height, subject, box } = input;
  const frameColored = new Uint8Array(width * height);
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * width + x;
      if (subject[i] && colorDistance(image, i, frame.mean) <= frame.radius) frameColored[i] = 1;
    }
  }
  const boxBars = closeBarGaps(barMap(frameColored, width, box), box.width, box.height, MAX_BAR_GAP);
  const bar = new Uint8Array(width * height);
  let barPixels = 0;
  for (let k = 0; k < boxBars.length; k++) {
    if (!boxBars[k]) continue;
    bar[(box.y + Math.floor(k / box.width)) * width + box.x + (k % box.width)] = 1;
    barPixels++;
  }
  return barPixels > 0 ? { frameColored, bar } : undefined;
}

/**
 * Panes (step 2): the holes of the bar structure, found as regions of the box that are not
 * bar; a pane is walled in by bars (it barely touches the box's edge: a region that does lies
 * outside the frame, or leaks through a bar we missed). Its subject pixels are what opens.
 * label: each box pixel's region (index into panes; 0 on bars and outside the box).
 */
function labelPanes(input: PaneInput, bar: Uint8Array, frameColored: Uint8Array): { label: Int32Array; panes: Pane[] } {
  const { width, height, subject, box } = input;
  const label = new Int32Array(width * height);
  const flood = new FloodFill(width, height, box);
  const panes: Pane[] = [{ area: 0, enclosed: false, ok: false }];
  const perimeter = 2 * (box.width + box.height);
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const seed = y * width + x;
      if (bar[seed] || label[seed]) continue;
      const id = panes.length;
      let area = 0;
      let border = 0;
      let edgeBorder = 0;
      let colored = 0;
      label[seed] = id;
      flood.fill(
        seed,
        (j) => {
          if (bar[j] || label[j]) return false;
          label[j] = id;
          return true;
        },
        (i) => {
          if (!subject[i]) return;
          area++;
          colored += frameColored[i];
        },
        // Outside the box counts as the box's edge; a bar as a wall.
        (j) => {
          if (j < 0) {
            border++;
            edgeBorder++;
          } else if (bar[j]) border++;
        },
      );
      // Walled in: little of its border, and little of the box's edge, is the box's edge.
      const enclosed = border > 0 && edgeBorder / border <= MAX_EDGE_BORDER && edgeBorder <= MAX_EDGE_SHARE * perimeter;
      const ok = enclosed && area >= input.minArea && colored / area <= MAX_FRAME_COLORED;
      panes.push({ area, enclosed, ok });
    }
  }
  return { label, panes };
}

/**
 * Pairs across the bars (step 3), from each pixel of an openable pane next to a bar: the
 * pixel a little way in against the one as far past the bar. outer: across the frame's outer
 * bars, per pane and side (the direction stepped); across: into another enclosed pane (across
 * a mullion), per pane and that pane, as a flat list near, far, near, far...
 */
function pairsAcrossBars(input: PaneInput, bar: Uint8Array, label: Int32Array, panes: Pane[], frameLike: (i: number) => boolean) {
  const { width, height, box, barReach } = input;
  const outer: Pair[][][] = panes.map(() => DIRECTIONS.map(() => []));
  const across: Array<Map<number, number[]>> = panes.map(() => new Map());
  const inImage = (fx: number, fy: number) => fx >= 0 && fy >= 0 && fx < width && fy < height;
  for (let py = box.y; py < box.y + box.height; py++) {
    for (let px = box.x; px < box.x + box.width; px++) {
      const i = py * width + px;
      const id = label[i];
      if (!panes[id].ok) continue;
      for (let side = 0; side < DIRECTIONS.length; side++) {
        const [dx, dy] = DIRECTIONS[side];
        let x = px + dx;
        let y = py + dy;
        if (x < 0 || y < 0 || x >= width || y >= height || !bar[y * width + x]) continue;
        // Across the bar, then past a thin edge of it the bar map missed (still frame-coloured);
        // content of the frame's colour beyond that edge is content (a dark pot behind it).
        let steps = 0;
        while (inImage(x, y) && bar[y * width + x] && steps <= barReach) {
          x += dx;
          y += dy;
          steps++;
        }
        for (let edge = 0; edge < MISSED_EDGE && inImage(x, y) && frameLike(y * width + x); edge++) {
          x += dx;
          y += dy;
          steps++;
        }
        let inX = px;
        let inY = py;
        for (let edge = 0; edge < MISSED_EDGE && inImage(inX, inY) && frameLike(inY * width + inX); edge++) {
          inX -= dx;
          inY -= dy;
          steps++;
        }
        if (steps > barReach) continue;
        inX -= dx * STEP_IN;
        inY -= dy * STEP_IN;
        const farX = x + dx * STEP_IN;
        const farY = y + dy * STEP_IN;
        if (!inImage(farX, farY) || !inImage(inX, inY)) continue;
        const near = inY * width + inX;
        const far = farY * width + farX;
        if (label[near] !== id) continue;
        const other = label[y * width + x];
        if (other === id) continue;
        if (other > 0 && panes[other].enclosed) {
          // Across a mullion: evidence only for joining a pane opened from outside (a framed
          // picture continues under its mullions too).
          const list = across[id].get(other) ?? [];
          list.push(near, far);
          across[id].set(other, list);
        } else if (!bar[far]) {
          outer[id][side].push([near, far]);
        }
      }
    }
  }
  return { outer, across };
}

/**
 * Which panes open and which end at a bar (steps 3-4). A pane opens when the world continues
 * behind the frame as a whole and no side says otherwise: a side where hardly any pair
 * matches ends the pane's colours at the bar (a framed picture whose backdrop happens to
 * match the wall on one side, a bar we missed on another). A pane that continues across a
 * mullion into an opened pane shows the same world and opens too.
 */
function decidePanes(panes: Pane[], outer: Pair[][][], across: Array<Map<number, number[]>>, distance: (a: number, b: number) => number) {
  const continues = (pairs: Pair[]) => measureContinuity(pairs, distance).continues;
  const contradicts = (sides: Pair[][]) =>
    sides.some((pairs) => pairs.length >= MIN_PAIRS && measureContinuity(pairs, distance).inPlace < MAX_CONTRADICTING_MATCHES);
  const continuesBehindFrame = (sides: Pair[][]) => !contradicts(sides) && continues(sides.flat());
  const open = new Uint8Array(panes.length);
  const ended = new Uint8Array(panes.length);
  for (let id = 1; id < panes.length; id++) if (panes[id].ok && contradicts(outer[id])) ended[id] = 1;
  const queue: number[] = [];
  for (let id = 1; id < panes.length; id++) {
    if (panes[id].ok && continuesBehindFrame(outer[id])) {
      open[id] = 1;
      queue.push(id);
    }
  }
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (let other = 1; other < panes.length; other++) {
      if (open[other] || !panes[other].ok) continue;
      const list = across[other].get(id);
      if (!list) continue;
      const pairs: Pair[] = [];
      for (let k = 0; k < list.length; k += 2) pairs.push([list[k], list[k + 1]]);
      if (continues(pairs)) {
        open[other] = 1;
        queue.push(other);
      }
    }
  }
  return { open, ended };
}

export function findContinuingPanes(input: PaneInput): PaneResult {
  const { image, width, height, subject, box } = input;
  const pixels = width * height;
  const opened = new Uint8Array(pixels);
  const contradicted = new Uint8Array(pixels);
  const none = { opened, contradicted, panes: 0, area: 0 };
  const frame = frameColor(input);
  const bars = frame && frameBars(input, frame);
  if (!frame || !bars) return none;
  const { bar } = bars;
  const { label, panes } = labelPanes(input, bar, bars.frameColored);
  if (!panes.some((pane) => pane.ok)) return none;

  const frameLike = (i: number) => colorDistance(image, i, frame.mean) <= frame.radius;
  const { outer, across } = pairsAcrossBars(input, bar, label, panes, frameLike);
  const patch = patchColors(image, width, height);
  const distance = (a: number, b: number) => {
    const pa = patch(a);
    const pb = patch(b);
    const dr = pa[0] - pb[0];
    const dg = pa[1] - pb[1];
    const db = pa[2] - pb[2];
    return Math.sqrt(dr * dr + dg * dg + db * db);
  };
  const { open, ended } = decidePanes(panes, outer, across, distance);

  let count = 0;
  let area = 0;
  for (let id = 1; id < panes.length; id++) {
    if (!open[id]) continue;
    count++;
    area += panes[id].area;
  }
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * width + x;
      if (subject[i] && open[label[i]]) opened[i] = 255;
      if (ended[label[i]]) contradicted[i] = 1;
    }
  }
  if (count > 0) {
    const seeds: number[] = [];
    for (let id = 1; id < panes.length; id++) {
      if (!open[id]) continue;
      for (const pairs of outer[id]) for (const [near, far] of pairs) if (distance(near, far) <= MATCH_DISTANCE) seeds.push(far);
    }
    // The frame's own pixels (its exact colour, not just its hue: a dark pot is not the frame).
    const isFrame = (i: number) =>
      bar[i] === 1 || Math.hypot(image[i * 3] - frame.mean[0], image[i * 3 + 1] - frame.mean[1], image[i * 3 + 2] - frame.mean[2]) <= frame.radius / 2;
    const outsideFrame = (i: number) => subject[i] === 1 && !isFrame(i) && !(label[i] > 0 && panes[label[i]].enclosed);
    area += openContinuations(image, width, height, opened, seeds, outsideFrame);
  }
  return { opened, contradicted, panes: count, area };
}

/**
 * What a pane shows often goes on past the frame, and the model took it as subject there
 * too (the pot standing behind the window reaches below its sill). From the far side of
 * the bars, where the pane's colours continue, the subject outside the frame that has the
 * colours of the opened panes is the same world: it opens with them. Returns the area opened.
 */
function openContinuations(image: Buffer, width: number, height: number, opened: Uint8Array, seeds: number[], outsideFrame: (i: number) => boolean): number {
  const pixels = width * height;
  const coarse = (i: number) => ((image[i * 3] >> 5) * 8 + (image[i * 3 + 1] >> 5)) * 8 + (image[i * 3 + 2] >> 5);
  const palette = new Float64Array(512);
  let paneArea = 0;
  for (let i = 0; i < pixels; i++) {
    if (!opened[i]) continue;
    palette[coarse(i)]++;
    paneArea++;
  }
  // A colour the panes show, or next to one (a gradient crosses the coarse bins' edges).
  const shown = new Uint8Array(512);
  for (let k = 0; k < 512; k++) {
    if (palette[k] < paneArea * MIN_PALETTE_SHARE) continue;
    const r = k >> 6;
    const g = (k >> 3) & 7;
    const b = k & 7;
    shown[k] = 1;
    if (r > 0) shown[k - 64] = 1;
    if (r < 7) shown[k + 64] = 1;
    if (g > 0) shown[k - 8] = 1;
    if (g < 7) shown[k + 8] = 1;
    if (b > 0) shown[k - 1] = 1;
    if (b < 7) shown[k + 1] = 1;
  }
  const inPalette = (i: number) => shown[coarse(i)] === 1;
  const flood = new FloodFill(width, height);
  const join = (j: number) => {
    if (opened[j] || !outsideFrame(j) || !inPalette(j)) return false;
    opened[j] = 255;
    return true;
  };
  let added = 0;
  for (const seed of seeds) {
    if (opened[seed] || !outsideFrame(seed) || !inPalette(seed)) continue;
    opened[seed] = 255;
    added += flood.fill(seed, join);
  }
  return added;
}
