import type { AlphaMask } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { boxBlur } from './boxBlur';
import { labelComponents } from './components';

/**
 * Include/exclude points pick the pieces of a mask that are the product: with include
 * points only the pieces under them stay; pieces under exclude points go. A piece's soft
 * edge (within 3 px) goes with it.
 */
export function applyPoints(
  alpha: AlphaMask,
  include: Array<{ x: number; y: number }>,
  exclude: Array<{ x: number; y: number }>,
): { alpha: AlphaMask; dropped: number; warnings: string[] } {
  const { width, height } = alpha;
  const solid = new Uint8Array(alpha.data.length);
  for (let i = 0; i < solid.length; i++) solid[i] = alpha.data[i] >= SUBJECT_ALPHA ? 1 : 0;
  const { labels, sizes } = labelComponents(solid, width);
  const warnings: string[] = [];
  const labelAt = (p: { x: number; y: number }, kind: string) => {
    const label = labels[p.y * width + p.x];
    if (!label) warnings.push(`Subject hint: ${kind} point ${p.x},${p.y} is on background, not on any piece of the mask`);
    return label;
  };
  const included = new Set(include.map((p) => labelAt(p, 'include')).filter(Boolean));
  const excluded = new Set(exclude.map((p) => labelAt(p, 'exclude')).filter(Boolean));
  const drop = new Set<number>();
  for (let label = 1; label < sizes.length; label++) {
    if (excluded.has(label) || (include.length > 0 && included.size > 0 && !included.has(label))) drop.add(label);
  }
  if (drop.size === 0) return { alpha, dropped: 0, warnings };
  const dropped = new Float32Array(solid.length);
  const kept = new Uint8Array(solid.length);
  for (let i = 0; i < solid.length; i++) {
    if (drop.has(labels[i])) dropped[i] = 1;
    else if (labels[i]) kept[i] = 1;
  }
  const near = boxBlur(dropped, width, height, 3);
  const data = Buffer.from(alpha.data);
  for (let i = 0; i < data.length; i++) if (near[i] > 0 && !kept[i]) data[i] = 0;
  return { alpha: { ...alpha, data }, dropped: drop.size, warnings };
}
