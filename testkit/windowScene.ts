import sharp from 'sharp';

import { PHOTOS, photoPath } from './fixtures';

/**
 * Synthetic window scenes with a known alpha: an aluminium frame (outer bars and 2-4
 * panes separated by mullions) drawn over a real photo. Panes are empty: the true alpha is
 * 255 on the bars and 0 everywhere else, so the old background shows through the panes.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WindowScene {
  image: Buffer; // PNG
  alpha: Uint8Array; // known truth
  width: number;
  height: number;
  panes: number;
}

const FRAME_COLORS = [
  [58, 61, 64], // anthracite
  [240, 240, 236], // white
  [182, 186, 190], // silver
  [92, 70, 52], // bronze
];
const LAYOUTS: Array<[number, number]> = [
  [2, 1],
  [1, 2],
  [3, 1],
  [2, 2],
];

/**
 * The largest region of a fixture photo that holds no subject (reference mask 0 on a coarse
 * grid): a real background texture (a table, a garage wall, leaves) without a salient object
 * that the model would pick instead of the frame.
 */
export async function backgroundRegion(photo: string, referenceMask: string): Promise<sharp.Region> {
  const grid = 32;
  const meta = await sharp(photo).metadata();
  const width = meta.width!;
  const height = meta.height!;
  const cells = await sharp(referenceMask).extractChannel(0).resize(grid, grid, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  // Largest all-background rectangle on the grid (a cell counts as background below alpha 8).
  let best = { x: 0, y: 0, w: 1, h: 1, area: 0 };
  for (let y0 = 0; y0 < grid; y0++) {
    for (let x0 = 0; x0 < grid; x0++) {
      let maxW = grid - x0;
      for (let y1 = y0; y1 < grid; y1++) {
        let w = 0;
        while (w < maxW && cells[y1 * grid + x0 + w] < 8) w++;
        maxW = w;
        if (maxW === 0) break;
        const area = maxW * (y1 - y0 + 1);
        if (area > best.area) best = { x: x0, y: y0, w: maxW, h: y1 - y0 + 1, area };
      }
    }
  }
  return {
    left: Math.floor((best.x * width) / grid),
    top: Math.floor((best.y * height) / grid),
    width: Math.max(16, Math.floor((best.w * width) / grid)),
    height: Math.max(16, Math.floor((best.h * height) / grid)),
  };
}

/** For each fixture photo, the photo and its largest region without the subject: backgrounds for scenes. */
export function photoBackgrounds(): Promise<Array<{ photo: string; region: sharp.Region }>> {
  return Promise.all(
    PHOTOS.map(async (name) => ({
      photo: photoPath(name),
      region: await backgroundRegion(
        photoPath(name),
        photoPath(name)
          .replace('/photos/', '/reference-masks/')
          .replace(/\.\w+$/, '.png'),
      ),
    })),
  );
}

/**
 * What fills the panes: nothing (a window: the background shows through), a solid panel (a
 * door: the panes are product) or a picture from another photo (a framed picture: product,
 * textured, but not the world behind the frame). Filled panes are part of the known alpha.
 */
export type PaneFill = { kind: 'none' } | { kind: 'panel' } | { kind: 'picture'; photo: string };

const PANEL_COLORS = [
  [226, 221, 206], // cream
  [118, 123, 128], // mid grey
  [36, 38, 42], // near black
  [150, 104, 66], // wood tone
];

export async function windowScene(
  background: string | { photo: string; region: sharp.Region },
  seed: number,
  width = 640,
  height = 480,
  fill: PaneFill = { kind: 'none' },
): Promise<WindowScene> {
  const random = mulberry32(seed);
  const source = typeof background === 'string' ? sharp(background) : sharp(background.photo).extract(background.region);
  const { data: bg } = await source.resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [cols, rows] = LAYOUTS[Math.floor(random() * LAYOUTS.length)];
  const color = FRAME_COLORS[Math.floor(random() * FRAME_COLORS.length)];
  const fw = Math.round(width * (0.45 + random() * 0.3));
  const fh = Math.round(height * (0.5 + random() * 0.35));
  const fx = Math.round(random() * (width - fw));
  const fy = Math.round(random() * (height - fh));
  const bar = Math.round(8 + random() * 10);
  const mullion = Math.max(5, Math.round(bar * 0.7));
  const alpha = new Uint8Array(width * height);
  const inFrame = (x: number, y: number) => {
    if (x < fx || y < fy || x >= fx + fw || y >= fy + fh) return false;
    const lx = x - fx;
    const ly = y - fy;
    if (lx < bar || ly < bar || lx >= fw - bar || ly >= fh - bar) return true;
    for (let c = 1; c < cols; c++) {
      const cx = bar + ((fw - 2 * bar) * c) / cols;
      if (Math.abs(lx - cx) < mullion / 2) return true;
    }
    for (let r = 1; r < rows; r++) {
      const cy = bar + ((fh - 2 * bar) * r) / rows;
      if (Math.abs(ly - cy) < mullion / 2) return true;
    }
    return false;
  };
  const image = Buffer.from(bg);
  if (fill.kind !== 'none') {
    // The panes are product: the whole frame box is subject.
    const panel = PANEL_COLORS[Math.floor(random() * PANEL_COLORS.length)];
    const picture = fill.kind === 'picture' ? await sharp(fill.photo).resize(fw, fh, { fit: 'cover' }).removeAlpha().raw().toBuffer() : undefined;
    for (let y = fy; y < fy + fh; y++) {
      for (let x = fx; x < fx + fw; x++) {
        const i = y * width + x;
        alpha[i] = 255;
        // A panel has a soft vertical light gradient, as a painted or anodised one has.
        const light = 0.92 + 0.08 * ((y - fy) / fh);
        for (let c = 0; c < 3; c++) image[i * 3 + c] = picture ? picture[((y - fy) * fw + x - fx) * 3 + c] : Math.round(panel[c] * light);
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inFrame(x, y)) continue;
      const i = y * width + x;
      alpha[i] = 255;
      // A little shading along the bar so it reads as a profile, not a flat paint stroke.
      const shade = 0.9 + 0.1 * Math.sin((x + y) * 0.05);
      for (let c = 0; c < 3; c++) image[i * 3 + c] = Math.round(Math.min(255, color[c] * shade + 6));
    }
  }
  return {
    image: await sharp(image, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
    alpha,
    width,
    height,
    panes: cols * rows,
  };
}
