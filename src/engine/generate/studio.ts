import { renderBackdrop } from '../compose/backdrop';
import type { RawImage } from '../image/types';
import type { BackdropRequest, BackgroundEngine } from './engine';

/** The deterministic engine: the preset's studio backdrop, no model, same output every run. */
export const studioEngine: BackgroundEngine = {
  name: 'studio',
  generative: false,
  render(request: BackdropRequest): Promise<RawImage> {
    return renderBackdrop(request.backdrop, request.width, request.height);
  },
};
