/**
 * The frame search (a framed product's matte from its finish or the box's colours:
 * finish.ts, boxPrior.ts) inside a pool thread: up to seconds of arithmetic at the work
 * scale (workScale.ts), kept off n8n's event loop like the rest of the pixel work.
 */
import { asBuffer } from '../image/raw';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';
import { keepInside } from '../matte/matte';
import { poolForPixelWork } from '../runtime/pool';
import { boxColorPrior, boxCover, preferColorPrior } from './boxPrior';
import { matteByFinish } from './finish';
import { matteOnPlainBackdrop } from './plainBackdrop';

export interface FrameSearchRequest {
  rgb: RawImage;
  box: BoundingBox;
  /** The model's matte of the box seen close up, inside the box. */
  closeUp: AlphaMask;
  /** The model's matte of the whole photo, once asked for (see `askWhole`). */
  whole?: AlphaMask;
  /** Whether the whole photo's matte can be had (the close-up was not of the whole photo already). */
  mayAskWhole: boolean;
}

export interface FrameSearchResult {
  /** The frame's matte; undefined: the model's close-up stands. */
  alpha?: AlphaMask;
  /** The matte is the finish's (see finish.ts), not the box's colour prior. */
  byFinishColors: boolean;
  /** Search again with the whole photo's matte (see CLOSE_UP_KEPT_TOO_LITTLE). */
  askWhole: boolean;
}

/** A close-up matte holding under this share of the box kept too little of a frame to learn its finish from (its members cover 5 % and more). */
export const CLOSE_UP_KEPT_TOO_LITTLE = 0.1;

/** A close-up matte holding under this share of the box kept nothing of the product (see searchFrame). */
const CLOSE_UP_KEPT_NOTHING = 0.01;

/**
 * On a plain backdrop (a sweep, a clear sky: plainBackdrop.ts), the frame is what stands off
 * it in the finish's colour; the finish's colour alone would take a sweep lit to a white
 * frame's tone. Else the frame by its finish, from the close-up's matte, else from the whole photo's: seen close
 * up, the model can take what shows through the frame for the product (a cat's eye behind a
 * diagonal trellis) and keep too little of the frame to learn its finish from (under
 * CLOSE_UP_KEPT_TOO_LITTLE of the box), where seen whole the same frame is what stands out; only
 * then is the whole photo asked for. A close-up that kept more stands: a window's matte of a
 * fifth of its box, with no finish found, scored 0.91 where the whole photo's finish gave 0.48
 * (bench:frames 7006). Without a finish, the box's colour prior when it is the better frame,
 * else the whole photo's matte inside the box when the close-up kept nothing.
 */
export function searchFrame({ rgb, box, closeUp, whole, mayAskWhole }: FrameSearchRequest): FrameSearchResult {
  const model = whole ? keepInside(whole, box) : closeUp;
  const onBackdrop = matteOnPlainBackdrop(rgb, box, model);
  if (onBackdrop) return { alpha: onBackdrop.alpha, byFinishColors: true, askWhole: false };
  const colors = boxColorPrior(rgb, box);
  const found = matteByFinish(rgb, box, model, colors);
  if (found) return { alpha: found.alpha, byFinishColors: true, askWhole: false };
  const kept = boxCover(closeUp, box);
  if (!whole && mayAskWhole && kept < CLOSE_UP_KEPT_TOO_LITTLE) return { byFinishColors: false, askWhole: true };
  if (preferColorPrior(closeUp, box, colors)) return { alpha: colors.prior, byFinishColors: false, askWhole: false };
  // A box is drawn around a product: a close-up that kept nothing of it is no cut-out, the
  // whole photo's view is (a white trellis over the butterfly's white spots, 22001: 0.000 -> whole).
  if (whole && kept < CLOSE_UP_KEPT_NOTHING) {
    const seenWhole = keepInside(whole, box);
    if (boxCover(seenWhole, box) > kept) return { alpha: seenWhole, byFinishColors: false, askWhole: false };
  }
  return { byFinishColors: false, askWhole: false };
}

async function search(request: FrameSearchRequest): Promise<{ result: FrameSearchResult; transfer: ArrayBuffer[] }> {
  const result = searchFrame({
    ...request,
    rgb: { ...request.rgb, data: asBuffer(request.rgb.data) },
    closeUp: { ...request.closeUp, data: asBuffer(request.closeUp.data) },
    whole: request.whole && { ...request.whole, data: asBuffer(request.whole.data) },
  });
  return { result, transfer: [] };
}

export const tasks = { search };

/** searchFrame in the worker pool (the request is copied there); its matte as a Buffer-backed mask. */
export async function searchFrameInPool(request: FrameSearchRequest, signal?: AbortSignal): Promise<FrameSearchResult> {
  const result = await poolForPixelWork().run<FrameSearchResult>(__filename, 'search', request, { signal });
  return { ...result, alpha: result.alpha && { ...result.alpha, data: asBuffer(result.alpha.data) } };
}
