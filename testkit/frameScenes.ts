import sharp from 'sharp';

import type { BoundingBox } from '../src/engine/image/types';
import { PHOTOS, photoPath } from './fixtures';
import { backgroundRegion, mulberry32 } from './windowScene';

/**
 * Scenes of our products with a known alpha, drawn as varied as real photos are: windows
 * (with and without glass reflections), glazed doors with a solid panel, diagonal trellis,
 * railings with thin balusters and pergolas with posts, beams, slats and braces; turned and
 * seen in perspective; anthracite, white, grey, black, bronze and wood finishes; over whole
 * fixture photos (their cat, motorcycle or cup behind the frame), subject-free crops of them,
 * or plain walls, with people, balls, tables and plants drawn behind. Each product is drawn
 * 4x4 supersampled, so the known alpha is the true coverage (soft on slanted edges).
 * What shows through a pane or a gap is background: alpha 0 there, glass included (the
 * cut-out a catalogue wants, see-through "gaps").
 */
export const FRAME_KINDS = ['window', 'door', 'trellis', 'railing', 'pergola'] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

export interface FrameScene {
  kind: FrameKind;
  seed: number;
  /** PNG. */
  image: Buffer;
  /** Known alpha (coverage, 0..255), width x height. */
  alpha: Uint8Array;
  width: number;
  height: number;
  /** A box around the product as a person would draw it (a few pixels loose). */
  box: BoundingBox;
  /** What the scene has, for the bench's listing. */
  describe: string;
}

export type Rgb = [number, number, number];
export type Random = () => number;

const FINISHES: Array<{ name: string; color: Rgb; wood?: boolean }> = [
  { name: 'anthracite', color: [56, 60, 64] },
  { name: 'white', color: [236, 236, 232] },
  { name: 'grey', color: [150, 154, 158] },
  { name: 'black', color: [28, 29, 31] },
  { name: 'bronze', color: [96, 74, 54] },
  { name: 'wood', color: [150, 104, 64], wood: true },
];

export const SUPER = 4;

/** The projective map taking the rectangle [0,w]x[0,h] to a quadrilateral (and back). */
function homography(from: Array<[number, number]>, to: Array<[number, number]>): (x: number, y: number) => [number, number] {
  // Solve for h (8 unknowns, h33 = 1): to = H from.
  const rows: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k];
    const [u, v] = to[k];
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let pivot = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(rows[r][c]) > Math.abs(rows[pivot][c])) pivot = r;
    [rows[c], rows[pivot]] = [rows[pivot], rows[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = rows[r][c] / rows[c][c];
      for (let k = c; k < 9; k++) rows[r][k] -= f * rows[c][k];
    }
  }
  const h = rows.map((row, i) => row[8] / row[i]);
  return (x, y) => {
    const d = h[6] * x + h[7] * y + 1;
    return [(h[0] * x + h[1] * y + h[2]) / d, (h[3] * x + h[4] * y + h[5]) / d];
  };
}

/** Part of the product at local point (u, v): 0 none, else a part number (shaded apart). */
type Shape = (u: number, v: number) => number;

interface Product {
  /** Size in local pixels. */
  width: number;
  height: number;
  shape: Shape;
  /** Local regions that are glass (reflections drawn there; still background in the alpha). */
  glass?: Shape;
  describe: string;
}

export const between = (random: Random, low: number, high: number) => low + random() * (high - low);
export const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)];

/** A rectangular frame with mullions and transoms: the window and the door's upper part. */
function gridShape(width: number, height: number, bar: number, mullion: number, cols: number, rows: number): Shape {
  return (u, v) => {
    if (u < bar || v < bar || u >= width - bar || v >= height - bar) return 1;
    for (let c = 1; c < cols; c++) if (Math.abs(u - (bar + ((width - 2 * bar) * c) / cols)) < mullion / 2) return 2;
    for (let r = 1; r < rows; r++) if (Math.abs(v - (bar + ((height - 2 * bar) * r) / rows)) < mullion / 2) return 2;
    return 0;
  };
}

function makeProduct(kind: FrameKind, random: Random, scale: number): Product {
  const px = (low: number, high: number) => Math.max(1.5, between(random, low, high) * scale);
  switch (kind) {
    case 'window': {
      const width = 400;
      const height = between(random, 300, 460);
      const bar = px(6, 16);
      const mullion = Math.max(3, bar * between(random, 0.5, 0.9));
      const [cols, rows] = pick(random, [
        [2, 1],
        [1, 2],
        [3, 1],
        [2, 2],
        [3, 2],
        [4, 1],
      ] as Array<[number, number]>);
      const shape = gridShape(width, height, bar, mullion, cols, rows);
      const glassy = random() < 0.5;
      return {
        width,
        height,
        shape,
        glass: glassy ? (u, v) => (u >= 0 && v >= 0 && u < width && v < height && !shape(u, v) ? 1 : 0) : undefined,
        describe: `${cols}x${rows} panes, bar ${bar.toFixed(0)} px${glassy ? ', glass' : ''}`,
      };
    }
    case 'door': {
      const width = 240;
      const height = 480;
      const bar = px(10, 18);
      const panelTop = height * between(random, 0.45, 0.65);
      const cols = pick(random, [1, 2]);
      const upper = gridShape(width, panelTop + bar, bar, bar * 0.7, cols, pick(random, [1, 2]));
      const handleV = panelTop - between(random, 10, 30);
      const shape: Shape = (u, v) => {
        if (u < 0 || v < 0 || u >= width || v >= height) return 0;
        if (v >= panelTop) return u < bar || u >= width - bar || v >= height - bar ? 1 : 3; // the solid panel is product
        if (u > width - bar - 26 && u < width - bar - 14 && Math.abs(v - handleV) < 28) return 4;
        return upper(u, v);
      };
      const glassy = random() < 0.6;
      return {
        width,
        height,
        shape,
        glass: glassy ? (u, v) => (u >= 0 && v >= 0 && u < width && v < panelTop && !shape(u, v) ? 1 : 0) : undefined,
        describe: `${cols} glazed over a panel${glassy ? ', glass' : ''}`,
      };
    }
    case 'trellis': {
      const width = between(random, 320, 440);
      const height = between(random, 320, 460);
      const slat = px(2, 7);
      const spacing = between(random, 12, 42) * scale;
      // No border, a thin one, or a lattice set in a frame as wide as a window's.
      const framing = random();
      const border = framing < 0.35 ? 0 : framing < 0.7 ? px(4, 9) : px(12, 22);
      const angle = (between(random, 30, 60) * Math.PI) / 180;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const shape: Shape = (u, v) => {
        if (u < 0 || v < 0 || u >= width || v >= height) return 0;
        if (border && (u < border || v < border || u >= width - border || v >= height - border)) return 1;
        const a = (((u * c + v * s) % spacing) + spacing) % spacing;
        const b = (((u * c - v * s) % spacing) + spacing) % spacing;
        if (a < slat) return 2;
        if (b < slat) return 3;
        return 0;
      };
      return {
        width,
        height,
        shape,
        describe: `slats ${slat.toFixed(1)} px every ${spacing.toFixed(0)} px${framing >= 0.7 ? `, in a ${border.toFixed(0)} px frame` : border ? ', bordered' : ''}`,
      };
    }
    case 'railing': {
      const width = 520;
      const height = between(random, 170, 260);
      const rail = px(7, 14);
      const post = px(12, 20);
      const baluster = px(2, 6);
      const spacing = between(random, 14, 30) * scale;
      const bottom = height - rail * 0.8;
      const middlePost = random() < 0.5;
      const shape: Shape = (u, v) => {
        if (u < 0 || v < 0 || u >= width || v >= height) return 0;
        if (u < post || u >= width - post || (middlePost && Math.abs(u - width / 2) < post / 2)) return 1;
        if (v < rail) return 2;
        if (v >= bottom - rail * 0.8 && v < bottom) return 2;
        if (v >= bottom) return 0; // the gap under the bottom rail
        const k = (u - post) % spacing;
        return k < baluster ? 3 : 0;
      };
      return { width, height, shape, describe: `balusters ${baluster.toFixed(1)} px every ${spacing.toFixed(0)} px` };
    }
    case 'pergola': {
      const width = 520;
      const height = between(random, 320, 420);
      const post = px(12, 24);
      const beam = px(14, 26);
      const slat = px(3, 7);
      const slatBand = height * between(random, 0.18, 0.3);
      const slats = Math.round(between(random, 4, 9));
      const posts = pick(random, [2, 3]);
      const brace = px(5, 9);
      const braceLength = between(random, 50, 90) * scale;
      const postAt = (p: number) => post / 2 + ((width - post) * p) / (posts - 1);
      const shape: Shape = (u, v) => {
        if (u < 0 || v < 0 || u >= width || v >= height) return 0;
        for (let p = 0; p < posts; p++) if (Math.abs(u - postAt(p)) < post / 2 && v >= slatBand) return 1;
        if (v >= slatBand && v < slatBand + beam) return 2;
        if (v < slatBand) {
          // Roof slats seen edge-on above the beam, between two end rafters.
          if (u < post || u >= width - post) return 3;
          const pitch = slatBand / slats;
          return v % pitch < slat ? 4 : 0;
        }
        // Knee braces from each post up to the beam.
        const below = v - (slatBand + beam);
        if (below >= 0 && below < braceLength) {
          for (let p = 0; p < posts; p++) {
            const d = u - postAt(p);
            // Outer posts brace inwards only.
            for (const side of p === 0 ? [1] : p === posts - 1 ? [-1] : [-1, 1]) {
              const along = side * d - post / 2;
              if (along > 0 && along < braceLength && Math.abs(along - (braceLength - below)) < brace) return 5;
            }
          }
        }
        return 0;
      };
      return { width, height, shape, describe: `${posts} posts, ${slats} slats ${slat.toFixed(1)} px, braces` };
    }
  }
}

/** Fills pixels for which `coverage` (0..1 at a point) holds with a colour, supersampled. */
export function paint(
  image: Uint8Array,
  width: number,
  height: number,
  bounds: { x0: number; y0: number; x1: number; y1: number },
  inside: (x: number, y: number) => boolean,
  color: (x: number, y: number) => Rgb,
) {
  for (let y = Math.max(0, Math.floor(bounds.y0)); y < Math.min(height, Math.ceil(bounds.y1)); y++) {
    for (let x = Math.max(0, Math.floor(bounds.x0)); x < Math.min(width, Math.ceil(bounds.x1)); x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPER; sy++) for (let sx = 0; sx < SUPER; sx++) if (inside(x + (sx + 0.5) / SUPER, y + (sy + 0.5) / SUPER)) hits++;
      if (!hits) continue;
      const cover = hits / (SUPER * SUPER);
      const [r, g, b] = color(x, y);
      const i = (y * width + x) * 3;
      image[i] = Math.round(image[i] * (1 - cover) + r * cover);
      image[i + 1] = Math.round(image[i + 1] * (1 - cover) + g * cover);
      image[i + 2] = Math.round(image[i + 2] * (1 - cover) + b * cover);
    }
  }
}

const clamp = (v: number) => Math.max(0, Math.min(255, v));

/** People, balls, tables and plants behind the product: the things a salient-object model likes better than a frame. */
function drawBehind(image: Uint8Array, width: number, height: number, random: Random, count: number): string[] {
  const drawn: string[] = [];
  for (let n = 0; n < count; n++) {
    const what = pick(random, ['person', 'ball', 'table', 'plant'] as const);
    const cx = between(random, 0.15, 0.85) * width;
    const size = between(random, 0.25, 0.6) * height;
    const tone: Rgb = [between(random, 20, 230), between(random, 20, 230), between(random, 20, 230)];
    const flat = (c: Rgb) => () => c;
    if (what === 'person') {
      const head = size * 0.12;
      const top = height - size * 1.1;
      const skin: Rgb = pick(random, [
        [224, 187, 160],
        [160, 112, 80],
        [96, 64, 46],
      ]);
      paint(
        image,
        width,
        height,
        { x0: cx - head, y0: top, x1: cx + head, y1: top + 2 * head },
        (x, y) => (x - cx) ** 2 + (y - top - head) ** 2 < head ** 2,
        flat(skin),
      );
      const shoulders = size * 0.22;
      paint(
        image,
        width,
        height,
        { x0: cx - shoulders, y0: top + 2 * head, x1: cx + shoulders, y1: height },
        (x, y) => Math.abs(x - cx) < shoulders * (1 - 0.25 * ((y - top) / size)) && y > top + 2.1 * head,
        (x, y) => [clamp(tone[0] * (0.8 + 0.2 * Math.sin(y * 0.05))), clamp(tone[1]), clamp(tone[2] * (0.9 + 0.1 * Math.sin(x * 0.1)))],
      );
      drawn.push('a person');
    } else if (what === 'ball') {
      const r = size * 0.2;
      const cy = height - r - between(random, 0, 0.3) * height;
      paint(
        image,
        width,
        height,
        { x0: cx - r, y0: cy - r, x1: cx + r, y1: cy + r },
        (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r,
        (x, y) => {
          const light = 1.2 - Math.hypot(x - cx + r * 0.4, y - cy + r * 0.4) / (2 * r);
          return [clamp(tone[0] * light), clamp(tone[1] * light), clamp(tone[2] * light)];
        },
      );
      drawn.push('a ball');
    } else if (what === 'table') {
      const half = size * 0.5;
      const topY = height - size * 0.6;
      const wood: Rgb = [clamp(tone[0] * 0.6 + 60), clamp(tone[1] * 0.4 + 40), clamp(tone[2] * 0.3 + 20)];
      paint(image, width, height, { x0: cx - half, y0: topY, x1: cx + half, y1: topY + size * 0.06 }, () => true, flat(wood));
      for (const legX of [cx - half * 0.85, cx + half * 0.85 - size * 0.05])
        paint(image, width, height, { x0: legX, y0: topY, x1: legX + size * 0.05, y1: height }, () => true, flat(wood));
      drawn.push('a table');
    } else {
      const leaves = 12 + Math.floor(random() * 12);
      const base = height - between(random, 0, 0.15) * height;
      for (let l = 0; l < leaves; l++) {
        const lx = cx + between(random, -0.3, 0.3) * size;
        const ly = base - between(random, 0.1, 0.9) * size;
        const r = size * between(random, 0.05, 0.12);
        const green: Rgb = [between(random, 30, 90), between(random, 100, 180), between(random, 30, 80)];
        paint(
          image,
          width,
          height,
          { x0: lx - r, y0: ly - r, x1: lx + r, y1: ly + r },
          (x, y) => ((x - lx) / r) ** 2 + ((y - ly) / (r * 0.6)) ** 2 < 1,
          flat(green),
        );
      }
      drawn.push('a plant');
    }
  }
  return drawn;
}

/** A real or painted backdrop: a whole fixture photo (its subject behind the product), a subject-free crop of one, a studio sweep or a wall with a floor. */
export async function background(random: Random, width: number, height: number, wholePhotos = true): Promise<{ pixels: Uint8Array; describe: string }> {
  // Without whole photos (no other subject in the scene): crops, sweeps and walls in the same proportions.
  const choice = wholePhotos ? random() : 0.4 + 0.6 * random();
  const name = pick(random, PHOTOS);
  if (choice < 0.4) {
    // The whole photo: its subject is behind the product.
    const pixels = await sharp(photoPath(name)).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    return { pixels: new Uint8Array(pixels), describe: `over ${name}` };
  }
  if (choice < 0.72) {
    const region = await backgroundRegion(
      photoPath(name),
      photoPath(name)
        .replace('/photos/', '/reference-masks/')
        .replace(/\.\w+$/, '.png'),
    );
    const pixels = await sharp(photoPath(name)).extract(region).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    return { pixels: new Uint8Array(pixels), describe: `over a crop of ${name}` };
  }
  if (choice >= 0.88) {
    // A studio sweep: a paper backdrop curving from wall to floor, lit from above.
    const paper = between(random, 200, 250);
    const tint = [between(random, -6, 6), between(random, -6, 6), between(random, -6, 6)];
    const pixels = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const fall = 1 - 0.22 * (y / height) ** 2;
      for (let x = 0; x < width; x++) {
        const vignette = 1 - 0.08 * ((x - width / 2) / (width / 2)) ** 2;
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) pixels[i + c] = clamp(paper * fall * vignette + tint[c] + ((x * 5 + y * 11) % 3) - 1);
      }
    }
    return { pixels, describe: 'on a studio sweep' };
  }
  // A painted wall with a floor: what a showroom shot has.
  const wall: Rgb = [between(random, 150, 245), between(random, 150, 240), between(random, 140, 235)];
  const floorY = height * between(random, 0.6, 0.85);
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const onFloor = y > floorY;
      const shade = onFloor ? 0.6 + 0.2 * ((y - floorY) / (height - floorY)) : 0.9 + 0.1 * Math.sin(x / width + y / height);
      for (let c = 0; c < 3; c++) pixels[i + c] = clamp(wall[c] * shade + ((x * 7 + y * 13) % 5) - 2);
    }
  }
  return { pixels, describe: 'over a wall' };
}

/** One seeded scene of a kind (width x height, 640x480 by default). */
export async function frameScene(kind: FrameKind, seed: number, width = 640, height = 480): Promise<FrameScene> {
  const random = mulberry32(seed * 7919 + FRAME_KINDS.indexOf(kind) * 104729);
  const bg = await background(random, width, height);
  const image = bg.pixels;
  const behind = drawBehind(image, width, height, random, Math.floor(random() * 3));

  const product = makeProduct(kind, random, between(random, 0.8, 1.4));
  // Where it goes: 45-85 % of the frame's smaller side, turned up to 12 degrees and seen in perspective.
  const fit = between(random, 0.55, 0.88) * Math.min(width / product.width, height / product.height);
  const w = product.width * fit;
  const h = product.height * fit;
  const cx = between(random, w / 2 + 8, width - w / 2 - 8);
  const cy = between(random, h / 2 + 8, height - h / 2 - 8);
  const turn = (between(random, -12, 12) * Math.PI) / 180;
  const skew = between(random, 0, 0.12);
  const corners: Array<[number, number]> = [
    [-w / 2, -h / 2],
    [w / 2, -h / 2],
    [w / 2, h / 2],
    [-w / 2, h / 2],
  ].map(([x, y], k) => {
    // Perspective: one side nearer (taller) than the other, and a little random jitter.
    const near = (k === 1 || k === 2 ? 1 : -1) * skew;
    const jx = between(random, -0.02, 0.02) * w;
    const jy = between(random, -0.02, 0.02) * h + y * near;
    const px = x + jx;
    const py = y + jy;
    return [cx + px * Math.cos(turn) - py * Math.sin(turn), cy + px * Math.sin(turn) + py * Math.cos(turn)];
  });
  const local: Array<[number, number]> = [
    [0, 0],
    [product.width, 0],
    [product.width, product.height],
    [0, product.height],
  ];
  const toLocal = homography(corners, local);
  const bounds = {
    x0: Math.min(...corners.map((c) => c[0])) - 1,
    y0: Math.min(...corners.map((c) => c[1])) - 1,
    x1: Math.max(...corners.map((c) => c[0])) + 1,
    y1: Math.max(...corners.map((c) => c[1])) + 1,
  };
  const finish = pick(random, FINISHES);
  const partTone = [1, 1, 0.93, 1.05, 0.88, 0.97].map((t) => t * between(random, 0.96, 1.04));
  const light = between(random, -0.12, 0.12);

  if (product.glass) {
    // Glass reflects a bright sky in a diagonal streak; the world behind still shows.
    const glass = product.glass;
    const strength = between(random, 0.12, 0.3);
    const sky: Rgb = [210, 222, 232];
    for (let y = Math.max(0, Math.floor(bounds.y0)); y < Math.min(height, Math.ceil(bounds.y1)); y++) {
      for (let x = Math.max(0, Math.floor(bounds.x0)); x < Math.min(width, Math.ceil(bounds.x1)); x++) {
        const [u, v] = toLocal(x + 0.5, y + 0.5);
        if (!glass(u, v)) continue;
        const streak = strength * (0.5 + 0.5 * Math.sin((u + v) * 0.03));
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) image[i + c] = clamp(image[i + c] * (1 - streak) + sky[c] * streak);
      }
    }
  }

  const alpha = new Uint8Array(width * height);
  for (let y = Math.max(0, Math.floor(bounds.y0)); y < Math.min(height, Math.ceil(bounds.y1)); y++) {
    for (let x = Math.max(0, Math.floor(bounds.x0)); x < Math.min(width, Math.ceil(bounds.x1)); x++) {
      let hits = 0;
      let part = 0;
      let uSum = 0;
      let vSum = 0;
      for (let sy = 0; sy < SUPER; sy++) {
        for (let sx = 0; sx < SUPER; sx++) {
          const [u, v] = toLocal(x + (sx + 0.5) / SUPER, y + (sy + 0.5) / SUPER);
          const p = product.shape(u, v);
          if (!p) continue;
          hits++;
          part = p;
          uSum += u;
          vSum += v;
        }
      }
      if (!hits) continue;
      const cover = hits / (SUPER * SUPER);
      const i = y * width + x;
      alpha[i] = Math.round(cover * 255);
      const u = uSum / hits;
      const v = vSum / hits;
      const grain = finish.wood ? 0.08 * Math.sin(u * 0.9 + Math.sin(v * 0.05) * 4) : 0;
      const shade = partTone[part] * (1 + light * (v / product.height - 0.5) + grain) + (((x * 31 + y * 17) % 7) - 3) / 255;
      for (let c = 0; c < 3; c++) image[i * 3 + c] = clamp(Math.round(image[i * 3 + c] * (1 - cover) + clamp(finish.color[c] * shade + 4) * cover));
    }
  }

  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha[y * width + x] < 128) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  const loose = Math.round(between(random, 0.01, 0.04) * Math.max(width, height));
  const box = {
    x: Math.max(0, x0 - loose),
    y: Math.max(0, y0 - loose),
    width: Math.min(width, x1 + 1 + loose) - Math.max(0, x0 - loose),
    height: Math.min(height, y1 + 1 + loose) - Math.max(0, y0 - loose),
  };
  return {
    kind,
    seed,
    image: await sharp(Buffer.from(image), { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
    alpha,
    width,
    height,
    box,
    describe: `${finish.name} ${kind}, ${product.describe}, ${bg.describe}${behind.length ? `, ${behind.join(', ')} behind` : ''}, turned ${((turn * 180) / Math.PI).toFixed(0)} deg`,
  };
}
