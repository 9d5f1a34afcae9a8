import { renderBackdrop } from '../compose/backdrop';
import type { BackdropRequest, BackgroundEngine, EngineOutput } from './engine';

/** The deterministic engine: the preset's studio backdrop, no model, same output every run. */
export const studioEngine: BackgroundEngine = {
  name: 'studio',
  generative: false,
  strategies: ['backdrop'],
  async render(request: BackdropRequest): Promise<EngineOutput> {
    return { image: await renderBackdrop(request.backdrop, request.width, request.height), final: false };
  },
};
