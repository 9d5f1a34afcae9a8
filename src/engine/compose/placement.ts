import { EngineError } from '../core/errors';
import { type Choice, defineOptions } from '../core/optionTable';
import { joinAlpha, sharpFromRaw, splitAlpha, toRaw } from '../image/raw';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';

/**
 * Where the subject goes in the output, like Photoroom's outputSize / padding / scaling /
 * alignment / maxWidth and remove.bg's scale and position. With none of the size options the
 * subject stays where it was, at its original pixels (no resampling).
 */
export interface LayoutOptions {
  /** "WIDTHxHEIGHT", e.g. "2000x2000". */
  outputSize?: string;
  /** "W:H", e.g. "4:5": the output keeps the photo's long side. */
  aspectRatio?: string;
  /** Space between the subject and the output's edges, as CSS writes margins: one value for every side, two (top and bottom, left and right) or four (top, right, bottom, left); each in pixels ("40") or percent of that side ("10%"). */
  padding?: string;
  /** The subject's size, in percent of the largest that fits inside the padding. */
  subjectScale?: number;
  /** The output at most this wide / high: a larger one is scaled down, its ratio kept. */
  maxWidth?: number;
  maxHeight?: number;
  /** Vertical place of the subject inside the padding. */
  anchor?: 'top' | 'center' | 'bottom';
  /** Horizontal place of the subject inside the padding. */
  horizontalAlign?: 'left' | 'center' | 'right';
}

export interface Layout {
  width: number;
  height: number;
  /** False: the subject keeps its position and pixels. */
  relayout: boolean;
  /** Placed subject box in the output. */
  placed: BoundingBox;
}

export const MAX_OUTPUT_SIDE = 16384;

/** The layout options, as both pipelines take them (an option table: core/optionTable.ts). */
export const PLACEMENT_OPTIONS = defineOptions({
  outputSize: {
    type: 'string',
    displayName: 'Output Size',
    description: 'Output WIDTHxHEIGHT; the subject is scaled to fit inside the padding',
    placeholder: '2000x2000',
    cli: { flag: 'size', value: 'WxH' },
  },
  aspectRatio: {
    type: 'string',
    displayName: 'Aspect Ratio',
    description: "Output ratio W:H; the photo's long side is kept",
    placeholder: '4:5',
    cli: { flag: 'ratio', value: 'W:H' },
  },
  padding: {
    type: 'string',
    displayName: 'Padding',
    description:
      'Space around the subject, as CSS margins: one value for every side, two (top/bottom, left/right) or four (top, right, bottom, left), each in pixels (40) or percent of that side (10%)',
    placeholder: '10%',
    cli: { flag: 'padding', value: 'P', help: 'space around the subject: 40 | 10% | "8% 5%" | "40 20 80 20" (top right bottom left)' },
  },
  subjectScale: {
    type: 'number',
    displayName: 'Subject Scale (%)',
    description: 'How large the subject is, in percent of the largest size that fits inside the padding',
    nodeDefault: 100,
    min: 1,
    max: 100,
    cli: { flag: 'scale', value: 'N', help: 'the subject at N % of the largest size that fits inside the padding' },
  },
  horizontalAlign: {
    type: 'options',
    displayName: 'Horizontal Align',
    description: 'Where the subject sits across the output when the layout changes',
    default: 'center',
    choices: { left: { name: 'Left' }, center: { name: 'Center' }, right: { name: 'Right' } } satisfies Record<
      NonNullable<LayoutOptions['horizontalAlign']>,
      Choice
    >,
    cli: { flag: 'align' },
  },
  anchor: {
    type: 'options',
    displayName: 'Anchor',
    description: 'Where the subject sits up and down when the layout changes (output size, ratio, padding, scale or maximum size)',
    default: 'bottom',
    choices: { bottom: { name: 'Bottom (on the Floor)' }, center: { name: 'Center' }, top: { name: 'Top' } } satisfies Record<
      NonNullable<LayoutOptions['anchor']>,
      Choice
    >,
    cli: { flag: 'anchor' },
  },
  maxWidth: {
    type: 'number',
    displayName: 'Max Width (Px)',
    description: 'The output at most this wide: a wider one is scaled down, its ratio kept',
    nodeDefault: 2000,
    min: 16,
    max: MAX_OUTPUT_SIDE,
    whole: true,
    cli: { flag: 'max-width', value: 'N' },
  },
  maxHeight: {
    type: 'number',
    displayName: 'Max Height (Px)',
    description: 'The output at most this high: a higher one is scaled down, its ratio kept',
    nodeDefault: 2000,
    min: 16,
    max: MAX_OUTPUT_SIDE,
    whole: true,
    cli: { flag: 'max-height', value: 'N' },
  },
});

function parseSize(text: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text);
  if (!match) throw new EngineError('INVALID_OPTION', `Output size "${text}" must look like 2000x1500`);
  const width = Number(match[1]);
  const height = Number(match[2]);
  for (const side of [width, height]) {
    if (side < 16 || side > MAX_OUTPUT_SIDE) {
      throw new EngineError('INVALID_OPTION', `Output size ${width}x${height}: each side must be 16 to ${MAX_OUTPUT_SIDE} px`);
    }
  }
  return { width, height };
}

function parseRatio(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  const ratio = match ? Number(match[1]) / Number(match[2]) : NaN;
  if (!Number.isFinite(ratio) || ratio <= 0 || ratio < 0.1 || ratio > 10) {
    throw new EngineError('INVALID_OPTION', `Aspect ratio "${text}" must look like 4:3 (between 1:10 and 10:1)`);
  }
  return ratio;
}

export interface Padding {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

const PADDING_VALUE = /^(\d+(?:\.\d+)?)(%|px)?$/;

/** One padding value in pixels of its side; percentages of that side. */
function paddingValue(text: string, side: number, whole: string): number {
  const match = PADDING_VALUE.exec(text);
  if (!match) throw new EngineError('INVALID_OPTION', `Padding "${whole}" must be pixels (40) or a percentage (10%), one, two or four values`);
  return Math.round(match[2] === '%' ? (side * Number(match[1])) / 100 : Number(match[1]));
}

/** The four sides of a padding text (one, two or four values, as CSS margins) in an output of this size. */
function parsePadding(text: string, width: number, height: number): Padding {
  // "10 %" is one value, as the single-value form always read it.
  const values = text
    .trim()
    .replace(/(\d)\s+(%|px)/g, '$1$2')
    .split(/\s+/);
  if (![1, 2, 4].includes(values.length) || values.some((value) => !PADDING_VALUE.test(value)))
    throw new EngineError('INVALID_OPTION', `Padding "${text}" must be pixels (40) or a percentage (10%), one, two or four values`);
  const [top, right, bottom, left] =
    values.length === 1 ? [values[0], values[0], values[0], values[0]] : values.length === 2 ? [values[0], values[1], values[0], values[1]] : values;
  const padding = {
    top: paddingValue(top, height, text),
    right: paddingValue(right, width, text),
    bottom: paddingValue(bottom, height, text),
    left: paddingValue(left, width, text),
  };
  if (padding.left + padding.right >= width || padding.top + padding.bottom >= height) {
    const single = values.length === 1 ? PADDING_VALUE.exec(values[0]) : null;
    if (single?.[2] === '%') throw new EngineError('INVALID_OPTION', `Padding ${single[1]}% leaves no room for the subject (use less than 50%)`);
    throw new EngineError('INVALID_OPTION', `Padding ${single ? `${single[1]}px` : `"${text}"`} leaves no room for the subject in a ${width}x${height} output`);
  }
  return padding;
}

function checkMaxSide(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 16 && value <= MAX_OUTPUT_SIDE))
    throw new EngineError('INVALID_OPTION', `${name} must be a whole number of pixels from 16 to ${MAX_OUTPUT_SIDE}, got ${value}`);
}

/** Whether any layout option is set (else the subject keeps its place and pixels). */
export function asksForLayout(options: LayoutOptions): boolean {
  return !!(options.outputSize || options.aspectRatio || options.padding || options.subjectScale !== undefined || options.maxWidth || options.maxHeight);
}

/**
 * The layout options checked before any pixel work: sizes, ratios and padding that can never
 * work are refused at once (a segmentation takes seconds), naming the option.
 */
export function checkLayoutOptions(options: LayoutOptions, maxPixels: number): void {
  checkMaxSide('Max Width', options.maxWidth);
  checkMaxSide('Max Height', options.maxHeight);
  if (options.subjectScale !== undefined && !(options.subjectScale > 0 && options.subjectScale <= 100))
    throw new EngineError('INVALID_OPTION', `Subject Scale must be above 0 and at most 100 (percent), got ${options.subjectScale}`);
  if (options.outputSize) {
    const { width, height } = capped(parseSize(options.outputSize), options);
    if (width * height > maxPixels)
      throw new EngineError('INPUT_TOO_LARGE', `Output size ${width}x${height} is over the limit of ${(maxPixels / 1e6).toFixed(1)} MP (BG_MAX_MEGAPIXELS)`);
    if (options.padding) parsePadding(options.padding, width, height);
  } else if (options.padding) parsePadding(options.padding, MAX_OUTPUT_SIDE, MAX_OUTPUT_SIDE);
  if (options.aspectRatio) parseRatio(options.aspectRatio);
}

/** The output scaled down, its ratio kept, to fit Max Width and Max Height. */
function capped(size: { width: number; height: number }, options: LayoutOptions): { width: number; height: number } {
  const factor = Math.min(1, (options.maxWidth ?? Infinity) / size.width, (options.maxHeight ?? Infinity) / size.height);
  if (factor >= 1) return size;
  return { width: Math.max(1, Math.round(size.width * factor)), height: Math.max(1, Math.round(size.height * factor)) };
}

/** The output's size: Output Size, else the photo at Aspect Ratio (its long side kept), else the photo's; then capped. */
function outputSizeOf(sourceWidth: number, sourceHeight: number, options: LayoutOptions): { width: number; height: number } {
  if (options.outputSize) return capped(parseSize(options.outputSize), options);
  if (!options.aspectRatio) return capped({ width: sourceWidth, height: sourceHeight }, options);
  const ratio = parseRatio(options.aspectRatio);
  const long = Math.max(sourceWidth, sourceHeight);
  return capped({ width: ratio >= 1 ? long : Math.round(long * ratio), height: ratio >= 1 ? Math.round(long / ratio) : long }, options);
}

/** Where an extent goes in the space between two paddings: at the start, centred, or at the end. */
function aligned(place: 'start' | 'center' | 'end', before: number, space: number, extent: number): number {
  if (place === 'start') return before;
  if (place === 'end') return before + space - extent;
  return before + Math.round((space - extent) / 2);
}

export function computeLayout(subject: BoundingBox, sourceWidth: number, sourceHeight: number, options: LayoutOptions, maxPixels: number): Layout {
  const { width, height } = outputSizeOf(sourceWidth, sourceHeight, options);
  const placedAnew = options.outputSize || options.aspectRatio || options.padding || options.subjectScale !== undefined;
  if (!placedAnew) {
    if (width === sourceWidth && height === sourceHeight) return { width, height, relayout: false, placed: subject };
    // Only a maximum size: the photo scaled down, the subject where it was in it.
    const f = width / sourceWidth;
    const placed = {
      x: Math.round(subject.x * f),
      y: Math.round(subject.y * f),
      width: Math.max(1, Math.round(subject.width * f)),
      height: Math.max(1, Math.round(subject.height * f)),
    };
    return { width, height, relayout: true, placed };
  }
  if (width * height > maxPixels) {
    throw new EngineError('INPUT_TOO_LARGE', `Output ${width}x${height} is over the limit of ${(maxPixels / 1e6).toFixed(1)} MP (BG_MAX_MEGAPIXELS)`);
  }
  const pad = options.padding ? parsePadding(options.padding, width, height) : { top: 0, right: 0, bottom: 0, left: 0 };
  const inner = { width: width - pad.left - pad.right, height: height - pad.top - pad.bottom };
  const scale = ((options.subjectScale ?? 100) / 100) * Math.min(inner.width / subject.width, inner.height / subject.height);
  const placedWidth = Math.max(1, Math.round(subject.width * scale));
  const placedHeight = Math.max(1, Math.round(subject.height * scale));
  const across = { left: 'start', center: 'center', right: 'end' } as const;
  const down = { top: 'start', center: 'center', bottom: 'end' } as const;
  const left = aligned(across[options.horizontalAlign ?? 'center'], pad.left, inner.width, placedWidth);
  const top = aligned(down[options.anchor ?? 'center'], pad.top, inner.height, placedHeight);
  return { width, height, relayout: true, placed: { x: left, y: top, width: placedWidth, height: placedHeight } };
}

/** Moves (and, when the layout asks, scales) the subject onto a canvas of the output size. */
export async function placeSubject(
  foreground: RawImage,
  alpha: AlphaMask,
  bbox: BoundingBox,
  layout: Layout,
): Promise<{ subject: RawImage; alpha: AlphaMask }> {
  if (!layout.relayout) return { subject: foreground, alpha };
  const rgba = await toRaw(
    sharpFromRaw(await joinAlpha(foreground, alpha))
      .extract({ left: bbox.x, top: bbox.y, width: bbox.width, height: bbox.height })
      .resize(layout.placed.width, layout.placed.height, { fit: 'fill', kernel: 'lanczos3' })
      .extend({
        top: layout.placed.y,
        left: layout.placed.x,
        bottom: layout.height - layout.placed.y - layout.placed.height,
        right: layout.width - layout.placed.x - layout.placed.width,
        background: { r: 0, g: 0, b: 0, alpha: 0 },
      }),
  );
  const { rgb, alpha: placedAlpha } = splitAlpha(rgba);
  return { subject: rgb, alpha: placedAlpha! };
}
