import { z } from 'zod';

import { EngineError } from '../core/errors';
import type { BoundingBox } from '../image/types';
import { zodIssue } from '../core/validation';

/**
 * A subject hint: where the product is. A box (pixels, or fractions of the image when
 * every value is <= 1) makes the engine segment only that region (plus a context margin)
 * and clear everything outside it; include/exclude points pick which pieces of the mask
 * are the product. A fixed studio framing is then one preset value.
 */
const point = z.object({ x: z.number().finite(), y: z.number().finite() }).strict();
export const subjectHintSchema = z
  .object({
    box: z.object({ x: z.number().finite(), y: z.number().finite(), width: z.number().finite(), height: z.number().finite() }).strict().optional(),
    include: z.array(point).max(50).optional(),
    exclude: z.array(point).max(50).optional(),
    /** auto: fractions when every coordinate is within 0..1, else pixels. */
    units: z.enum(['auto', 'px', 'fraction']).default('auto'),
    /** Context kept around the box for the model, as a share of the box's longer side. */
    margin: z.number().min(0).max(1).default(0.1),
    /** The product is a frame (window, door, pergola) filling the box: its bars' colours may replace a model that looked through the panes. */
    frame: z.boolean().default(false),
  })
  .strict();
export type SubjectHintInput = z.input<typeof subjectHintSchema>;
export type SubjectHint = z.output<typeof subjectHintSchema>;

export interface ResolvedHint {
  box?: BoundingBox;
  frame: boolean;
  include: Array<{ x: number; y: number }>;
  exclude: Array<{ x: number; y: number }>;
  margin: number;
}

const NUMBER_LIST = /^\s*-?\d+(\.\d+)?(\s*[,\s]\s*-?\d+(\.\d+)?)*\s*$/;

function numbers(text: string): number[] {
  return text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
}

/** "x,y;x,y" -> points. */
function parsePoints(text: string, what: string): Array<{ x: number; y: number }> {
  return text
    .split(';')
    .filter((part) => part.trim())
    .map((part) => {
      const values = numbers(part);
      if (values.length !== 2 || values.some((v) => !Number.isFinite(v)))
        throw new EngineError('INVALID_OPTION', `Subject hint: ${what} point "${part.trim()}" is not "x,y"`);
      return { x: values[0], y: values[1] };
    });
}

/**
 * Reads a hint from what a node, the CLI or an item's JSON gives: an object, JSON text, or
 * the short forms "x,y,width,height" for a box. Empty means no hint.
 */
export function parseSubjectHint(input: unknown, extra: { include?: string; exclude?: string; frame?: boolean } = {}): SubjectHint | undefined {
  let value = input;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!text) value = undefined;
    else if (NUMBER_LIST.test(text)) {
      const box = numbers(text);
      if (box.length !== 4) throw new EngineError('INVALID_OPTION', `Subject hint box "${text}" needs four numbers: x,y,width,height`);
      value = { box: { x: box[0], y: box[1], width: box[2], height: box[3] } };
    } else {
      try {
        value = JSON.parse(text);
      } catch {
        throw new EngineError('INVALID_OPTION', `Subject hint "${text.slice(0, 80)}" is neither "x,y,width,height" nor JSON`);
      }
    }
  }
  if (extra.include?.trim() || extra.exclude?.trim()) {
    value = {
      ...((value as object | undefined) ?? {}),
      ...(extra.include?.trim() ? { include: parsePoints(extra.include, 'include') } : {}),
      ...(extra.exclude?.trim() ? { exclude: parsePoints(extra.exclude, 'exclude') } : {}),
    };
  }
  if (value === undefined || value === null) return undefined;
  if (extra.frame) value = { ...(value as object), frame: true };
  const parsed = subjectHintSchema.safeParse(value);
  if (!parsed.success) {
    throw new EngineError('INVALID_OPTION', `Subject hint: ${zodIssue(parsed.error)}`);
  }
  const hint = parsed.data;
  return hint.box || hint.include?.length || hint.exclude?.length ? hint : undefined;
}

/** The hint in pixels of a width x height image, validated: clear errors for boxes and points that cannot apply. */
export function resolveHint(hint: SubjectHint, width: number, height: number): ResolvedHint {
  const values = [
    ...(hint.box ? [hint.box.x, hint.box.y, hint.box.width, hint.box.height] : []),
    ...[...(hint.include ?? []), ...(hint.exclude ?? [])].flatMap((p) => [p.x, p.y]),
  ];
  const fraction = hint.units === 'fraction' || (hint.units === 'auto' && values.every((v) => v >= 0 && v <= 1));
  const sx = fraction ? width : 1;
  const sy = fraction ? height : 1;
  const describe = (x: number, y: number) => (fraction ? `${x},${y} (fractions)` : `${x},${y}`);
  let box: BoundingBox | undefined;
  if (hint.box) {
    const { x, y, width: w, height: h } = hint.box;
    if (w <= 0 || h <= 0 || Math.round(w * sx) < 1 || Math.round(h * sy) < 1)
      throw new EngineError('INVALID_OPTION', `Subject hint: the box ${describe(x, y)} ${w}x${h} has zero size`);
    const left = Math.max(0, Math.round(x * sx));
    const top = Math.max(0, Math.round(y * sy));
    const right = Math.min(width, Math.round((x + w) * sx));
    const bottom = Math.min(height, Math.round((y + h) * sy));
    if (right - left < 1 || bottom - top < 1)
      throw new EngineError('INVALID_OPTION', `Subject hint: the box ${describe(x, y)} ${w}x${h} lies outside the ${width}x${height} image`);
    box = { x: left, y: top, width: right - left, height: bottom - top };
  }
  const toPixels = (kind: string) => (p: { x: number; y: number }) => {
    const px = { x: Math.min(width - 1, Math.floor(p.x * sx)), y: Math.min(height - 1, Math.floor(p.y * sy)) };
    const outside = box
      ? px.x < box.x || px.y < box.y || px.x >= box.x + box.width || px.y >= box.y + box.height
      : p.x * sx < 0 || p.y * sy < 0 || p.x * sx > width || p.y * sy > height;
    if (outside)
      throw new EngineError('INVALID_OPTION', `Subject hint: ${kind} point ${describe(p.x, p.y)} lies outside the ${box ? 'box' : `${width}x${height} image`}`);
    return px;
  };
  return {
    box,
    frame: hint.frame,
    include: (hint.include ?? []).map(toPixels('include')),
    exclude: (hint.exclude ?? []).map(toPixels('exclude')),
    margin: hint.margin,
  };
}
