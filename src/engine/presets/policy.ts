import { createHash, randomInt } from 'node:crypto';

import type { GenerationSettings, ShadowSettings } from './schema';

/**
 * Replace's Shadow option: the preset's shadows, none, one kind with the preset's (else house)
 * settings, or a named look (SHADOW_LOOKS).
 */
export const SHADOW_MODES = ['preset', 'none', 'contact', 'drop', 'both', 'soft', 'hard', 'floating'] as const;
export type ShadowMode = (typeof SHADOW_MODES)[number];
export type ShadowLook = 'soft' | 'hard' | 'floating';

/**
 * Three looks, as Photoroom names them: soft (an overcast studio: a wide pale contact shadow
 * and a faint shadow straight down), hard (a spot light up and to the left: a tight dark
 * contact and a crisp shadow falling down and right), floating (the product lifted off the
 * floor: no contact, a soft pool a little below it).
 */
export const SHADOW_LOOKS: Record<ShadowLook, ShadowSettings> = {
  soft: {
    contact: { opacity: 0.35, blur: 14, spread: 0.12 },
    drop: { opacity: 0.15, blur: 40, offsetX: 0, offsetY: 0, angle: 90, distance: 0.03 },
  },
  hard: {
    contact: { opacity: 0.6, blur: 2, spread: 0.02 },
    drop: { opacity: 0.4, blur: 3, offsetX: 0, offsetY: 0, angle: 45, distance: 0.05 },
  },
  floating: { contact: { opacity: 0.3, blur: 18, spread: 0, gap: 0.08 } },
};

/** Replace's fine controls: each, when set, overrides every shadow drawn (angle and distance the drop shadow's). */
export interface ShadowAdjustments {
  /** Degrees clockwise from the right (90: straight down). */
  shadowAngle?: number;
  /** Percent of the subject's height. */
  shadowDistance?: number;
  /** Blur sigma, px. */
  shadowSoftness?: number;
  /** Opacity, 0..1. */
  shadowIntensity?: number;
}

/** The shadows with the fine controls applied. */
export function adjustedShadows(shadows: ShadowSettings, adjust: ShadowAdjustments): ShadowSettings {
  const common = {
    ...(adjust.shadowIntensity !== undefined ? { opacity: adjust.shadowIntensity } : {}),
    ...(adjust.shadowSoftness !== undefined ? { blur: adjust.shadowSoftness } : {}),
  };
  // Either control turns a drop shadow given in px offsets into one by angle and distance (the house's 45 degrees, 5 %).
  const aimed = adjust.shadowAngle !== undefined || adjust.shadowDistance !== undefined;
  const drop = shadows.drop && {
    ...shadows.drop,
    ...common,
    ...(aimed
      ? {
          angle: adjust.shadowAngle ?? shadows.drop.angle ?? 45,
          distance: adjust.shadowDistance !== undefined ? adjust.shadowDistance / 100 : (shadows.drop.distance ?? 0.05),
        }
      : {}),
  };
  return { ...(shadows.contact ? { contact: { ...shadows.contact, ...common } } : {}), ...(drop ? { drop } : {}) };
}

/** The concrete seed for one photo under the preset's seed policy (an explicit seed wins). */
export function seedFor(input: Buffer, generation: Pick<GenerationSettings, 'seedPolicy' | 'seed'>, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  if (generation.seedPolicy === 'fixed') return generation.seed;
  if (generation.seedPolicy === 'random') return randomInt(0, 2 ** 32 - 1);
  // per-image: stable for the same photo, different between photos.
  return (createHash('sha256').update(input).digest().readUInt32BE(0) ^ generation.seed) >>> 0;
}

/** The house shadows, for a mode the preset does not describe. */
const SHADOW_DEFAULTS = { contact: { opacity: 0.45, blur: 6, spread: 0.06 }, drop: { opacity: 0.25, blur: 18, offsetX: 12, offsetY: 12 } };

export function shadowSettings(mode: ShadowMode, preset: ShadowSettings): ShadowSettings {
  if (mode === 'preset') return preset;
  if (mode === 'soft' || mode === 'hard' || mode === 'floating') return SHADOW_LOOKS[mode];
  if (mode === 'none') return {};
  return {
    ...(mode === 'contact' || mode === 'both' ? { contact: preset.contact ?? SHADOW_DEFAULTS.contact } : {}),
    ...(mode === 'drop' || mode === 'both' ? { drop: preset.drop ?? SHADOW_DEFAULTS.drop } : {}),
  };
}
