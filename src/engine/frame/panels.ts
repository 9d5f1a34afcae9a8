import { boxBlur } from '../matte/boxBlur';
import { labelComponents } from '../matte/components';

/**
 * Panels: the parts of a box-local binary matte wider every way than any bar of a frame. A
 * colour-based matte finds the thin bars a salient-object model misses, but a region that wide
 * the model sees (a kick plate, a door's infill): where the model calls a panel background,
 * the finish's colour was the background's there (a studio sweep lit to a white frame's tone).
 */

/** A panel is at least this wide every way (share of the box's shorter side): twice the widest bar of straightBars.ts. */
const PANEL_MIN_WIDTH = 0.24;
/** A panel the model took less of than this is not backed by it. */
const PANEL_MIN_MODEL = 0.5;

/**
 * A colour matte whose unbacked panels make more than this share of it took the background
 * (a white trellis on a light sweep: 0.64; black windows with thick rails whose bottom the
 * model missed: 0.14 and 0.22).
 */
export const MAX_UNBACKED_PANELS = 0.4;

/** Marks pixels within `radius` (square) of a marked one, inside a w x h grid. */
export function dilate(mask: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const values = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) values[i] = mask[i];
  boxBlur(values, w, h, radius);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i] > 1e-4 ? 1 : 0;
  return out;
}

/** The panels of `solid` (w x h): the union of every square PANEL_MIN_WIDTH wide lying wholly in it (a morphological opening). */
export function panelPixels(solid: Uint8Array, w: number, h: number): Uint8Array {
  const radius = Math.max(2, Math.round((PANEL_MIN_WIDTH * Math.min(w, h)) / 2));
  const fill = new Float32Array(w * h);
  for (let k = 0; k < fill.length; k++) fill[k] = solid[k] ? 1 : 0;
  boxBlur(fill, w, h, radius);
  const cores = new Uint8Array(w * h);
  for (let k = 0; k < cores.length; k++) cores[k] = fill[k] > 0.999 ? 1 : 0;
  const panels = dilate(cores, w, h, radius);
  for (let k = 0; k < panels.length; k++) panels[k] &= solid[k] ? 1 : 0;
  return panels;
}

/** Share of `solid`'s pixels in panels that the model (`modelHas`, by box-local index) mostly left out. */
export function unbackedPanelShare(solid: Uint8Array, w: number, h: number, modelHas: (k: number) => boolean): number {
  const { labels, sizes } = labelComponents(panelPixels(solid, w, h), w);
  const support = new Float64Array(sizes.length);
  for (let k = 0; k < labels.length; k++) if (labels[k] && modelHas(k)) support[labels[k]]++;
  let unbacked = 0;
  let all = 0;
  for (let k = 0; k < labels.length; k++) {
    if (!solid[k]) continue;
    all++;
    if (labels[k] && support[labels[k]] < PANEL_MIN_MODEL * sizes[labels[k]]) unbacked++;
  }
  return all ? unbacked / all : 0;
}
