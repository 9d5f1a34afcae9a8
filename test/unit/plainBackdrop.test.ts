import { boxColorPrior } from '../../src/engine/frame/boxPrior';
import { matteByFinish } from '../../src/engine/frame/finish';
import { fitBackdrop, matteOnPlainBackdrop } from '../../src/engine/frame/plainBackdrop';
import type { AlphaMask, RawImage } from '../../src/engine/image/types';
import { maskIoU } from '../../src/engine/matte/confidence';

const W = 320;
const H = 240;
const BOX = { x: 30, y: 20, width: 260, height: 200 };
const WHITE = [238, 238, 234];
const TABLE = [140, 110, 40];

/** A studio sweep: paper lit from above, its top as light as a white frame, falling off towards the floor. */
function sweepAt(x: number, y: number): number[] {
  const fall = 1 - 0.22 * (y / H) ** 2;
  const vignette = 1 - 0.08 * ((x - W / 2) / (W / 2)) ** 2;
  return [236, 238, 240].map((paper, c) => paper * fall * vignette + ((x * 5 + y * 11 + c) % 3) - 1);
}

/**
 * A white pergola (two posts, a beam, six 5 px slats) on a sweep whose top is the frame's
 * tone, a brown table standing behind it; `backdrop` paints what lies behind instead.
 */
function pergola(backdrop: (x: number, y: number) => number[] = sweepAt) {
  const truth = Buffer.alloc(W * H);
  const fill = (x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) truth[y * W + x] = 255;
  };
  const { x, y, width, height } = BOX;
  fill(x, y, 12, height);
  fill(x + width - 12, y, 12, height);
  fill(x, y + 76, width, 10);
  for (let s = 0; s < 6; s++) fill(x + 12, y + 4 + s * 12, width - 24, 5);
  const table = (px: number, py: number) => (py >= 170 && py < 176 && px >= 90 && px < 200) || (py >= 176 && (Math.abs(px - 95) < 3 || Math.abs(px - 195) < 3));
  const data = Buffer.alloc(W * H * 3);
  for (let py = 0; py < H; py++) {
    for (let px = 0; px < W; px++) {
      const i = py * W + px;
      // The slats, lit from above, a little darker than the posts.
      const shade = py < y + 76 && px > x + 12 && px < x + width - 12 ? 0.94 : 1;
      const color = truth[i] ? WHITE.map((v) => v * shade) : table(px, py) ? TABLE : backdrop(px, py);
      for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(color[c])));
    }
  }
  const rgb: RawImage = { data, width: W, height: H, channels: 3 };
  return { rgb, truth };
}

/** What a salient-object model made of it: nothing (the white frame is lost in the sweep). */
const nothing: AlphaMask = { data: Buffer.alloc(W * H), width: W, height: H };

describe('a frame on a plain backdrop (plainBackdrop.ts)', () => {
  it('fits the sweep behind a white frame and cuts the frame out, not the sweep lit to its tone nor the table behind', () => {
    const { rgb, truth } = pergola();
    const backdrop = fitBackdrop(rgb, BOX);
    expect(backdrop).toBeDefined();
    expect(backdrop!.tolerance).toBeLessThan(6);
    const found = matteOnPlainBackdrop(rgb, BOX, nothing);
    expect(found).toBeDefined();
    expect(maskIoU(found!.alpha.data, truth)).toBeGreaterThan(0.9);
    // The table stands off the sweep too, in another colour: background.
    expect(found!.alpha.data[172 * W + 150]).toBe(0);
    // The finish's colour alone takes the sweep's lit top with the frame.
    const byColor = matteByFinish(rgb, BOX, nothing, boxColorPrior(rgb, BOX));
    const byColorIoU = byColor ? maskIoU(byColor.alpha.data, truth) : 0;
    expect(maskIoU(found!.alpha.data, truth)).toBeGreaterThan(byColorIoU + 0.1);
  });

  it('drops a glass reflection in the pane when the model sees the frame, keeping the frame', () => {
    // A grey window frame (14 px members) on a pinkish sweep, a light streak across its glass.
    const grey = [164, 169, 173];
    const { x, y, width, height } = BOX;
    const truth = Buffer.alloc(W * H);
    const model = Buffer.alloc(W * H);
    const data = Buffer.alloc(W * H * 3);
    for (let py = 0; py < H; py++) {
      for (let px = 0; px < W; px++) {
        const i = py * W + px;
        const inBox = px >= x && px < x + width && py >= y && py < y + height;
        const member = inBox && (px < x + 14 || px >= x + width - 14 || py < y + 14 || py >= y + height - 14);
        const streak = inBox && !member && Math.abs(px - x - (py - y) * 0.8 - 60) < 12;
        const sweep = sweepAt(px, py).map((v, c) => v * [0.82, 0.72, 0.72][c]);
        const color = member ? grey : streak ? sweep.map((v) => v + 0.45 * (255 - v)) : sweep;
        for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(color[c]);
        if (member) truth[i] = model[i] = 255;
      }
    }
    const rgb: RawImage = { data, width: W, height: H, channels: 3 };
    const seen = matteOnPlainBackdrop(rgb, BOX, { data: model, width: W, height: H });
    expect(seen).toBeDefined();
    expect(maskIoU(seen!.alpha.data, truth)).toBeGreaterThan(0.95);
    // Where the model saw nothing, the streak stays (nothing tells it from a light bar).
    const unseen = matteOnPlainBackdrop(rgb, BOX, nothing);
    expect(unseen && maskIoU(unseen.alpha.data, truth)).toBeLessThan(maskIoU(seen!.alpha.data, truth));
  });

  it('finds no plain backdrop behind a busy scene', () => {
    const tiles = [
      [190, 170, 120],
      [90, 140, 70],
      [150, 180, 210],
      [120, 90, 60],
    ];
    const busy = pergola((x, y) => tiles[((x >> 3) * 7 + (y >> 3) * 3) % tiles.length]);
    expect(fitBackdrop(busy.rgb, BOX)).toBeUndefined();
    expect(matteOnPlainBackdrop(busy.rgb, BOX, nothing)).toBeUndefined();
  });

  it('fits a wall meeting a floor as two surfaces and cuts the frame out across the line where they meet', () => {
    const floor = pergola((x, y) => (y > 150 ? [120 + y / 10, 100 + y / 10, 80] : [200 - x / 40, 196, 190 - x / 40]));
    const backdrop = fitBackdrop(floor.rgb, BOX);
    expect(backdrop?.parts.length).toBe(2);
    expect(Math.abs(backdrop!.floorFrom - 151)).toBeLessThanOrEqual(4);
    const found = matteOnPlainBackdrop(floor.rgb, BOX, nothing);
    expect(found).toBeDefined();
    expect(maskIoU(found!.alpha.data, floor.truth)).toBeGreaterThan(0.9);
  });
});
