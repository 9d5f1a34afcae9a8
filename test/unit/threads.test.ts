import os from 'node:os';

import { nativeThreads, wasmThreads } from '../../src/engine/runtime/backend';

describe('inference threads', () => {
  test('native sessions ask for one thread per core unless BG_INFERENCE_THREADS says otherwise (onnxruntime-node left to itself ran one)', () => {
    expect(nativeThreads(0)).toBe(os.availableParallelism());
    expect(nativeThreads(3)).toBe(3);
    expect(wasmThreads(0)).toBe(Math.min(8, os.availableParallelism()));
  });
});
