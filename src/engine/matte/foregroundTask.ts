/** Foreground colour estimation inside a pool thread (seconds of arithmetic at 12 MP). */
import { poolForPixelWork } from '../runtime/pool';
import { estimateForeground } from './foreground';

export interface ForegroundRequest {
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved. */
  rgb: Uint8Array;
  alpha: Uint8Array;
}

export interface ForegroundResult {
  rgb: Uint8Array;
  ms: number;
}

async function foreground(request: ForegroundRequest): Promise<{ result: ForegroundResult; transfer: ArrayBuffer[] }> {
  const t0 = performance.now();
  const rgb = estimateForeground(request.rgb, request.alpha, request.width, request.height);
  return { result: { rgb, ms: performance.now() - t0 }, transfer: [rgb.buffer as ArrayBuffer] };
}

export const tasks = { foreground };

/** estimateForeground in the worker pool; the buffers given are moved there (not copied). */
export function estimateForegroundInPool({ signal, ...request }: ForegroundRequest & { signal?: AbortSignal }): Promise<ForegroundResult> {
  return poolForPixelWork().run<ForegroundResult>(__filename, 'foreground', request, {
    signal,
    transfer: [request.rgb.buffer as ArrayBuffer, request.alpha.buffer as ArrayBuffer],
  });
}
