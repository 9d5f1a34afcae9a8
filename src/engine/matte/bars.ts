import type { BoundingBox } from './matte';

/**
 * The straight bars of a mask inside a box (a window's frame and mullions, a pergola's
 * beams). A bar pixel sits on a long run one way (30 % of the box's side) and a thin run the
 * other way (at most 15 % of the other side): a cup, a leaf or a solid panel has neither.
 * `solid` is the mask at the image's width (non-zero = subject); the answer is box-sized.
 */
export function barMap(solid: Uint8Array, imageWidth: number, box: BoundingBox): Uint8Array {
  const { width: w, height: h } = box;
  const at = (x: number, y: number) => solid[(box.y + y) * imageWidth + box.x + x] !== 0;
  const across = new Uint16Array(w * h);
  const down = new Uint16Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; ) {
      if (!at(x, y)) {
        x++;
        continue;
      }
      let end = x;
      while (end + 1 < w && at(end + 1, y)) end++;
      across.fill(end - x + 1, y * w + x, y * w + end + 1);
      x = end + 1;
    }
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; ) {
      if (!at(x, y)) {
        y++;
        continue;
      }
      let end = y;
      while (end + 1 < h && at(x, end + 1)) end++;
      for (let k = y; k <= end; k++) down[k * w + x] = end - y + 1;
      y = end + 1;
    }
  }
  const bars = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    if (!across[i]) continue;
    const horizontal = across[i] >= 0.3 * w && down[i] <= 0.15 * h;
    const vertical = down[i] >= 0.3 * h && across[i] <= 0.15 * w;
    if (horizontal || vertical) bars[i] = 1;
  }
  return bars;
}
