import { imageBackdrop } from '../../compose/backdrop';
import { readEngineConfig } from '../../core/config';
import { EngineError } from '../../core/errors';
import { joinAlpha, sharpFromRaw } from '../../image/raw';
import type { BackdropRequest, BackgroundEngine, EngineOutput } from '../engine';
import { type RunwayConnection, sharedRunwayClient } from './client';
import { MAX_DATA_URI_BYTES, MAX_PROMPT_CHARS, nearestRatio, type TextToImageRequest } from './protocol';

/**
 * Runway as a background engine. "backdrop" (default): Runway paints the empty scene from
 * the preset's prompt at the accepted ratio nearest the output's, and the compositor puts
 * the original product on it, so the product's pixels stay exact. "creative": the cut-out
 * goes to Runway as the reference image @product and Runway's whole picture is the result,
 * product regenerated (there is no masked edit in Runway's API).
 */
const PRODUCT_TAG = 'product';
// Negative prompts have no field in Runway's API; they are folded into the text.
const AVOID = ' Avoid: ';

export function runwayConnection(fromNode: RunwayConnection | undefined): RunwayConnection {
  if (fromNode?.apiKey) return fromNode;
  const { runway } = readEngineConfig();
  if (!runway.apiKey) {
    throw new EngineError(
      'API_AUTH',
      'The runway engine needs a Runway API key: select a Runway API credential on the node (or set RUNWAY_API_KEY for the CLI)',
    );
  }
  return { apiKey: runway.apiKey, baseUrl: runway.baseUrl, apiVersion: runway.apiVersion };
}

function assertModelFitsStrategy(request: Pick<BackdropRequest, 'strategy' | 'runwayModel'>): void {
  if (request.strategy !== 'creative' && request.runwayModel === 'gen4_image_turbo') {
    throw new EngineError(
      'INVALID_OPTION',
      'gen4_image_turbo needs a reference image, so it only works with the creative strategy; use gen4_image for backdrops',
    );
  }
}

function promptText(request: BackdropRequest, prefix: string): string {
  const main = `${prefix}${request.prompt}`.trim();
  const full = request.negativePrompt ? `${main}.${AVOID}${request.negativePrompt}` : main;
  // Runway takes at most 1000 characters: the negative part is what gets shortened.
  return full.length <= MAX_PROMPT_CHARS ? full : full.slice(0, MAX_PROMPT_CHARS).replace(/[\s,;.]+\S*$/, '');
}

/** The cut-out as a PNG data URI within Runway's 5 MB limit (halving its size until it fits). */
async function subjectReference(request: BackdropRequest): Promise<string> {
  const rgba = await joinAlpha(request.subject, request.alpha);
  let side = Math.min(1536, Math.max(rgba.width, rgba.height));
  for (;;) {
    const png = await sharpFromRaw(rgba).resize(side, side, { fit: 'inside', withoutEnlargement: true }).png({ compressionLevel: 9 }).toBuffer();
    const uri = `data:image/png;base64,${png.toString('base64')}`;
    if (uri.length <= MAX_DATA_URI_BYTES) return uri;
    if (side <= 256) throw new EngineError('INVALID_OPTION', 'The cut-out does not fit in a 5 MB reference image');
    side = Math.round(side / 2);
  }
}

export const runwayEngine: BackgroundEngine = {
  name: 'runway',
  generative: true,
  strategies: ['backdrop', 'creative'],
  check(request) {
    runwayConnection(request.context.credentials?.runway);
    assertModelFitsStrategy(request);
  },
  async render(request: BackdropRequest): Promise<EngineOutput> {
    assertModelFitsStrategy(request);
    const connection = runwayConnection(request.context.credentials?.runway);
    const config = readEngineConfig();
    const client = sharedRunwayClient({
      ...connection,
      timeoutMs: config.remote.timeoutMs,
      retryAttempts: config.remote.retryAttempts,
      retryDelayMs: config.remote.retryDelayMs,
      pollIntervalMs: config.runway.pollIntervalMs,
      concurrency: config.runway.concurrency,
      log: request.context.log,
    });
    const ratio = nearestRatio(request.width, request.height);
    const creative = request.strategy === 'creative';
    const body: TextToImageRequest = {
      model: request.runwayModel,
      promptText: promptText(request, creative ? `@${PRODUCT_TAG} ` : ''),
      ratio,
      seed: request.seed,
      ...(creative ? { referenceImages: [{ uri: await subjectReference(request), tag: PRODUCT_TAG }] } : {}),
    };
    const generated = await client.textToImage(body, request.context.signal);
    // Decoded by the engine's own image module (format sniffing, size limits), then fitted.
    const image = await imageBackdrop(generated.data, request.width, request.height, 'cover', config.maxPixels).catch((error: Error) => {
      throw new EngineError('API_OUTPUT', `Runway task ${generated.taskId}'s output is not a readable image: ${error.message}`);
    });
    return {
      image,
      final: creative,
      details: {
        taskId: generated.taskId,
        model: request.runwayModel,
        ratio,
        strategy: request.strategy,
        createAttempts: generated.createAttempts,
        polls: generated.polls,
        generateMs: generated.ms,
      },
    };
  },
};
