import sharp from 'sharp';

import { background, between, paint, pick, type Random, type Rgb, SUPER } from './frameScenes';
import { mulberry32 } from './windowScene';

/**
 * Objects with thin parts and a known alpha, for bench:thin: a bicycle wheel (spokes), a
 * fruit with its stem and a leaf, a motorbike mirror on a stalk, a wire chair and a lattice
 * mast; turned, in varied colours, over bench:frames' backdrops without another subject
 * (subject-free crops of the fixture photos, a studio sweep, a wall): the object is the photo's
 * subject, so the scores are about its thin parts, not about which subject the model picks. Drawn 4x4 supersampled at a photo's resolution (the
 * model sees it at 1024 px, where a 2 px spoke is about one pixel). `thin` marks the pixels
 * the thin parts cover at least half of: what thin-part recall counts.
 */
export const THIN_KINDS = ['wheel', 'stem', 'mirror', 'chair', 'mast'] as const;
export type ThinKind = (typeof THIN_KINDS)[number];

export interface ThinScene {
  kind: ThinKind;
  seed: number;
  /** PNG. */
  image: Buffer;
  /** Known alpha (coverage, 0..255). */
  alpha: Uint8Array;
  /** 1 where a thin part covers at least half the pixel. */
  thin: Uint8Array;
  width: number;
  height: number;
  describe: string;
}

type Inside = (x: number, y: number) => boolean;

interface Part {
  inside: Inside;
  color: Rgb;
  thin: boolean;
}

/** Within `half` of the segment from a to b. */
function segment(ax: number, ay: number, bx: number, by: number, half: number): Inside {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy || 1;
  const [x0, x1] = [Math.min(ax, bx) - half, Math.max(ax, bx) + half];
  const [y0, y1] = [Math.min(ay, by) - half, Math.max(ay, by) + half];
  return (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length2));
    const ex = x - (ax + t * dx);
    const ey = y - (ay + t * dy);
    return ex * ex + ey * ey <= half * half;
  };
}

const ellipse =
  (cx: number, cy: number, rx: number, ry: number): Inside =>
  (x, y) =>
    ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

const ring =
  (cx: number, cy: number, r: number, half: number): Inside =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) <= half;

const any =
  (...shapes: Inside[]): Inside =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));

const metal = (random: Random): Rgb =>
  pick(random, [
    [40, 42, 46],
    [150, 152, 156],
    [200, 200, 205],
    [25, 25, 28],
    [120, 30, 30],
  ] as Rgb[]);

/** The parts of one object, centred on 0,0 and `size` px across, before turning. */
function makeParts(kind: ThinKind, random: Random, size: number): { parts: Part[]; describe: string } {
  const wire = between(random, 0.9, 2.2);
  if (kind === 'wheel') {
    const r = size / 2;
    const spokes = 2 * Math.round(between(random, 8, 18));
    const color = metal(random);
    const lines = Array.from({ length: spokes }, (_, k) => {
      const a = (k / spokes) * 2 * Math.PI;
      const hub = r * 0.08 * (k % 2 ? 1 : -1);
      return segment(hub * Math.sin(a), -hub * Math.cos(a), r * 0.9 * Math.cos(a), r * 0.9 * Math.sin(a), wire / 2);
    });
    const tyre: Rgb = [30, 30, 32];
    return {
      parts: [
        { inside: ring(0, 0, r * 0.95, r * 0.05), color: tyre, thin: false },
        { inside: ellipse(0, 0, r * 0.09, r * 0.09), color, thin: false },
        { inside: any(...lines), color, thin: true },
      ],
      describe: `wheel, ${spokes} spokes ${(2 * (wire / 2)).toFixed(1)} px`,
    };
  }
  if (kind === 'stem') {
    const r = size / 2.6;
    const fruit: Rgb = pick(random, [
      [190, 30, 35],
      [120, 170, 50],
      [230, 160, 40],
    ] as Rgb[]);
    const stemWidth = between(random, 1.5, 4);
    const bend = between(random, -0.3, 0.3) * r;
    const top = -r * 0.9;
    const tip = -r * between(random, 1.3, 1.6);
    const stem = any(segment(0, top, bend * 0.5, (top + tip) / 2, stemWidth / 2), segment(bend * 0.5, (top + tip) / 2, bend, tip, stemWidth / 2));
    const parts: Part[] = [
      { inside: ellipse(0, 0, r, r * 0.92), color: fruit, thin: false },
      { inside: stem, color: [90, 60, 30], thin: true },
    ];
    if (random() < 0.6) parts.push({ inside: ellipse(bend + r * 0.25, tip + r * 0.08, r * 0.25, r * 0.09), color: [50, 130, 40], thin: false });
    return { parts, describe: `fruit, stem ${stemWidth.toFixed(1)} px` };
  }
  if (kind === 'mirror') {
    const body: Rgb = metal(random);
    const stalk = between(random, 1.5, 3.5);
    const w = size * 0.8;
    const h = size * 0.3;
    const headX = w * between(random, 0.1, 0.35);
    const headY = -h / 2 - size * between(random, 0.25, 0.45);
    return {
      parts: [
        { inside: (x, y) => Math.abs(x) <= w / 2 && Math.abs(y) <= h / 2, color: body, thin: false },
        { inside: segment(w * 0.05, -h / 2, headX, headY, stalk / 2), color: [35, 35, 38], thin: true },
        { inside: ellipse(headX, headY, size * 0.09, size * 0.06), color: [60, 62, 66], thin: false },
      ],
      describe: `mirror on a ${stalk.toFixed(1)} px stalk`,
    };
  }
  if (kind === 'chair') {
    const color = metal(random);
    const w = size * 0.6;
    const seatY = size * 0.05;
    const lines: Inside[] = [];
    const bars = Math.round(between(random, 5, 10));
    // The back: a rectangle of wire with vertical bars; the seat: horizontal bars; four legs.
    for (let k = 0; k <= bars; k++) lines.push(segment(-w / 2 + (k * w) / bars, -size / 2, -w / 2 + (k * w) / bars, seatY, wire / 2));
    lines.push(segment(-w / 2, -size / 2, w / 2, -size / 2, wire / 2));
    for (let k = 0; k <= 4; k++) lines.push(segment(-w / 2 - k * 2, seatY + k * size * 0.04, w / 2 + k * 2, seatY + k * size * 0.04, wire / 2));
    const floor = size / 2;
    for (const [top, bottom] of [
      [-w / 2, -w / 2 - size * 0.05],
      [w / 2, w / 2 + size * 0.05],
      [-w / 2 + 6, -w / 2 + size * 0.08],
      [w / 2 - 6, w / 2 - size * 0.08],
    ])
      lines.push(segment(top, seatY + size * 0.16, bottom, floor, wire * 0.75));
    return { parts: [{ inside: any(...lines), color, thin: true }], describe: `wire chair, ${wire.toFixed(1)} px wire` };
  }
  // A lattice mast: two legs that narrow towards the top, braced by diagonals.
  const color = metal(random);
  const bottom = size * 0.22;
  const topHalf = size * 0.06;
  const leg = wire * 1.8;
  const levels = Math.round(between(random, 6, 12));
  const half = (t: number) => bottom + (topHalf - bottom) * t;
  const y = (t: number) => size / 2 - t * size;
  const braces: Inside[] = [];
  for (let k = 0; k < levels; k++) {
    const t0 = k / levels;
    const t1 = (k + 1) / levels;
    braces.push(segment(-half(t0), y(t0), half(t1), y(t1), wire / 2), segment(half(t0), y(t0), -half(t1), y(t1), wire / 2));
  }
  return {
    parts: [
      { inside: any(segment(-bottom, size / 2, -topHalf, -size / 2, leg / 2), segment(bottom, size / 2, topHalf, -size / 2, leg / 2)), color, thin: false },
      { inside: any(...braces), color, thin: true },
    ],
    describe: `lattice mast, ${levels} levels, ${wire.toFixed(1)} px braces`,
  };
}

/** One seeded scene (1600 x 1200 by default: thin parts are about one pixel at the model's 1024 px). */
export async function thinScene(kind: ThinKind, seed: number, width = 1600, height = 1200): Promise<ThinScene> {
  const random = mulberry32(seed * 6151 + THIN_KINDS.indexOf(kind) * 92821);
  const bg = await background(random, width, height, false);
  const image = bg.pixels;
  const size = between(random, 0.45, 0.85) * Math.min(width, height);
  const { parts, describe } = makeParts(kind, random, size);
  const cx = between(random, size / 2 + 8, width - size / 2 - 8);
  const cy = between(random, size / 2 + 8, height - size / 2 - 8);
  const turn = (between(random, -25, 25) * Math.PI) / 180;
  const toLocal = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [dx * Math.cos(turn) + dy * Math.sin(turn), -dx * Math.sin(turn) + dy * Math.cos(turn)];
  };
  const reach = size * 0.75;
  const bounds = { x0: cx - reach, y0: cy - reach, x1: cx + reach, y1: cy + reach };
  const light = between(random, 0.85, 1.1);
  for (const part of parts) {
    const inside: Inside = (x, y) => part.inside(...toLocal(x, y));
    paint(
      image,
      width,
      height,
      bounds,
      inside,
      (x, y) => part.color.map((c) => Math.max(0, Math.min(255, c * light * (1 - 0.1 * ((y - cy) / size)) + ((x + y) % 3) - 1))) as Rgb,
    );
  }
  const alpha = new Uint8Array(width * height);
  const thin = new Uint8Array(width * height);
  for (let y = Math.max(0, Math.floor(bounds.y0)); y < Math.min(height, Math.ceil(bounds.y1)); y++) {
    for (let x = Math.max(0, Math.floor(bounds.x0)); x < Math.min(width, Math.ceil(bounds.x1)); x++) {
      let hits = 0;
      let thinHits = 0;
      for (let sy = 0; sy < SUPER; sy++)
        for (let sx = 0; sx < SUPER; sx++) {
          const [u, v] = toLocal(x + (sx + 0.5) / SUPER, y + (sy + 0.5) / SUPER);
          const hit = parts.find((part) => part.inside(u, v));
          if (!hit) continue;
          hits++;
          if (hit.thin) thinHits++;
        }
      alpha[y * width + x] = Math.round((255 * hits) / (SUPER * SUPER));
      if (thinHits * 2 >= SUPER * SUPER) thin[y * width + x] = 1;
    }
  }
  const png = await sharp(Buffer.from(image), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { kind, seed, image: png, alpha, thin, width, height, describe: `${describe}, ${bg.describe}, turned ${Math.round((turn * 180) / Math.PI)} deg` };
}
