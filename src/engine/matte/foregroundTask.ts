/**
 * Foreground color estimation in the pixel pool (seconds of arithmetic at 12 MP), split
 * across its threads: the photo, the alpha and the result live in shared memory, each thread
 * does every n-th edge tile, so the bytes are those of one call (see estimateForeground).
 */
import { getPixelPool } from '../runtime/pool';
import { estimateForeground } from './foreground';

export interface ForegroundRequest {
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved. */
  rgb: Uint8Array;
  alpha: Uint8Array;
  signal?: AbortSignal;
}

export interface ForegroundResult {
  /** The colors, soft edges estimated (in shared memory). */
  rgb: Uint8Array;
  ms: number;
}

interface PartRequest {
  width: number;
  height: number;
  rgb: SharedArrayBuffer;
  alpha: SharedArrayBuffer;
  out: SharedArrayBuffer;
  part: number;
  parts: number;
}

async function foregroundPart(request: PartRequest): Promise<{ result: { ms: number }; transfer: ArrayBuffer[] }> {
  const t0 = performance.now();
  estimateForeground(new Uint8Array(request.rgb), new Uint8Array(request.alpha), request.width, request.height, new Uint8Array(request.out), {
    part: request.part,
    parts: request.parts,
  });
  return { result: { ms: performance.now() - t0 }, transfer: [] };
}

export const tasks = { foregroundPart };

function sharedCopy(bytes: Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

export async function estimateForegroundInPool({ signal, width, height, rgb, alpha }: ForegroundRequest): Promise<ForegroundResult> {
  const t0 = performance.now();
  const pool = getPixelPool();
  const request = { width, height, rgb: sharedCopy(rgb), alpha: sharedCopy(alpha), out: sharedCopy(rgb), parts: pool.size };
  await Promise.all(Array.from({ length: pool.size }, (_, part) => pool.run(__filename, 'foregroundPart', { ...request, part }, { signal })));
  return { rgb: new Uint8Array(request.out), ms: performance.now() - t0 };
}
