/** The health check's inference, in a pool thread: loads the backend BG_RUNTIME selects and runs the probe graph. */
import path from 'node:path';

import { errorMessage } from '../core/errors';
import { type BackendName, loadBackend, probeBackend, type RuntimeChoice } from './backend';
import { getWorkerPool } from './pool';

export interface ProbeRequest {
  runtime: RuntimeChoice;
  threads: number;
}

export type RuntimeProbe =
  | {
      ok: true;
      backend: BackendName;
      library: string;
      version: string;
      /** WASM threads (0: native, its own). */
      threads: number;
      fallbackReason?: string;
      warning?: string;
      /** The probe inference (y = 2x + 1), session creation included. */
      probeMs: number;
    }
  | { ok: false; error: string; code?: string };

async function probe(request: ProbeRequest): Promise<{ result: RuntimeProbe }> {
  try {
    const backend = await loadBackend(request.runtime, request.threads);
    const run = await probeBackend(backend);
    const result: RuntimeProbe = {
      ok: true,
      backend: backend.name,
      library: backend.library,
      version: backend.version,
      threads: backend.threads,
      ...(backend.fallbackReason ? { fallbackReason: backend.fallbackReason } : {}),
      ...(backend.warning ? { warning: backend.warning } : {}),
      probeMs: Math.round(run.ms * 10) / 10,
    };
    return { result };
  } catch (error) {
    return { result: { ok: false, error: errorMessage(error), code: (error as { code?: string }).code } };
  }
}

export const tasks = { probe };

/** Selects and probes the backend in the worker pool, where segmentation will use it. */
export function probeRuntime(request: ProbeRequest): Promise<RuntimeProbe> {
  return getWorkerPool().run<RuntimeProbe>(path.join(__dirname, 'probeTask.js'), 'probe', request);
}
