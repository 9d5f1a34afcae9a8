import fs from 'node:fs';
import { z } from 'zod';

import { type EngineConfig, readEngineConfig } from '../core/config';
import { EngineError } from '../core/errors';
import { type SubjectHint, subjectHintSchema } from '../segment/hint';
import { BUILTIN_PRESETS } from './builtin';
import { zodIssue } from '../core/validation';
import {
  type Backdrop,
  backdropSchema,
  type CompositeSettings,
  compositeSettingsSchema,
  type GenerationSettings,
  generationSettingsSchema,
  type Preset,
  presetSchema,
} from './schema';

export * from './schema';
export { adjustedShadows, seedFor, SHADOW_LOOKS, SHADOW_MODES, type ShadowAdjustments, type ShadowMode, shadowSettings } from './policy';
export { BUILTIN_PRESETS, VITRINEALU_PRESET } from './builtin';

/** A preset narrowed to one prompt type: everything a Replace run reads. */
export interface ResolvedPreset {
  preset: string;
  promptType: string;
  prompt: string;
  negativePrompt: string;
  backdrop: Backdrop;
  generation: GenerationSettings;
  composite: CompositeSettings;
  subjectHint?: SubjectHint;
}

/** A resolved preset as it crosses a node boundary (Background Preset's output in item JSON). */
export const resolvedPresetSchema = z.object({
  preset: z.string().min(1),
  promptType: z.string().min(1),
  prompt: z.string(),
  negativePrompt: z.string(),
  backdrop: backdropSchema,
  generation: generationSettingsSchema,
  composite: compositeSettingsSchema,
  subjectHint: subjectHintSchema.optional(),
});

/** Parses a custom preset (object or JSON text) with a message naming the bad field. */
export function parsePreset(input: unknown, source = 'preset'): Preset {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new EngineError('INVALID_OPTION', `${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = presetSchema.safeParse(value);
  if (!parsed.success) throw new EngineError('INVALID_OPTION', `${source}: ${zodIssue(parsed.error)}`);
  return parsed.data;
}

export function loadPresetFile(file: string): Preset {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new EngineError('INVALID_OPTION', `Cannot read preset file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parsePreset(text, `preset file ${file}`);
}

export type PresetDefaults = EngineConfig['presetDefaults'];

export interface PresetChoice {
  /** Name of a built-in preset, or of one of `custom`. Default: MEDIA_INGEST_BACKGROUND_PRESET, then "vitrinealu". */
  name?: string;
  /** Default: MEDIA_INGEST_BACKGROUND_PROMPT_TYPE, then "studio". */
  promptType?: string;
  /** Extra presets (parsed), e.g. from a node's JSON parameter or a file. */
  custom?: Preset[];
}

export function availablePresets(custom: Preset[] = []): Record<string, Preset> {
  const all: Record<string, Preset> = {};
  for (const [name, input] of Object.entries(BUILTIN_PRESETS)) all[name] = presetSchema.parse(input);
  for (const preset of custom) all[preset.name] = preset;
  return all;
}

/** The preset a choice names, else `defaults` (MEDIA_INGEST_BACKGROUND_PRESET / _PROMPT_TYPE), else vitrinealu / studio. */
export function resolvePreset(choice: PresetChoice = {}, defaults: PresetDefaults = readEngineConfig().presetDefaults): ResolvedPreset {
  const presets = availablePresets(choice.custom);
  const name = (choice.name || defaults.name || 'vitrinealu').trim();
  const preset = presets[name];
  if (!preset) {
    throw new EngineError('INVALID_OPTION', `Unknown preset "${name}" (available: ${Object.keys(presets).join(', ')})`);
  }
  const promptType = (choice.promptType || defaults.promptType || 'studio').trim();
  const type = preset.promptTypes[promptType];
  if (!type) {
    throw new EngineError('INVALID_OPTION', `Preset "${name}" has no prompt type "${promptType}" (valid: ${Object.keys(preset.promptTypes).join(', ')})`);
  }
  return {
    preset: name,
    promptType,
    prompt: type.prompt,
    negativePrompt: preset.negativePrompt,
    backdrop: type.backdrop,
    generation: preset.generation,
    composite: preset.composite,
    ...(preset.subjectHint ? { subjectHint: preset.subjectHint } : {}),
  };
}

/** A resolved preset read from elsewhere (an item's json.backgroundPreset), checked field by field. */
export function parseResolvedPreset(input: unknown, source = 'backgroundPreset'): ResolvedPreset {
  const parsed = resolvedPresetSchema.safeParse(input);
  if (!parsed.success)
    throw new EngineError('INVALID_OPTION', `${source}: ${zodIssue(parsed.error)} (connect a Background Preset node, or set Preset / Prompt Type here)`);
  return parsed.data as ResolvedPreset;
}

/**
 * Which preset a Replace follows: the node's own Preset / Prompt Type when either is set, else
 * the one resolved upstream (Background Preset, in the item's JSON), else
 * MEDIA_INGEST_BACKGROUND_PRESET / _PROMPT_TYPE, else vitrinealu / studio.
 */
export function choosePreset(choice: PresetChoice & { upstream?: unknown }, defaults: PresetDefaults = readEngineConfig().presetDefaults): ResolvedPreset {
  if (!choice.name && !choice.promptType && choice.upstream !== undefined) return parseResolvedPreset(choice.upstream, 'backgroundPreset (from the item)');
  return resolvePreset(choice, defaults);
}

/** Custom presets from a node's JSON parameter: one preset object or an array of them. */
export function parsePresetList(input: unknown, source = 'custom presets'): Preset[] {
  let value = input;
  if (typeof input === 'string') {
    if (input.trim() === '') return [];
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new EngineError('INVALID_OPTION', `${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry, index) => parsePreset(entry, Array.isArray(value) ? `${source}[${index}]` : source));
}

/** Every preset x prompt type, resolved (what the Background Preset node's List returns). */
export function listPresets(custom: Preset[] = []): ResolvedPreset[] {
  return Object.values(availablePresets(custom)).flatMap((preset) =>
    Object.keys(preset.promptTypes).map((promptType) => resolvePreset({ name: preset.name, promptType, custom }, {})),
  );
}
