import { resizeMask } from '../image/raw';
import type { AlphaMask } from '../image/types';
import { SUBJECT_ALPHA } from '../image/types';
import { labelComponents } from './components';

/**
 * How much to trust a cut-out, 0..1, from the mask alone (and, when the engine ran the
 * model twice, from how well the two runs agree). Each sign of trouble is a factor in
 * 0..1 and a reason in words; the score is their product:
 * - uncertain edges: the mean width of the semi-transparent band (alpha 0.1-0.9) around the
 *   subject, in the model's pixels: 2 is a crisp matte, 8 or more a guess;
 * - fragments: share of the subject outside its largest piece (stray blobs, a split frame);
 * - cut off: the subject touches the image border (each side costs 0.15);
 * - coverage: under 3 % or over 80 % of the image is rarely one product;
 * - background seen through: the share of the subject that the see-through detector
 *   (frame/seeThrough.ts) takes for background showing through panes or gaps, when nothing
 *   opened them (see-through off); a quarter of the subject or more makes the score 0;
 * - disagreement: IoU of the two runs (hinted or cropped vs full), when there are two.
 * It cannot see a clean, confident mask of the wrong object (a cup in front of the window
 * instead of the window): a hint fixes those.
 */
export interface CutoutConfidence {
  score: number;
  reasons: string[];
  features: {
    softBand: number;
    softArea: number;
    strayShare: number;
    pieces: number;
    borderSides: number;
    coverage: number;
    seeThrough?: number;
    agreement?: number;
  };
}

export interface ConfidenceSignals {
  /** IoU of the model's two runs (Cross-Check). */
  agreement?: number;
  /** Share of the subject the see-through detector takes for background left inside it. */
  seeThroughShare?: number;
}

const WORK_SIDE = 512;
/** Alpha strictly between these is semi-transparent (about 0.1 and 0.9): the uncertain band. */
const SOFT_LOW = 25;
const SOFT_HIGH = 230;
/** The band's width is counted in the pixels of a model input this wide (IS-Net's; the matte is upscaled from it). */
const MODEL_SIDE = 1024;
/** A soft band this wide (model px) is a crisp matte; each further BAND_SPAN px takes the whole score away. */
const CRISP_BAND = 2;
const BAND_SPAN = 6;
/** A piece under this share of the subject is dust, not counted among its pieces. */
const PIECE_MIN_SHARE = 0.005;
/** The score falls twice as fast as the share of the subject outside its largest piece: half outside is no product. */
const STRAY_WEIGHT = 2;
/** A side is touched when the subject covers more than this share of it... */
const BORDER_MIN_SHARE = 0.02;
/** ...and each side touched costs this much: a product cut off by the frame is often still usable. */
const BORDER_COST = 0.15;
/** A product usually covers this much of the photo; under the lower bound the score falls linearly to 0... */
const MIN_COVERAGE = 0.03;
const MAX_COVERAGE = 0.8;
/** ...and over the upper one it falls to 0 over this much more. */
const COVERAGE_FADE = 0.2;
/** A quarter of the subject taken for background showing through makes the score 0. */
const SEE_THROUGH_LIMIT = 0.25;
/** Two runs agreeing at IoU 0.5 or less score 0; the score is whole this much above that (IoU 0.95). */
const AGREEMENT_FLOOR = 0.5;
const AGREEMENT_SPAN = 0.45;
/** A factor under this is worth a reason in words. */
const REASON_BELOW = 0.9;
const round = (value: number) => Math.round(value * 1000) / 1000;
const clamp01 = (value: number) => Math.max(0, Math.min(1, value));

/**
 * The soft band on the full-resolution matte: semi-transparent pixels per pixel of outline is
 * the band's mean width, counted in model pixels (the matte is upscaled from ~1024 px).
 */
function softBand(alpha: AlphaMask): { bandWidth: number; softArea: number } {
  const full = alpha.data;
  let uncertain = 0;
  let outline = 0;
  for (let i = 0; i < full.length; i++) {
    const a = full[i];
    if (a > SOFT_LOW && a < SOFT_HIGH) uncertain++;
    if (a >= SUBJECT_ALPHA) {
      const x = i % alpha.width;
      if (
        (x > 0 && full[i - 1] < SUBJECT_ALPHA) ||
        (x < alpha.width - 1 && full[i + 1] < SUBJECT_ALPHA) ||
        (i >= alpha.width && full[i - alpha.width] < SUBJECT_ALPHA) ||
        (i + alpha.width < full.length && full[i + alpha.width] < SUBJECT_ALPHA)
      )
        outline++;
    }
  }
  const upscale = Math.max(1, Math.max(alpha.width, alpha.height) / MODEL_SIDE);
  return { bandWidth: outline > 0 ? uncertain / outline / upscale : 0, softArea: uncertain / full.length };
}

/** Pieces, sides touched and coverage, on a copy at most WORK_SIDE px wide (nearest: no new soft pixels); undefined for an empty mask. */
async function shape(alpha: AlphaMask) {
  const scale = Math.min(1, WORK_SIDE / Math.max(alpha.width, alpha.height));
  const small =
    scale < 1 ? await resizeMask(alpha, Math.max(1, Math.round(alpha.width * scale)), Math.max(1, Math.round(alpha.height * scale)), 'nearest') : alpha;
  const { width, height, data } = small;
  const solid = new Uint8Array(data.length);
  let area = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] >= SUBJECT_ALPHA) {
      solid[i] = 1;
      area++;
    }
  }
  if (area === 0) return undefined;
  const { sizes } = labelComponents(solid, width);
  const largest = Math.max(...sizes);
  const pieces = sizes.filter((size) => size >= PIECE_MIN_SHARE * area).length;
  const edge = (count: number, length: number) => count > BORDER_MIN_SHARE * length;
  let top = 0;
  let bottom = 0;
  let left = 0;
  let right = 0;
  for (let x = 0; x < width; x++) {
    top += solid[x];
    bottom += solid[(height - 1) * width + x];
  }
  for (let y = 0; y < height; y++) {
    left += solid[y * width];
    right += solid[y * width + width - 1];
  }
  const borderSides = [edge(top, width), edge(bottom, width), edge(left, height), edge(right, height)].filter(Boolean).length;
  return { pieces, strayShare: (area - largest) / area, borderSides, coverage: area / data.length };
}

/** Each sign of trouble as a factor in 0..1, and a reason in words for those under REASON_BELOW. */
function factors(bandWidth: number, found: NonNullable<Awaited<ReturnType<typeof shape>>>, { agreement, seeThroughShare }: ConfidenceSignals) {
  const { pieces, strayShare, borderSides, coverage } = found;
  const reasons: string[] = [];
  const fUncertain = clamp01(1 - Math.max(0, bandWidth - CRISP_BAND) / BAND_SPAN);
  if (fUncertain < REASON_BELOW) reasons.push(`uncertain edges: a soft band ${bandWidth.toFixed(1)} px wide (model pixels) around the subject`);
  const fStray = clamp01(1 - STRAY_WEIGHT * strayShare);
  if (fStray < REASON_BELOW) reasons.push(`fragmented: ${pieces} pieces, ${Math.round(strayShare * 100)} % of the subject outside the main one`);
  const fBorder = 1 - BORDER_COST * borderSides;
  if (borderSides > 0) reasons.push(`cut off: the subject touches ${borderSides} side${borderSides > 1 ? 's' : ''} of the image`);
  const fCoverage = coverage < MIN_COVERAGE ? coverage / MIN_COVERAGE : coverage > MAX_COVERAGE ? clamp01((1 - coverage) / COVERAGE_FADE) : 1;
  if (fCoverage < REASON_BELOW)
    reasons.push(
      `coverage ${(coverage * 100).toFixed(coverage < 0.1 ? 1 : 0)} % of the image (a product usually covers ${MIN_COVERAGE * 100}-${MAX_COVERAGE * 100} %)`,
    );
  const fSeeThrough = clamp01(1 - (seeThroughShare ?? 0) / SEE_THROUGH_LIMIT);
  if (fSeeThrough < REASON_BELOW)
    reasons.push(
      `background seen through: ${Math.round((seeThroughShare ?? 0) * 100)} % of the subject looks like the background showing through panes or gaps (see-through "gaps" or "glass" opens it)`,
    );
  const fAgreement = agreement === undefined ? 1 : clamp01((agreement - AGREEMENT_FLOOR) / AGREEMENT_SPAN);
  if (agreement !== undefined && fAgreement < REASON_BELOW) reasons.push(`the two model runs disagree: IoU ${agreement.toFixed(2)}`);
  return { score: fUncertain * fStray * fBorder * fCoverage * fSeeThrough * fAgreement, reasons };
}

export async function cutoutConfidence(alpha: AlphaMask, signals: ConfidenceSignals = {}): Promise<CutoutConfidence> {
  const { agreement, seeThroughShare } = signals;
  const { bandWidth, softArea } = softBand(alpha);
  const found = await shape(alpha);
  const measured = {
    ...(seeThroughShare !== undefined ? { seeThrough: round(seeThroughShare) } : {}),
    ...(agreement !== undefined ? { agreement: round(agreement) } : {}),
  };
  if (!found) {
    return {
      score: 0,
      reasons: ['empty mask: no subject found'],
      features: { softBand: 0, softArea: 0, strayShare: 0, pieces: 0, borderSides: 0, coverage: 0, ...measured },
    };
  }
  const { score, reasons } = factors(bandWidth, found, signals);
  return {
    score: round(score),
    reasons,
    features: {
      softBand: round(bandWidth),
      softArea: round(softArea),
      strayShare: round(found.strayShare),
      pieces: found.pieces,
      borderSides: found.borderSides,
      coverage: round(found.coverage),
      ...measured,
    },
  };
}

/**
 * IoU of two alpha mattes without thresholds: sum of min / sum of max. A 40 % ghost of the old
 * background inside a pane counts against it, where the thresholded IoU cannot see it.
 */
export function softMaskIoU(a: Uint8Array, b: Uint8Array): number {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    intersection += Math.min(a[i], b[i]);
    union += Math.max(a[i], b[i]);
  }
  return union === 0 ? 1 : intersection / union;
}

/** IoU of two masks of the same size, thresholded (the subject's alpha by default). */
export function maskIoU(a: Uint8Array, b: Uint8Array, threshold = SUBJECT_ALPHA): number {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] >= threshold;
    const y = b[i] >= threshold;
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : intersection / union;
}
