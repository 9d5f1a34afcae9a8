import { EngineError } from '../core/errors';

/**
 * A model family says how a segmentation network wants its input and how its output
 * becomes an alpha matte. The numbers follow rembg's sessions for the same networks;
 * "isnet-imgly" follows the IMG.LY export that ships as our default weights.
 */
export interface ModelFamily {
  name: string;
  /** Square input side the network was trained at. */
  inputSize: number;
  /** Per-channel mean and std applied to pixel/255 (or pixel/max for scaleByMax). */
  mean: [number, number, number];
  std: [number, number, number];
  /** rembg's u2net divides by the image's brightest value instead of 255. */
  scaleByMax: boolean;
  /** How raw network output becomes 0..1: clamp, min-max stretch, or sigmoid then stretch. */
  output: 'clamp' | 'minmax' | 'sigmoid-minmax';
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export const MODEL_FAMILIES: Record<string, ModelFamily> = {
  'isnet-imgly': {
    name: 'isnet-imgly',
    inputSize: 1024,
    // (pixel - 128) / 256, written in the 0..1 scale.
    mean: [128 / 255, 128 / 255, 128 / 255],
    std: [256 / 255, 256 / 255, 256 / 255],
    scaleByMax: false,
    output: 'clamp',
  },
  isnet: {
    name: 'isnet',
    inputSize: 1024,
    mean: [0.5, 0.5, 0.5],
    std: [1, 1, 1],
    scaleByMax: false,
    output: 'minmax',
  },
  u2net: {
    name: 'u2net',
    inputSize: 320,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    scaleByMax: true,
    output: 'minmax',
  },
  birefnet: {
    name: 'birefnet',
    inputSize: 1024,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    scaleByMax: false,
    output: 'sigmoid-minmax',
  },
};

export function getModelFamily(name: string): ModelFamily {
  const family = MODEL_FAMILIES[name.toLowerCase()];
  if (!family) {
    throw new EngineError('INVALID_OPTION', `Unknown model family "${name}" (known: ${Object.keys(MODEL_FAMILIES).join(', ')})`);
  }
  return family;
}

/** Guesses the family of a user-given rembg-style model from its file name. */
export function guessFamilyFromFileName(fileName: string): ModelFamily {
  const lower = fileName.toLowerCase();
  if (lower.includes('birefnet')) return MODEL_FAMILIES.birefnet;
  if (lower.includes('u2net') || lower.includes('silueta')) return MODEL_FAMILIES.u2net;
  return MODEL_FAMILIES.isnet;
}
