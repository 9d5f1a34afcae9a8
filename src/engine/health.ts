import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { type EngineConfig, readEngineConfig } from './config';
import { errorMessage } from './errors';
import { readSdxlLayout } from './generate/sdxl/modelDir';
import { probeCuda } from './runtime/device';
import { resolveModel } from './segment/model';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'error';
  device: { requested: string; cudaAvailable: boolean; cudaProviderInstalled: boolean; nvidiaDriver: boolean; willUse: 'cuda' | 'cpu' };
  model: { found: boolean; name?: string; path?: string; family?: string; sha256?: string; bundled?: boolean; error?: string };
  /** Local SDXL: only checked when SDXL_MODEL_DIR is set (the engine is optional). */
  sdxl: { configured: boolean; modelDir?: string; layoutOk?: boolean; scheduler: string; resolution: number; concurrency: number; error?: string };
  versions: { package: string; node: string; onnxruntime: string; sharp: string; libvips: string };
  limits: { maxMegapixels: number; concurrency: number };
  problems: string[];
}

function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function ownVersion(): string {
  // dist/src/engine/health.js -> package root.
  for (const candidate of [path.join(__dirname, '..', '..', '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      return (JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}

/** The seed's /health, without a service: what this worker would run and with what. */
export function health(overrides: Partial<EngineConfig> = {}): HealthReport {
  const problems: string[] = [];
  let config: EngineConfig;
  try {
    config = { ...readEngineConfig(), ...overrides };
  } catch (error) {
    problems.push(errorMessage(error));
    config = { ...readEngineConfig({}), ...overrides };
  }
  const cuda = probeCuda();
  const willUse = config.device !== 'cpu' && cuda.available ? 'cuda' : 'cpu';
  if (config.device === 'cuda' && !cuda.available) {
    problems.push(
      cuda.providerInstalled
        ? 'DEVICE=cuda but no NVIDIA driver is loaded: inference falls back to CPU'
        : 'DEVICE=cuda but onnxruntime-node was installed without CUDA (reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12): inference falls back to CPU',
    );
  }
  let model: HealthReport['model'];
  try {
    const resolved = resolveModel({ modelPath: config.modelPath, family: config.modelFamily, cacheDir: config.modelCacheDir });
    model = { found: true, name: resolved.name, path: resolved.path, family: resolved.family.name, sha256: resolved.sha256, bundled: resolved.bundled };
  } catch (error) {
    model = { found: false, error: errorMessage(error) };
    problems.push(errorMessage(error));
  }
  const sdxl: HealthReport['sdxl'] = { configured: !!config.sdxl.modelDir, scheduler: config.sdxl.scheduler, resolution: config.sdxl.resolution, concurrency: config.sdxl.concurrency };
  if (config.sdxl.modelDir) {
    sdxl.modelDir = config.sdxl.modelDir;
    try {
      readSdxlLayout(config.sdxl.modelDir, true);
      sdxl.layoutOk = true;
    } catch (error) {
      sdxl.layoutOk = false;
      sdxl.error = errorMessage(error);
      problems.push(`SDXL_MODEL_DIR: ${sdxl.error}`);
    }
  }
  return {
    status: !model.found ? 'error' : problems.length > 0 ? 'degraded' : 'ok',
    device: { requested: config.device, cudaAvailable: cuda.available, cudaProviderInstalled: cuda.providerInstalled, nvidiaDriver: cuda.driverLoaded, willUse },
    model,
    sdxl,
    versions: {
      package: ownVersion(),
      node: process.version,
      onnxruntime: packageVersion('onnxruntime-node'),
      sharp: sharp.versions.sharp ?? packageVersion('sharp'),
      libvips: sharp.versions.vips,
    },
    limits: { maxMegapixels: config.maxPixels / 1e6, concurrency: config.concurrency },
    problems,
  };
}
