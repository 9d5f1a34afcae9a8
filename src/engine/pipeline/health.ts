import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { type EngineConfig, readEngineConfig } from '../core/config';
import { errorMessage } from '../core/errors';
import { readSdxlLayout } from '../generate/sdxl/modelDir';
import { packageVersion, type RuntimeChoice } from '../runtime/backend';
import { probeCuda } from '../runtime/device';
import { probeRuntime } from '../runtime/probeTask';
import { resolveModel } from '../segment/model';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'error';
  /**
   * The inference library this worker runs, found by loading it and running a tiny real
   * inference (the same selection segmentation makes): `ok: false` with the reason when none runs.
   */
  runtime: {
    requested: RuntimeChoice;
    ok: boolean;
    backend?: 'native' | 'wasm';
    library?: string;
    version?: string;
    threads?: number;
    /** Why `auto` did not get onnxruntime-node (musl, a broken install...). */
    fallbackReason?: string;
    probeMs?: number;
    error?: string;
  };
  device: { requested: string; cudaAvailable: boolean; cudaProviderInstalled: boolean; nvidiaDriver: boolean; willUse: 'cuda' | 'cpu' | 'wasm' };
  model: { found: boolean; name?: string; path?: string; family?: string; sha256?: string; bundled?: boolean; error?: string };
  /** Local SDXL: only checked when SDXL_MODEL_DIR is set (the engine is optional). */
  sdxl: { configured: boolean; modelDir?: string; layoutOk?: boolean; scheduler: string; resolution: number; concurrency: number; error?: string };
  versions: { package: string; node: string; onnxruntime: string; onnxruntimeWeb: string; sharp: string; libvips: string };
  limits: { maxMegapixels: number; concurrency: number };
  problems: string[];
}

/** This package's version: the nearest package.json above this file that is ours. */
function ownVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@vitrinealu/n8n-nodes-background' && manifest.version) return manifest.version;
    } catch {
      // no package.json here: look further up
    }
  }
  return 'unknown';
}

/** The model the worker would load: found and hashed, or why not. */
function modelStatus(config: EngineConfig): HealthReport['model'] {
  try {
    const resolved = resolveModel({ modelPath: config.modelPath, family: config.modelFamily, cacheDir: config.modelCacheDir });
    return { found: true, name: resolved.name, path: resolved.path, family: resolved.family.name, sha256: resolved.sha256, bundled: resolved.bundled };
  } catch (error) {
    return { found: false, error: errorMessage(error) };
  }
}

/** SDXL's settings, and whether its model folder (when set) holds a complete export. */
function sdxlStatus(config: EngineConfig): HealthReport['sdxl'] {
  const sdxl: HealthReport['sdxl'] = {
    configured: !!config.sdxl.modelDir,
    scheduler: config.sdxl.scheduler,
    resolution: config.sdxl.resolution,
    concurrency: config.sdxl.concurrency,
  };
  if (!config.sdxl.modelDir) return sdxl;
  sdxl.modelDir = config.sdxl.modelDir;
  try {
    readSdxlLayout(config.sdxl.modelDir, true);
    sdxl.layoutOk = true;
  } catch (error) {
    sdxl.layoutOk = false;
    sdxl.error = errorMessage(error);
  }
  return sdxl;
}

/** The old background service's /health, without a service: what this worker runs, checked by running it. */
export async function health(overrides: Partial<EngineConfig> = {}, probe: typeof probeRuntime = probeRuntime): Promise<HealthReport> {
  const problems: string[] = [];
  let config: EngineConfig;
  try {
    config = { ...readEngineConfig(), ...overrides };
  } catch (error) {
    problems.push(errorMessage(error));
    config = { ...readEngineConfig({}), ...overrides };
  }
  const found = await probe({ runtime: config.runtime, threads: config.inferenceThreads });
  const runtime: HealthReport['runtime'] = found.ok
    ? {
        requested: config.runtime,
        ok: true,
        backend: found.backend,
        library: found.library,
        version: found.version,
        threads: found.threads,
        ...(found.fallbackReason ? { fallbackReason: found.fallbackReason } : {}),
        probeMs: found.probeMs,
      }
    : { requested: config.runtime, ok: false, error: found.error };
  if (!found.ok) problems.push(found.error);
  else if (found.warning) problems.push(found.warning);
  const cuda = probeCuda();
  const wasm = found.ok && found.backend === 'wasm';
  const willUse = wasm ? 'wasm' : config.device !== 'cpu' && cuda.available ? 'cuda' : 'cpu';
  if (wasm && config.device === 'cuda') problems.push('DEVICE=cuda but the WASM runtime cannot use a GPU: inference runs on CPU (WASM)');
  else if (config.device === 'cuda' && !cuda.available) {
    problems.push(
      cuda.providerInstalled
        ? 'DEVICE=cuda but no NVIDIA driver is loaded: inference falls back to CPU'
        : 'DEVICE=cuda but onnxruntime-node was installed without CUDA (reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12): inference falls back to CPU',
    );
  }
  const model = modelStatus(config);
  if (model.error) problems.push(model.error);
  const sdxl = sdxlStatus(config);
  if (sdxl.error) problems.push(`SDXL_MODEL_DIR: ${sdxl.error}`);
  return {
    status: !model.found || !runtime.ok ? 'error' : problems.length > 0 ? 'degraded' : 'ok',
    runtime,
    device: {
      requested: config.device,
      cudaAvailable: cuda.available,
      cudaProviderInstalled: cuda.providerInstalled,
      nvidiaDriver: cuda.driverLoaded,
      willUse,
    },
    model,
    sdxl,
    versions: {
      package: ownVersion(),
      node: process.version,
      onnxruntime: packageVersion('onnxruntime-node'),
      onnxruntimeWeb: packageVersion('onnxruntime-web'),
      sharp: sharp.versions.sharp ?? packageVersion('sharp'),
      libvips: sharp.versions.vips,
    },
    limits: { maxMegapixels: config.maxPixels / 1e6, concurrency: config.concurrency },
    problems,
  };
}
