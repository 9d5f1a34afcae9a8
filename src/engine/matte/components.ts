import type { BoundingBox } from '../image/types';

/**
 * Flood fill over the 4-connected pixels of a `width`-wide grid, inside `region` (the whole
 * grid by default), with one stack for all fills. From a seed it takes every neighbour that
 * `join(j)` accepts (join marks it, so nothing is taken twice), calls `visit(i)` once per
 * member and `edge(j)` for each step it did not take: to a neighbour join refused, or out of
 * the region (j = -1). Neighbours in the order left, right, up, down.
 */
export class FloodFill {
  private readonly stack: Int32Array;
  private readonly x0: number;
  private readonly y0: number;
  private readonly x1: number;
  private readonly y1: number;

  constructor(
    private readonly width: number,
    height: number,
    region: BoundingBox = { x: 0, y: 0, width, height },
  ) {
    this.stack = new Int32Array(width * height);
    this.x0 = region.x;
    this.y0 = region.y;
    this.x1 = region.x + region.width - 1;
    this.y1 = region.y + region.height - 1;
  }

  /** Fills from `seed` (which the caller has already marked); returns the members' count. */
  fill(seed: number, join: (j: number) => boolean, visit?: (i: number) => void, edge?: (j: number) => void): number {
    const { stack, width, x0, y0, x1, y1 } = this;
    let top = 0;
    let members = 0;
    stack[top++] = seed;
    while (top > 0) {
      const i = stack[--top];
      members++;
      visit?.(i);
      const x = i % width;
      const y = (i - x) / width;
      for (let n = 0; n < 4; n++) {
        const nx = n === 0 ? x - 1 : n === 1 ? x + 1 : x;
        const ny = n === 2 ? y - 1 : n === 3 ? y + 1 : y;
        if (nx < x0 || ny < y0 || nx > x1 || ny > y1) {
          edge?.(-1);
          continue;
        }
        const j = ny * width + nx;
        if (join(j)) stack[top++] = j;
        else edge?.(j);
      }
    }
    return members;
  }
}

/**
 * Connected pieces (4-connected) of a binary mask, `width` pixels a row. Labels start at 1;
 * 0 is background. `sizes[label]` is each piece's pixel count.
 */
export function labelComponents(mask: Uint8Array, width: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  const fill = new FloodFill(width, mask.length / width);
  for (let seed = 0; seed < mask.length; seed++) {
    if (!mask[seed] || labels[seed]) continue;
    const label = sizes.length;
    labels[seed] = label;
    sizes.push(
      fill.fill(seed, (j) => {
        if (!mask[j] || labels[j]) return false;
        labels[j] = label;
        return true;
      }),
    );
  }
  return { labels, sizes };
}
