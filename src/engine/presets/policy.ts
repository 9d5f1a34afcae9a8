import { createHash, randomInt } from 'node:crypto';

import type { GenerationSettings, ShadowSettings } from './schema';

/** Replace's Shadow option: the preset's shadows, none, or one kind with the preset's (else house) settings. */
export const SHADOW_MODES = ['preset', 'none', 'contact', 'drop', 'both'] as const;
export type ShadowMode = (typeof SHADOW_MODES)[number];

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
  if (mode === 'none') return {};
  return {
    ...(mode === 'contact' || mode === 'both' ? { contact: preset.contact ?? SHADOW_DEFAULTS.contact } : {}),
    ...(mode === 'drop' || mode === 'both' ? { drop: preset.drop ?? SHADOW_DEFAULTS.drop } : {}),
  };
}
