import { join } from 'node:path';
import sharp from 'sharp';

import { boxColorPrior } from '../../src/engine/frame/boxPrior';
import { maskIoU } from '../../src/engine/matte/confidence';
import { matteByFinish } from '../../src/engine/frame/finish';
import { cleanupImage } from '../../src/engine/pipeline/cleanup';
import { framedMatte } from '../../src/engine/pipeline/subject';
import { FRAME_WORK_SIDE, frameWorkScale } from '../../src/engine/frame/workScale';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import type { AlphaMask, RawImage } from '../../src/engine/image/types';
import { FRAME_KINDS, type FrameKind, frameScene } from '../../testkit/frameScenes';
import { FIXTURES, modelCacheDir } from '../../testkit/fixtures';
import { mulberry32 } from '../../testkit/windowScene';

const W = 240;
const H = 180;
const BOX = { x: 40, y: 30, width: 160, height: 120 };
const FINISH = [58, 62, 68];
const BALL = [200, 40, 40];

/**
 * A two-pane anthracite window (6 px bars, a 4 px mullion, a thin transom of 1.5 px) over a
 * cluttered background of coloured tiles, with a red ball seen through the left pane.
 * Returns the photo, the true coverage, and what a salient-object model would make of it
 * (the frame and the ball behind it).
 */
function windowOverClutter(options: { darkLeaf?: boolean; grainPanel?: boolean } = {}) {
  const random = mulberry32(7);
  const palette = [
    [190, 170, 120],
    [90, 140, 70],
    [150, 180, 210],
    [220, 210, 190],
    [120, 90, 60],
    [170, 120, 150],
  ];
  const tiles = Array.from({ length: Math.ceil(W / 8) * Math.ceil(H / 8) }, () => palette[Math.floor(random() * palette.length)]);
  const coverage = new Float32Array(W * H);
  const fill = (x0: number, y0: number, w: number, h: number, c = 1) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) coverage[y * W + x] = Math.max(coverage[y * W + x], c);
  };
  const { x, y, width, height } = BOX;
  fill(x, y, width, 6);
  fill(x, y + height - 6, width, 6);
  fill(x, y, 6, height);
  fill(x + width - 6, y, 6, height);
  fill(x + 78, y, 4, height);
  fill(x + 82, y + 60, width - 88, 1); // the transom: one full row...
  fill(x + 82, y + 61, width - 88, 1, 0.5); // ...and one half covered
  // A solid panel in the left pane (a door's kick plate), its wood grain streaked with the background's brown.
  const panel = (px: number, py: number) => options.grainPanel === true && px >= x + 6 && px < x + 78 && py >= y + 6 && py < y + height - 6;
  const grain = (px: number, py: number) => panel(px, py) && (px + (py >> 4)) % 9 < 2;
  if (options.grainPanel) fill(x + 6, y + 6, 72, height - 12);
  const image = Buffer.alloc(W * H * 3);
  const model = Buffer.alloc(W * H);
  const ball = (px: number, py: number) => (px - 80) ** 2 + (py - 85) ** 2 < 16 ** 2;
  // A dark leaf of the frame's own colour behind the right pane, touching the mullion.
  const leaf = (px: number, py: number) => options.darkLeaf === true && ((px - (x + 87)) / 6) ** 2 + ((py - (y + 95)) / 4) ** 2 < 1;
  for (let py = 0; py < H; py++) {
    for (let px = 0; px < W; px++) {
      const i = py * W + px;
      const behind = leaf(px, py) ? FINISH : ball(px, py) ? BALL : tiles[(py >> 3) * Math.ceil(W / 8) + (px >> 3)];
      const a = coverage[i];
      const noise = (random() - 0.5) * 6;
      const front = grain(px, py) ? palette[4] : FINISH;
      for (let c = 0; c < 3; c++) image[i * 3 + c] = Math.max(0, Math.min(255, Math.round(a * front[c] + (1 - a) * behind[c] + noise)));
      model[i] = a >= 0.5 || ball(px, py) ? 255 : 0;
    }
  }
  const truth = Buffer.from(Array.from(coverage, (a) => Math.round(a * 255)));
  const rgb: RawImage = { data: image, width: W, height: H, channels: 3 };
  const modelMatte: AlphaMask = { data: model, width: W, height: H };
  return { rgb, truth, model: modelMatte };
}

/**
 * A W x H scene painted pixel by pixel: `at` gives each pixel's colour (before +-3 levels of
 * noise), whether the model took it, and whether it is the frame (the truth). x, y are
 * relative to BOX, inBox whether the pixel lies in it.
 */
function paintScene(
  seed: number,
  at: (pixel: { px: number; py: number; x: number; y: number; inBox: boolean }) => { color: number[]; model: boolean; frame: boolean },
) {
  const random = mulberry32(seed);
  const rgb: RawImage = { data: Buffer.alloc(W * H * 3), width: W, height: H, channels: 3 };
  const model: AlphaMask = { data: Buffer.alloc(W * H), width: W, height: H };
  const truth = Buffer.alloc(W * H);
  for (let py = 0; py < H; py++)
    for (let px = 0; px < W; px++) {
      const i = py * W + px;
      const x = px - BOX.x;
      const y = py - BOX.y;
      const pixel = at({ px, py, x, y, inBox: x >= 0 && y >= 0 && x < BOX.width && y < BOX.height });
      for (let k = 0; k < 3; k++) rgb.data[i * 3 + k] = Math.max(0, Math.min(255, Math.round(pixel.color[k] + (random() - 0.5) * 6)));
      model.data[i] = pixel.model ? 255 : 0;
      truth[i] = pixel.frame ? 255 : 0;
    }
  return { rgb, model, truth };
}

describe('the matte of a framed product from its finish', () => {
  test('follows the frame: what shows through it is dropped, a thin bar keeps its partial coverage', () => {
    const { rgb, truth, model } = windowOverClutter();
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    const alpha = matte!.alpha.data;
    expect(Math.abs(matte!.finish[0] - FINISH[0])).toBeLessThan(12);
    expect(alpha[85 * W + 80]).toBe(0); // the ball behind the pane
    expect(alpha[(BOX.y + 2) * W + BOX.x + 50]).toBe(255); // the top bar
    expect(alpha[(BOX.y + 60) * W + BOX.x + 120]).toBeGreaterThan(200); // the transom's full row
    const half = alpha[(BOX.y + 61) * W + BOX.x + 120];
    expect(half).toBeGreaterThan(70);
    expect(half).toBeLessThan(190);
    expect(alpha[(BOX.y + 40) * W + BOX.x + 120]).toBe(0); // the right pane's clutter
    expect(maskIoU(alpha, truth)).toBeGreaterThan(0.95);
    // Nothing outside the box.
    for (let py = 0; py < H; py++)
      for (let px = 0; px < W; px++) if (px < BOX.x || py < BOX.y || px >= BOX.x + BOX.width || py >= BOX.y + BOX.height) expect(alpha[py * W + px]).toBe(0);
  });

  test("a dark leaf of the frame's colour seen through a pane, touching a bar, is dropped (small, off the bars, not the model's)", () => {
    const { rgb, truth, model } = windowOverClutter({ darkLeaf: true });
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    const alpha = matte!.alpha.data;
    expect(alpha[(BOX.y + 95) * W + BOX.x + 88]).toBe(0);
    expect(alpha[(BOX.y + 95) * W + BOX.x + 80]).toBe(255); // the mullion it touches
    expect(maskIoU(alpha, truth)).toBeGreaterThan(0.9);
  });

  test("a panel's grain streaks (not the finish's colour, but held by the model) stay in the panel; the other pane still clears", () => {
    const { rgb, truth, model } = windowOverClutter({ grainPanel: true });
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    const alpha = matte!.alpha.data;
    let streaks = 0;
    let kept = 0;
    for (let py = BOX.y + 12; py < BOX.y + BOX.height - 12; py++)
      for (let px = BOX.x + 12; px < BOX.x + 72; px++) {
        if ((px + (py >> 4)) % 9 >= 2) continue;
        streaks++;
        if (alpha[py * W + px] === 255) kept++;
      }
    expect(kept / streaks).toBeGreaterThan(0.98);
    expect(alpha[(BOX.y + 40) * W + BOX.x + 120]).toBe(0); // the right pane's clutter
    expect(maskIoU(alpha, truth)).toBeGreaterThan(0.95);
  });

  test("a thin light lattice over a large subject the model took: the finish is the colour all but absent outside the box, not the band's commonest", () => {
    // A tan subject (a cat's face) fills most of the box and spills just past its sides, so the
    // band holds more of it than of the lattice;
    // a white lattice of 3 px bars, shaded across, lies over it. The model took the subject.
    const TAN = [196, 158, 122];
    const { rgb, model, truth } = paintScene(11, ({ px, py, x, y, inBox }) => {
      const bar = inBox && (x % 28 < 3 || y % 28 < 3);
      const subject = (px - 120) ** 2 / 85 ** 2 + (py - 90) ** 2 / 62 ** 2 < 1;
      const white = 228 + (27 * x) / BOX.width;
      const behind = subject ? TAN : [90 + ((px >> 3) % 3) * 30, 130, 150 - ((py >> 3) % 2) * 40];
      return { color: bar ? [white, white, white] : behind, model: subject && inBox, frame: bar };
    });
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    expect(matte!.finish[0]).toBeGreaterThan(220);
    expect(maskIoU(matte!.alpha.data, truth)).toBeGreaterThan(0.9);
  });

  test('a box drawn loosely (its band all background) is searched again inside its margin', () => {
    // A dark window on a plain wall, a large purple object behind its panes that the model
    // took with it: the band of the loose box holds only wall, the model's commonest colour is
    // the object's.
    const { rgb, model, truth } = paintScene(5, ({ px, py, x, y, inBox }) => {
      const bar = inBox && (x < 6 || y < 6 || x >= BOX.width - 6 || y >= BOX.height - 6 || (x >= 78 && x < 82));
      const object = (px - 120) ** 2 / 50 ** 2 + (py - 90) ** 2 / 44 ** 2 < 1;
      return { color: bar ? FINISH : object ? [110, 40, 170] : [226, 224, 218], model: bar || object, frame: bar };
    });
    const loose = { x: BOX.x - 18, y: BOX.y - 18, width: BOX.width + 36, height: BOX.height + 36 };
    const matte = matteByFinish(rgb, loose, model, boxColorPrior(rgb, loose));
    expect(matte).toBeDefined();
    expect(Math.abs(matte!.finish[0] - FINISH[0])).toBeLessThan(12);
    expect(matte!.alpha.data[90 * W + 100]).toBe(0); // the object behind the panes
    expect(maskIoU(matte!.alpha.data, truth)).toBeGreaterThan(0.95);
  });

  test("a floor of the frame's colour running through the box is no bar of the frame: dropped, the railing kept", () => {
    // A grey railing (a top rail, 4 px balusters) on a lilac wall; a grey floor crosses the
    // whole photo under it, 13 rows of the loosely drawn box (thin enough to pass for a bar).
    // The model took the railing only.
    const GREY = [153, 155, 161];
    const loose = { x: BOX.x - 4, y: BOX.y - 4, width: BOX.width + 8, height: BOX.height + 8 };
    const floorTop = loose.y + loose.height - 13;
    const { rgb, model, truth } = paintScene(3, ({ py, x, y, inBox }) => {
      const bar = inBox && (y < 6 || x % 20 < 4 || x >= BOX.width - 4);
      return { color: bar ? GREY : py >= floorTop ? [148, 150, 156] : [182, 170, 200], model: bar, frame: bar };
    });
    const matte = matteByFinish(rgb, loose, model, boxColorPrior(rgb, loose));
    expect(matte).toBeDefined();
    expect(matte!.alpha.data[(floorTop + 6) * W + BOX.x + 10]).toBe(0); // the floor between two balusters
    expect(matte!.alpha.data[(floorTop + 6) * W + BOX.x + 41]).toBe(255); // a baluster over it
    expect(maskIoU(matte!.alpha.data, truth)).toBeGreaterThan(0.95);
  });

  test("a box reaching the photo's edges on most sides leaves too little ring to learn the background from; the margin inside it serves", () => {
    // The window of the first test, boxed from the photo's left, top and right edges down to
    // 6 px above its bottom: outside the box only that strip of clutter is left.
    const { rgb, truth, model } = windowOverClutter();
    const edgeToEdge = { x: 0, y: 0, width: W, height: H - 6 };
    expect(boxColorPrior(rgb, edgeToEdge)).toEqual({});
    // Inside the box, around the window, the clutter is the ring of the loose-box search.
    const matte = matteByFinish(rgb, edgeToEdge, model, boxColorPrior(rgb, edgeToEdge));
    expect(matte).toBeDefined();
    expect(maskIoU(matte!.alpha.data, truth)).toBeGreaterThan(0.9);
  });

  test('a finish the background has as much as the band (a last resort): blobs of its colour between the bars are dropped, a diagonal brace kept', () => {
    // A bronze frame with a mullion and a 45-degree brace, in front of a light sheet, on a
    // bronze-brown wall all around the box (so the finish is no commoner in the band than
    // outside it); behind the right pane a dark-bronze disc (a tyre) that the model took.
    const BRONZE = [93, 75, 60];
    const { rgb, model, truth } = paintScene(9, ({ x, y, inBox }) => {
      const bar = inBox && (x < 5 || y < 5 || x >= BOX.width - 5 || y >= BOX.height - 5 || (x >= 78 && x < 83));
      const brace = inBox && x < 78 && Math.abs(x + y - 45) <= 3;
      const tyre = (x - 120) ** 2 + (y - 60) ** 2 < 16 ** 2;
      const color = bar || brace || tyre ? BRONZE : inBox ? [226, 222, 214] : [101, 80, 62];
      return { color, model: bar || brace || tyre, frame: bar || brace };
    });
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    const at = (x: number, y: number) => matte!.alpha.data[(BOX.y + y) * W + BOX.x + x];
    expect(at(120, 60)).toBe(0); // the tyre seen through the pane
    expect(at(22, 23)).toBe(255); // the brace
    expect(maskIoU(matte!.alpha.data, truth)).toBeGreaterThan(0.9);
  });

  test('a scatter of specks of one colour, under a tenth of the box and off straight bars, is refused: the model stands', () => {
    const random = mulberry32(11);
    const rgb: RawImage = { data: Buffer.alloc(W * H * 3), width: W, height: H, channels: 3 };
    const model: AlphaMask = { data: Buffer.alloc(W * H), width: W, height: H };
    const speck = new Uint8Array(W * H);
    // 2x2 specks covering about 6 % of the box.
    for (let n = 0; n < 300; n++) {
      const sx = BOX.x + Math.floor(random() * (BOX.width - 2));
      const sy = BOX.y + Math.floor(random() * (BOX.height - 2));
      for (let y = sy; y < sy + 2; y++) for (let x = sx; x < sx + 2; x++) speck[y * W + x] = 1;
    }
    for (let i = 0; i < W * H; i++) {
      const c = speck[i] ? FINISH : [220, 215, 205];
      for (let k = 0; k < 3; k++) rgb.data[i * 3 + k] = c[k];
      model.data[i] = speck[i] ? 255 : 0;
    }
    expect(matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX))).toBeUndefined();
  });

  test('a frame of 2 px members (7 % of the box, on straight bars) is a thin frame, not specks: its matte is kept', () => {
    const rgb: RawImage = { data: Buffer.alloc(W * H * 3), width: W, height: H, channels: 3 };
    const model: AlphaMask = { data: Buffer.alloc(W * H), width: W, height: H };
    const thin = (px: number, py: number) => {
      const x = px - BOX.x;
      const y = py - BOX.y;
      const inside = x >= 0 && y >= 0 && x < BOX.width && y < BOX.height;
      return inside && (x < 2 || y < 2 || x >= BOX.width - 2 || y >= BOX.height - 2 || (x >= 79 && x < 81));
    };
    for (let py = 0; py < H; py++)
      for (let px = 0; px < W; px++) {
        const i = py * W + px;
        const c = thin(px, py) ? FINISH : [220, 215, 205];
        for (let k = 0; k < 3; k++) rgb.data[i * 3 + k] = c[k];
        model.data[i] = thin(px, py) ? 255 : 0;
      }
    const matte = matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX));
    expect(matte).toBeDefined();
    expect(maskIoU(matte!.alpha.data, model.data)).toBeGreaterThan(0.9);
  });

  test('a compact object in the box is no frame: undefined, so the model stands', () => {
    const { rgb, model } = ballInBox(30);
    expect(matteByFinish(rgb, BOX, model, boxColorPrior(rgb, BOX))).toBeUndefined();
  });
});

/** A red ball of `radius` px in the middle of BOX on a plain wall, and a model matte holding the ball alone. */
function ballInBox(radius: number) {
  const rgb: RawImage = { data: Buffer.alloc(W * H * 3), width: W, height: H, channels: 3 };
  const model: AlphaMask = { data: Buffer.alloc(W * H), width: W, height: H };
  for (let py = 0; py < H; py++) {
    for (let px = 0; px < W; px++) {
      const i = py * W + px;
      const inBall = (px - 120) ** 2 + (py - 90) ** 2 < radius ** 2;
      const c = inBall ? BALL : [220, 215, 205];
      for (let k = 0; k < 3; k++) rgb.data[i * 3 + k] = c[k];
      model.data[i] = inBall ? 255 : 0;
    }
  }
  return { rgb, model };
}

/** A bench:frames scene and the matte IS-Net gave it, thresholded (test/fixtures/frames). */
async function sceneWithModel(kind: FrameKind, seed: number) {
  const scene = await frameScene(kind, seed);
  const { data, info } = await sharp(scene.image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb: RawImage = { data, width: info.width, height: info.height, channels: 3 };
  const file = join(FIXTURES, 'frames', `${kind}-${seed}-model.png`);
  const model: AlphaMask = { data: await sharp(file).greyscale().raw().toBuffer(), width: info.width, height: info.height };
  return { scene, rgb, model };
}

/** The finish matte of a bench:frames scene from its fixture model matte: its IoU with the truth, the model's, and the finish's colour. */
async function finishOfScene(kind: FrameKind, seed: number) {
  const { rgb, model, scene } = await sceneWithModel(kind, seed);
  const matte = matteByFinish(rgb, scene.box, model, boxColorPrior(rgb, scene.box));
  expect(matte).toBeDefined();
  return { iou: maskIoU(matte!.alpha.data, scene.alpha), modelIoU: maskIoU(model.data, scene.alpha), finish: matte!.finish };
}

describe('a bench:frames scene with the model matte IS-Net gave it (test/fixtures/frames)', () => {
  test("a two-tone white trellis on a sweep (lit and shaded slats, held-out seed 12002): the finish whose matte is the model's own wins over the lit white alone, far rarer outside the box", async () => {
    const found = await finishOfScene('trellis', 12002);
    expect(found.iou).toBeGreaterThan(0.9);
  });

  test("a white pergola on a sweep (held-out seed 12005): a highlight finish covering under a tenth of the box is no candidate, so the frame's own white is chosen, not refused with it", async () => {
    const found = await finishOfScene('pergola', 12005);
    expect(found.iou).toBeGreaterThan(0.9);
  });

  test('a black railing of 2.2 px balusters over a wall (held-out seed 12006): its finish covers under a tenth of the box but lies on straight bars, so it is the frame', async () => {
    const found = await finishOfScene('railing', 12006);
    expect(found.iou).toBeGreaterThan(0.65);
    expect(found.iou).toBeGreaterThan(found.modelIoU + 0.2);
  });

  test("an anthracite railing over a butterfly on a leaf (held-out seed 18002): the leaf's green, boxed with it, is the band's densest colour the ring lacks; the railing's anthracite, the next, is the frame, not the butterfly's black the model took", async () => {
    const found = await finishOfScene('railing', 18002);
    expect(found.finish.every((c, k) => Math.abs(c - [61, 65, 69][k]) < 12)).toBe(true);
    expect(found.iou).toBeGreaterThan(0.6);
  });

  test("a wood pergola over the garage (held-out seed 18001): of the band's colours the ring lacks, a pale one of the garage is densest; the wood, next, lies on straight bars and is the frame", async () => {
    const found = await finishOfScene('pergola', 18001);
    expect(found.iou).toBeGreaterThan(0.5);
    expect(found.iou).toBeGreaterThan(found.modelIoU + 0.3);
  });

  test("a grey glazed door over the plant (held-out seed 10005): the shadowed grey of its stiles, rare outside the box and on straight bars, is a shade of the door's own finish, not a finish of its own", async () => {
    const found = await finishOfScene('door', 10005);
    expect(found.iou).toBeGreaterThan(0.95);
  });

  test("a grey railing over the cat (held-out seed 20005): its 2 px balusters, lit lighter than the rails, are the finish's colour scaled, on straight bars joined to the rails: kept", async () => {
    const found = await finishOfScene('railing', 20005);
    expect(found.iou).toBeGreaterThan(0.8);
  });

  test("a bronze pergola over the plant (held-out seed 9003): a glass's straight rim of a bronze shade behind it stands apart from the frame: not added", async () => {
    const found = await finishOfScene('pergola', 9003);
    expect(found.iou).toBeGreaterThan(0.91);
  });

  test("a wood diagonal trellis (held-out seed 9005): the lit shade of its straight outer frame does not outvote the lattice's finish (shades are added after the choice)", async () => {
    const found = await finishOfScene('trellis', 9005);
    expect(found.iou).toBeGreaterThan(0.95);
  });

  test("a wood railing over a wood table (held-out seed 24002): no finish is commoner in the band than outside; the one lying on straight bars is the railing, not the table's brown the model took with it", async () => {
    const found = await finishOfScene('railing', 24002);
    expect(found.iou).toBeGreaterThan(0.8);
    expect(found.iou).toBeGreaterThan(found.modelIoU + 0.3);
  });

  test("a white door over a pale wall (held-out seed 10001): a strip of the wall in the box's margin, a shade of the white, reaches the box's edge: no member of the door", async () => {
    const found = await finishOfScene('door', 10001);
    expect(found.iou).toBeGreaterThan(0.95);
  });

  test('a grey door over the garage (held-out seed 11005): the pale door seen through its pane, a lighter shade of the grey, is wide, not a member', async () => {
    const found = await finishOfScene('door', 11005);
    expect(found.iou).toBeGreaterThan(0.93);
  });

  test("a bronze glazed door over the apple (held-out seed 14006): the only lifted colour is the fruit through the glass, so the door's own finish, which the model's matte shares, is the frame", async () => {
    const found = await finishOfScene('door', 14006);
    expect(found.iou).toBeGreaterThan(0.95);
  });
});

describe('the close-up or the whole photo: which model matte the finish is learnt from (frame/frameTask.ts, in the pool)', () => {
  afterAll(() => closeWorkerPool());

  /** The whole photo's matte from test/fixtures/frames, as the segmenter's run over the whole photo would return it; counts its calls. */
  async function wholePhotoRun(kind: FrameKind, seed: number, width: number, height: number) {
    const file = join(FIXTURES, 'frames', `${kind}-${seed}-whole-model.png`);
    const matte: AlphaMask = { data: await sharp(file).greyscale().raw().toBuffer(), width, height };
    const calls = { count: 0 };
    const run = async () => {
      calls.count++;
      return { matte, guided: false, device: 'cpu' as const, inferenceMs: 7 };
    };
    return { run, calls };
  }

  test('a bronze diagonal trellis over the cat (held-out seed 16004): close up the model takes the eye and too little of the lattice to learn a finish from; seen whole the lattice stands out, and its finish gives the frame', async () => {
    const { rgb, model, scene } = await sceneWithModel('trellis', 16004);
    const whole = await wholePhotoRun('trellis', 16004, rgb.width, rgb.height);
    const found = await framedMatte(rgb, scene.box, model, whole.run);
    expect(found.byFinishColors).toBe(true);
    expect(whole.calls.count).toBe(1);
    expect(found.extraInferenceMs).toBe(7);
    expect(found.alpha).toBeDefined();
    expect(maskIoU(found.alpha!.data, scene.alpha)).toBeGreaterThan(0.7);
    expect(maskIoU(found.alpha!.data, scene.alpha)).toBeGreaterThan(maskIoU(model.data, scene.alpha) + 0.4);
  });

  test("a white trellis over the butterfly (held-out seed 22001): close up the model keeps nothing; seen whole, the butterfly's black is the only finish, a last resort left with a stripe once its blobs go: refused, so the whole photo's matte inside the box stands, not an empty cut-out", async () => {
    const { rgb, model, scene } = await sceneWithModel('trellis', 22001);
    const whole = await wholePhotoRun('trellis', 22001, rgb.width, rgb.height);
    const seenWhole = (await whole.run()).matte;
    expect(matteByFinish(rgb, scene.box, seenWhole, boxColorPrior(rgb, scene.box))).toBeUndefined();
    const found = await framedMatte(rgb, scene.box, model, whole.run);
    expect(found.byFinishColors).toBe(false);
    expect(found.alpha).toBeDefined();
    expect(maskIoU(model.data, scene.alpha)).toBeLessThan(0.01);
    expect(maskIoU(found.alpha!.data, scene.alpha)).toBeGreaterThan(0.2);
  });

  test('no finish from a close-up holding a tenth of the box or more: it stands, the model is not run again; under a tenth, the whole photo is asked', async () => {
    for (const [radius, runs] of [
      [30, 0],
      [15, 1],
    ]) {
      const { rgb, model } = ballInBox(radius);
      let calls = 0;
      const found = await framedMatte(rgb, BOX, model, async () => {
        calls++;
        return { matte: model, guided: false, device: 'cpu' as const, inferenceMs: 5 };
      });
      expect(calls).toBe(runs);
      expect(found).toEqual({ alpha: undefined, byFinishColors: false, extraInferenceMs: 5 * runs });
    }
  });

  test("the search runs in the pool: n8n's event loop keeps ticking meanwhile", async () => {
    const { rgb, model, scene } = await sceneWithModel('pergola', 18001);
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 20);
    const started = performance.now();
    const found = await framedMatte(rgb, scene.box, model, undefined);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    longestGap = Math.max(longestGap, performance.now() - last);
    console.log(`frame search ${elapsed.toFixed(0)} ms, longest event-loop gap ${longestGap.toFixed(0)} ms`);
    expect(found.byFinishColors).toBe(true);
    // On the main thread the search would be one gap as long as itself; relative bounds, as a busy machine slows both alike.
    expect(longestGap).toBeLessThan(elapsed / 2);
  });

  test('a close-up whose matte gives the finish runs the model once only', async () => {
    const { rgb, truth, model } = windowOverClutter();
    let calls = 0;
    const found = await framedMatte(rgb, BOX, model, async () => {
      calls++;
      throw new Error('the whole photo is not needed');
    });
    expect(calls).toBe(0);
    expect(found.extraInferenceMs).toBe(0);
    expect(maskIoU(found.alpha!.data, truth)).toBeGreaterThan(0.9);
  });
});

describe('the frame search at its work scale (frame/workScale.ts)', () => {
  afterAll(() => closeWorkerPool());

  test('a photo within the work side is searched as it is; a larger one at the work side, its box scaled around the same pixels, and masks brought back inside the box', async () => {
    const rgb: RawImage = { data: Buffer.alloc(600 * 400 * 3, 90), width: 600, height: 400, channels: 3 };
    const same = await frameWorkScale(rgb, BOX);
    expect(same.rgb).toBe(rgb);
    expect(same.box).toBe(BOX);
    const big: RawImage = { data: Buffer.alloc(2560 * 1920 * 3, 90), width: 2560, height: 1920, channels: 3 };
    const box = { x: 400, y: 300, width: 1601, height: 1201 };
    const work = await frameWorkScale(big, box);
    expect([work.rgb.width, work.rgb.height]).toEqual([FRAME_WORK_SIDE, 960]);
    expect(work.box).toEqual({ x: 200, y: 150, width: 801, height: 601 });
    // A mask filling the whole photo comes back only inside the full-size box.
    const full = await work.up({ data: Buffer.alloc(FRAME_WORK_SIDE * 960, 255), width: FRAME_WORK_SIDE, height: 960 });
    expect([full.width, full.height]).toEqual([2560, 1920]);
    expect(full.data[299 * 2560 + 1000]).toBe(0);
    expect(full.data[300 * 2560 + 1000]).toBe(255);
    expect(full.data[1000 * 2560 + 2000]).toBe(255);
    expect(full.data[1000 * 2560 + 2001]).toBe(0);
  });

  test('a window over the wall at 1920 x 1440 (bench:frames held-out seed 13001, scaled 3x) is found at the work scale as at its own size', async () => {
    const scene = await frameScene('window', 13001);
    const [width, height] = [scene.width * 3, scene.height * 3];
    const photo = await sharp(scene.image).resize(width, height).png({ compressionLevel: 1 }).toBuffer();
    const truth = await sharp(Buffer.from(scene.alpha), { raw: { width: scene.width, height: scene.height, channels: 1 } })
      .resize(width, height)
      .extractChannel(0)
      .raw()
      .toBuffer();
    const box = { x: scene.box.x * 3, y: scene.box.y * 3, width: scene.box.width * 3, height: scene.box.height * 3 };
    const result = await cleanupImage(
      photo,
      { mode: 'mask', hint: { box, frame: true, units: 'px' } },
      { config: { modelCacheDir: modelCacheDir(), device: 'cpu' } },
    );
    expect(result.metadata.hint?.source).toBe('box colours');
    const alpha = await sharp(result.data).extractChannel(0).raw().toBuffer();
    expect(maskIoU(alpha, truth)).toBeGreaterThan(0.95);
  });
});

describe('frame scenes (testkit/frameScenes.ts)', () => {
  test.each(FRAME_KINDS)('%s: the same seed gives the same scene, its truth has soft edges and lies inside the box', async (kind) => {
    const a = await frameScene(kind, 3);
    const b = await frameScene(kind, 3);
    const other = await frameScene(kind, 4);
    expect(Buffer.compare(a.image, b.image)).toBe(0);
    expect(Buffer.compare(Buffer.from(a.alpha), Buffer.from(other.alpha))).not.toBe(0);
    let soft = 0;
    let solid = 0;
    for (let i = 0; i < a.alpha.length; i++) {
      const v = a.alpha[i];
      if (v > 0 && v < 255) soft++;
      if (v === 255) solid++;
      if (v > 0) {
        const x = i % a.width;
        const y = Math.floor(i / a.width);
        expect(x >= a.box.x && y >= a.box.y && x < a.box.x + a.box.width && y < a.box.y + a.box.height).toBe(true);
      }
    }
    expect(solid).toBeGreaterThan(500);
    expect(soft).toBeGreaterThan(100);
    expect(a.describe).toContain(kind);
  });
});
