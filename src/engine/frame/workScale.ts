import { resizeMask, sharpFromRaw, toRaw } from '../image/raw';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { keepInside } from '../matte/matte';

/**
 * The frame search (finish colours, straight bars, panels) works on at most this many pixels
 * along the photo's long side: a frame's members are still several pixels wide there, and the
 * search's cost grows with the box's area (a box over most of an 11 MP photo took 15 s at full
 * size, on the main thread; the bench:frames scenes, 640 x 480, are searched at full size).
 */
export const FRAME_WORK_SIDE = 1280;

/** The photo and box as the frame search sees them, and the way between its masks and full-size ones. */
export interface FrameWorkScale {
  rgb: RawImage;
  box: BoundingBox;
  /** A full-size mask at the work scale. */
  down(mask: AlphaMask): Promise<AlphaMask>;
  /** A work-scale mask at full size (bilinear), kept inside the full-size box. */
  up(mask: AlphaMask): Promise<AlphaMask>;
}

export async function frameWorkScale(rgb: RawImage, box: BoundingBox): Promise<FrameWorkScale> {
  const scale = FRAME_WORK_SIDE / Math.max(rgb.width, rgb.height);
  if (scale >= 1) return { rgb, box, down: async (mask) => mask, up: async (mask) => mask };
  const width = Math.max(1, Math.round(rgb.width * scale));
  const height = Math.max(1, Math.round(rgb.height * scale));
  const x0 = Math.min(width - 1, Math.floor(box.x * scale));
  const y0 = Math.min(height - 1, Math.floor(box.y * scale));
  const x1 = Math.max(x0 + 1, Math.min(width, Math.ceil((box.x + box.width) * scale)));
  const y1 = Math.max(y0 + 1, Math.min(height, Math.ceil((box.y + box.height) * scale)));
  return {
    rgb: await toRaw(sharpFromRaw(rgb).resize(width, height, { fit: 'fill' })),
    box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    down: (mask) => resizeMask(mask, width, height),
    up: async (mask) => keepInside(await resizeMask(mask, rgb.width, rgb.height), box),
  };
}
