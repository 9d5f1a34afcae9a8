import type { RawImage } from '../image/types';
import type { Backdrop, GenerationSettings } from '../presets/schema';
import type { EngineContext } from '../core/context';
import type { RunwayModel } from './runway/protocol';
import type { SchedulerName } from './sdxl/schedulers';

/**
 * A background engine makes the new backdrop for one photo. By default the compositor then
 * places the original subject over it with its own alpha, so the product's pixels stay the
 * photo's. Studio, SDXL and Runway all answer the same request.
 */
export const STRATEGIES = ['backdrop', 'outpaint', 'creative'] as const;
/**
 * backdrop: the engine paints only the scene; outpaint: it paints the scene around the
 * product in place (SDXL inpainting), the product composited back exactly; creative: it
 * repaints the whole picture, product included.
 */
export type Strategy = (typeof STRATEGIES)[number];

export interface BackdropRequest {
  width: number;
  height: number;
  prompt: string;
  negativePrompt: string;
  generation: GenerationSettings;
  /** The concrete seed for this photo (after the preset's seed policy). */
  seed: number;
  /** The studio description of the same prompt type (what the deterministic engine renders). */
  backdrop: Backdrop;
  /** The placed subject and its alpha, for engines that outpaint around it or take it as a reference. */
  subject: RawImage;
  alpha: { data: Buffer; width: number; height: number };
  strategy: Strategy;
  runwayModel: RunwayModel;
  sdxl: SdxlRequestOptions;
  /** The job's context: cancellation, log, credentials. */
  context: EngineContext;
}

/** Local SDXL settings for one request; unset ones come from the environment. */
export interface SdxlRequestOptions {
  modelDir?: string;
  scheduler?: SchedulerName;
  /** 0..1: how much of the masked region is repainted (1 = from pure noise). */
  strength: number;
  /** 0..1: diffusers' guidance_rescale (0 = off). */
  guidanceRescale: number;
}

export interface EngineOutput {
  /** The backdrop (or, when `final`, the whole picture), at the requested size. */
  image: RawImage;
  /** true when the engine repainted the product too: the caller must not composite over it. */
  final: boolean;
  /** What the engine wants recorded (task id, model, ratio...), never a secret. */
  details?: Record<string, string | number>;
}

export interface BackgroundEngine {
  readonly name: string;
  readonly generative: boolean;
  readonly strategies: readonly Strategy[];
  /** Fails fast (before any segmentation) when the engine cannot run this request. */
  check?(request: Pick<BackdropRequest, 'strategy' | 'runwayModel' | 'sdxl' | 'context'>): void;
  render(request: BackdropRequest): Promise<EngineOutput>;
}
