import type { BoundingBox } from '../image/types';

/**
 * The straight bars of a mask inside a box (a window's frame and mullions, a pergola's
 * beams). A bar pixel sits on a long run one way (30 % of the box's side) and a thin run the
 * other way (at most 15 % of the other side): a cup, a leaf or a solid panel has neither.
 * `solid` is the mask at the image's width (non-zero = subject); the answer is box-sized,
 * with the bar's direction as bits: HORIZONTAL_BAR, VERTICAL_BAR (both where bars cross).
 */
export const HORIZONTAL_BAR = 1;
export const VERTICAL_BAR = 2;

export function barMap(solid: Uint8Array, imageWidth: number, box: BoundingBox): Uint8Array {
  const { width: w, height: h } = box;
  const across = runLengths(solid, imageWidth, box, true);
  const down = runLengths(solid, imageWidth, box, false);
  const bars = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    if (!across[i]) continue;
    const horizontal = across[i] >= 0.3 * w && down[i] <= 0.15 * h;
    const vertical = down[i] >= 0.3 * h && across[i] <= 0.15 * w;
    bars[i] = (horizontal ? HORIZONTAL_BAR : 0) | (vertical ? VERTICAL_BAR : 0);
  }
  return bars;
}

/** For each pixel of the box, the length of the solid run through it along its row (or column); 0 off the mask. */
function runLengths(solid: Uint8Array, imageWidth: number, box: BoundingBox, alongRows: boolean): Uint16Array {
  const { width: w, height: h } = box;
  const lines = alongRows ? h : w;
  const length = alongRows ? w : h;
  // Index in the box-sized answer of position t on a line.
  const at = (line: number, t: number) => (alongRows ? line * w + t : t * w + line);
  const isSolid = (line: number, t: number) => {
    const k = at(line, t);
    return solid[(box.y + Math.floor(k / w)) * imageWidth + box.x + (k % w)] !== 0;
  };
  const runs = new Uint16Array(w * h);
  for (let line = 0; line < lines; line++) {
    for (let t = 0; t < length;) {
      if (!isSolid(line, t)) {
        t++;
        continue;
      }
      let end = t;
      while (end + 1 < length && isSolid(line, end + 1)) end++;
      for (let k = t; k <= end; k++) runs[at(line, k)] = end - t + 1;
      t = end + 1;
    }
  }
  return runs;
}

/**
 * Closes gaps along each bar's own direction, up to `maxFraction` of the box's side: where
 * something of the frame's colour touches a bar (a dark pot behind an anthracite mullion),
 * the bar's runs are no longer thin there and the bar map has a hole; a real bar goes on.
 */
export function closeBarGaps(bars: Uint8Array, width: number, height: number, maxFraction: number): Uint8Array {
  const closed = Uint8Array.from(bars);
  const close = (lines: number, length: number, at: (line: number, t: number) => number, bit: number, maxGap: number) => {
    for (let line = 0; line < lines; line++) {
      let last = -1;
      for (let t = 0; t < length; t++) {
        if (!(bars[at(line, t)] & bit)) continue;
        if (last >= 0 && t - last > 1 && t - last - 1 <= maxGap) for (let k = last + 1; k < t; k++) closed[at(line, k)] |= bit;
        last = t;
      }
    }
  };
  close(height, width, (y, x) => y * width + x, HORIZONTAL_BAR, Math.round(width * maxFraction));
  close(width, height, (x, y) => y * width + x, VERTICAL_BAR, Math.round(height * maxFraction));
  return closed;
}
