import fs from 'node:fs';
import path from 'node:path';

import type { Device } from '../core/config';

/** Where onnxruntime-node keeps its native binaries for this platform. */
export function onnxruntimeBinDir(): string | undefined {
  try {
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    return path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

export interface CudaProbe {
  /** The CUDA execution provider library was installed (ONNXRUNTIME_NODE_INSTALL=cuda12). */
  providerInstalled: boolean;
  /** The NVIDIA kernel driver is loaded on this machine. */
  driverLoaded: boolean;
  available: boolean;
}

export function probeCuda(): CudaProbe {
  const bin = onnxruntimeBinDir();
  const providerInstalled = !!bin && fs.existsSync(path.join(bin, 'libonnxruntime_providers_cuda.so'));
  const driverLoaded = fs.existsSync('/proc/driver/nvidia/version') || fs.existsSync('/dev/nvidia0');
  return { providerInstalled, driverLoaded, available: providerInstalled && driverLoaded };
}

/** Execution providers to try, in order, for a requested device. */
export function providerPlan(device: Device): Array<'cuda' | 'cpu'> {
  if (device === 'cpu') return ['cpu'];
  if (device === 'cuda') return ['cuda', 'cpu'];
  return probeCuda().available ? ['cuda', 'cpu'] : ['cpu'];
}
