/** The guided upsampling of a matte inside a pool thread (a second of arithmetic at 12 MP). */
import { poolForPixelWork } from '../runtime/pool';
import { type GuidedOptions, guidedUpsample } from './guidedUpsample';

export interface GuidedRequest extends GuidedOptions {
  width: number;
  height: number;
  channels: number;
  /** The photo, 8-bit, interleaved. */
  image: Uint8Array;
  /** The upscaled matte, 1 channel. */
  matte: Uint8Array;
}

async function guided(request: GuidedRequest): Promise<{ result: Uint8Array; transfer: ArrayBuffer[] }> {
  const { matte, image, width, height, channels, ...options } = request;
  const out = guidedUpsample(matte, image, width, height, channels, options);
  return { result: out, transfer: [out.buffer as ArrayBuffer] };
}

export const tasks = { guided };

/** guidedUpsample in the worker pool; the matte is moved there, the photo copied (the caller keeps it). */
export function guidedUpsampleInPool({ signal, ...request }: GuidedRequest & { signal?: AbortSignal }): Promise<Uint8Array> {
  return poolForPixelWork().run<Uint8Array>(__filename, 'guided', request, { signal, transfer: [request.matte.buffer as ArrayBuffer] });
}
