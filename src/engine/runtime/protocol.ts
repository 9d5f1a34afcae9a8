import type { Device } from '../config';
import type { EngineErrorCode } from '../errors';
import type { ModelFamily } from '../segment/families';

/** Messages between the main thread and an inference worker thread. */
export interface SegmentRequest {
  kind: 'segment';
  modelPath: string;
  device: Device;
  threads: number;
  graphOptimization: 'basic' | 'extended' | 'all';
  family: ModelFamily;
  /** RGB, 8-bit, family.inputSize squared, row-major. */
  pixels: Uint8Array;
}

export interface SegmentResult {
  /** 8-bit matte at family.inputSize squared. */
  mask: Uint8Array;
  provider: 'cpu' | 'cuda';
  warnings: string[];
  timings: { prepareMs: number; runMs: number; finishMs: number };
}

export interface ForegroundRequest {
  kind: 'foreground';
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

export type WorkerRequest = SegmentRequest | ForegroundRequest;

export type WorkerReply =
  | { id: number; ok: true; result: SegmentResult | ForegroundResult }
  | { id: number; ok: false; error: { message: string; code?: EngineErrorCode } };
