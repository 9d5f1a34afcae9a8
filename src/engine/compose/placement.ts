import { EngineError } from '../core/errors';
import { joinAlpha, sharpFromRaw, splitAlpha, toRaw } from '../image/raw';
import type { AlphaMask, BoundingBox, RawImage } from '../image/types';

/**
 * Where the subject goes in the output, like Photoroom's outputSize/padding and remove.bg's
 * scale/position. With no size, ratio or padding the subject stays where it was, at its
 * original pixels (no resampling).
 */
export interface LayoutOptions {
  /** "WIDTHxHEIGHT", e.g. "2000x2000". */
  outputSize?: string;
  /** "W:H", e.g. "4:5": the output keeps the photo's long side. */
  aspectRatio?: string;
  /** Space between the subject and the output's edges: pixels ("40") or percent of each side ("10%"). */
  padding?: string;
  anchor?: 'center' | 'bottom';
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

function parsePadding(text: string, width: number, height: number): { x: number; y: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%|px)?\s*$/.exec(text);
  if (!match) throw new EngineError('INVALID_OPTION', `Padding "${text}" must be pixels (40) or a percentage (10%)`);
  const value = Number(match[1]);
  if (match[2] === '%') {
    if (value >= 50) throw new EngineError('INVALID_OPTION', `Padding ${value}% leaves no room for the subject (use less than 50%)`);
    return { x: Math.round((width * value) / 100), y: Math.round((height * value) / 100) };
  }
  if (2 * value >= Math.min(width, height)) {
    throw new EngineError('INVALID_OPTION', `Padding ${value}px leaves no room for the subject in a ${width}x${height} output`);
  }
  return { x: Math.round(value), y: Math.round(value) };
}

/**
 * The layout options checked before any pixel work: sizes, ratios and padding that can never
 * work are refused at once (a segmentation takes seconds), naming the option.
 */
export function checkLayoutOptions(options: LayoutOptions, maxPixels: number): void {
  if (options.outputSize) {
    const { width, height } = parseSize(options.outputSize);
    if (width * height > maxPixels)
      throw new EngineError('INPUT_TOO_LARGE', `Output size ${width}x${height} is over the limit of ${(maxPixels / 1e6).toFixed(1)} MP (BG_MAX_MEGAPIXELS)`);
    if (options.padding) parsePadding(options.padding, width, height);
  } else if (options.padding) parsePadding(options.padding, MAX_OUTPUT_SIDE, MAX_OUTPUT_SIDE);
  if (options.aspectRatio) parseRatio(options.aspectRatio);
}

export function computeLayout(subject: BoundingBox, sourceWidth: number, sourceHeight: number, options: LayoutOptions, maxPixels: number): Layout {
  if (!options.outputSize && !options.aspectRatio && !options.padding) {
    return { width: sourceWidth, height: sourceHeight, relayout: false, placed: subject };
  }
  let width = sourceWidth;
  let height = sourceHeight;
  if (options.outputSize) ({ width, height } = parseSize(options.outputSize));
  else if (options.aspectRatio) {
    const ratio = parseRatio(options.aspectRatio);
    const long = Math.max(sourceWidth, sourceHeight);
    width = ratio >= 1 ? long : Math.round(long * ratio);
    height = ratio >= 1 ? Math.round(long / ratio) : long;
  }
  if (width * height > maxPixels) {
    throw new EngineError('INPUT_TOO_LARGE', `Output ${width}x${height} is over the limit of ${(maxPixels / 1e6).toFixed(1)} MP (BG_MAX_MEGAPIXELS)`);
  }
  const pad = options.padding ? parsePadding(options.padding, width, height) : { x: 0, y: 0 };
  const scale = Math.min((width - 2 * pad.x) / subject.width, (height - 2 * pad.y) / subject.height);
  const placedWidth = Math.max(1, Math.round(subject.width * scale));
  const placedHeight = Math.max(1, Math.round(subject.height * scale));
  const left = Math.round((width - placedWidth) / 2);
  const top = options.anchor === 'bottom' ? height - pad.y - placedHeight : Math.round((height - placedHeight) / 2);
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
