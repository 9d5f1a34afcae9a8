import type { RawImage } from '../image/types';
import type { Backdrop, GenerationSettings } from '../presets/schema';

/**
 * A background engine makes the new backdrop for one photo. The compositor then places
 * the original subject over it with its own alpha: an engine never repaints the product.
 * SDXL and Runway plug in here with the same request.
 */
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
  /** The placed subject and its alpha, for engines that outpaint around it. */
  subject: RawImage;
  alpha: { data: Buffer; width: number; height: number };
}

export interface BackgroundEngine {
  readonly name: string;
  readonly generative: boolean;
  render(request: BackdropRequest): Promise<RawImage>;
}
