import type { PresetInput } from './schema';

/**
 * The old background service's brand preset. Prompts serve the generative engines (SDXL, Runway); the
 * backdrop is what the deterministic studio engine renders for the same prompt type.
 */
export const VITRINEALU_PRESET: PresetInput = {
  name: 'vitrinealu',
  description: 'VitrineAlu aluminium windows, doors, verandas and pergolas: calm, bright, architectural',
  negativePrompt: 'people, text, watermark, logo, clutter, distorted frame, warped lines, extra windows, blurry, low quality, oversaturated, harsh shadows',
  generation: { steps: 25, guidanceScale: 7.5, seedPolicy: 'per-image', seed: 42 },
  composite: {
    enhanceFg: true,
    matchColors: true,
    matchStrength: 0.35,
    matchMaxDeltaE: 6,
    featherEdges: true,
    shadow: { contact: { opacity: 0.45, blur: 6, spread: 0.06 } },
  },
  promptTypes: {
    studio: {
      prompt: 'modern minimalist studio with soft diffused lighting, seamless light grey backdrop, subtle floor reflection, architectural product photography',
      backdrop: { type: 'sweep', top: '#f4f4f2', bottom: '#dcdcd8', floor: { color: '#cfcfca', horizon: 0.74, softness: 0.1 }, vignette: 0.12 },
    },
    garden: {
      prompt: 'sunlit garden terrace with green lawn and soft hedges, natural daylight, shallow depth of field, architectural product photography',
      backdrop: { type: 'sweep', top: '#dcecf7', bottom: '#b9d7a8', floor: { color: '#8fb573', horizon: 0.7, softness: 0.14 }, vignette: 0.1 },
    },
    minimal: {
      prompt: 'clean white minimal background, even soft light, no objects',
      backdrop: { type: 'solid', color: '#ffffff' },
    },
    lifestyle: {
      prompt: 'warm contemporary living space with light oak floor and plaster walls, late afternoon light, interior design photography',
      backdrop: { type: 'sweep', top: '#f3ece2', bottom: '#e4d6c3', floor: { color: '#c9a97f', horizon: 0.72, softness: 0.08 }, vignette: 0.18 },
    },
  },
};

export const BUILTIN_PRESETS: Record<string, PresetInput> = { vitrinealu: VITRINEALU_PRESET };
