/**
 * Straight bars in a box-local binary map, at any angle near the box's axes: a window turned
 * or seen in perspective has bars up to ~15 degrees off the horizontal and vertical. A pixel
 * is on a bar when, along one of those directions, the map runs on through it for a long
 * stretch while across that direction it is thin: a bar, a slat, a baluster. A blob of the
 * same colour (a shadow, a cat's fur) is wide every way; a leaf or a speck is short.
 */

/** Directions tried either side of each axis: a frame turned or in perspective stays within this. */
const MAX_TILT_DEGREES = 16;
const TILT_STEP_DEGREES = 2;

/**
 * For each pixel of `map` (w x h, non-zero = set), the longest run of set pixels through it
 * along lines within MAX_TILT_DEGREES of horizontal (`alongRows`) or of vertical, and the
 * shortest such run (how thin the set region is that way).
 */
function tiltedRuns(map: Uint8Array, w: number, h: number, alongRows: boolean): { longest: Uint16Array; shortest: Uint16Array } {
  const longest = new Uint16Array(w * h);
  const shortest = new Uint16Array(w * h).fill(65535);
  const length = alongRows ? w : h;
  const breadth = alongRows ? h : w;
  const at = (t: number, s: number) => (alongRows ? s * w + t : t * w + s);
  const line = new Int32Array(length);
  const offsets = new Int32Array(length);
  for (let degrees = -MAX_TILT_DEGREES; degrees <= MAX_TILT_DEGREES; degrees += TILT_STEP_DEGREES) {
    const slope = Math.tan((degrees * Math.PI) / 180);
    const reach = Math.ceil(Math.abs(slope) * length);
    // Rounding commutes with adding a whole number: each line is the first one shifted.
    for (let t = 0; t < length; t++) offsets[t] = Math.round(t * slope);
    for (let start = -reach; start < breadth + reach; start++) {
      // One line: position t along, offset start + t * slope across; off-box samples end runs.
      let n = 0;
      for (let t = 0; t < length; t++) {
        const s = start + offsets[t];
        line[n++] = s >= 0 && s < breadth ? at(t, s) : -1;
      }
      for (let t = 0; t < n;) {
        if (line[t] < 0 || !map[line[t]]) {
          t++;
          continue;
        }
        let end = t;
        while (end + 1 < n && line[end + 1] >= 0 && map[line[end + 1]]) end++;
        const run = end - t + 1;
        for (let k = t; k <= end; k++) {
          const i = line[k];
          if (run > longest[i]) longest[i] = run;
          if (run < shortest[i]) shortest[i] = run;
        }
        t = end + 1;
      }
    }
  }
  for (let i = 0; i < shortest.length; i++) if (shortest[i] === 65535) shortest[i] = 0;
  return { longest, shortest };
}

/** A bar runs on for this share of the box's side along it... */
export const BAR_MIN_LENGTH = 0.3;
/** ...and is at most this share of the other side across (a door's stile, a pergola's post). */
const BAR_MAX_WIDTH = 0.12;

/** 1 where a set pixel of `map` (box-local, w x h) lies on a straight bar (see above), else 0. */
export function straightBarPixels(map: Uint8Array, w: number, h: number): Uint8Array {
  // Thin across first, then long along: a blob's rim is thin one way at a point, but not
  // over a long stretch, as a bar is everywhere along its length.
  const acrossColumns = tiltedRuns(map, w, h, false).shortest;
  const acrossRows = tiltedRuns(map, w, h, true).shortest;
  const thinDown = new Uint8Array(w * h);
  const thinAcross = new Uint8Array(w * h);
  for (let i = 0; i < thinDown.length; i++) {
    if (!map[i]) continue;
    if (acrossColumns[i] <= BAR_MAX_WIDTH * h) thinDown[i] = 1;
    if (acrossRows[i] <= BAR_MAX_WIDTH * w) thinAcross[i] = 1;
  }
  const horizontal = tiltedRuns(thinDown, w, h, true).longest;
  const vertical = tiltedRuns(thinAcross, w, h, false).longest;
  const bars = new Uint8Array(w * h);
  for (let i = 0; i < bars.length; i++) if (horizontal[i] >= BAR_MIN_LENGTH * w || vertical[i] >= BAR_MIN_LENGTH * h) bars[i] = 1;
  return bars;
}
