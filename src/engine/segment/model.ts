import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { EngineError } from '../core/errors';
import { BUNDLED_MODEL_NAME, ensureBundledModel } from './bundledModel';
import { type ModelFamily, getModelFamily, guessFamilyFromFileName, MODEL_FAMILIES } from './families';

export interface ResolvedModel {
  /** Absolute path of the ONNX file the session loads. */
  path: string;
  name: string;
  family: ModelFamily;
  sha256: string;
  bundled: boolean;
}

export interface ModelChoice {
  /** A rembg-compatible ONNX file; empty means the bundled IS-Net weights. */
  modelPath?: string;
  /** Family name for a custom model; guessed from the file name when absent. */
  family?: string;
  cacheDir: string;
}

const resolved = new Map<string, ResolvedModel>();

function hashFile(filePath: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(filePath, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    let read: number;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Resolves (and memoises per process) which model file to run and how. */
export function resolveModel(choice: ModelChoice): ResolvedModel {
  const custom = choice.modelPath?.trim();
  const key = custom ? `${path.resolve(custom)}|${choice.family ?? ''}` : `bundled|${choice.cacheDir}`;
  const known = resolved.get(key);
  if (known) return known;
  let model: ResolvedModel;
  if (!custom) {
    const assembled = ensureBundledModel(choice.cacheDir);
    model = {
      path: assembled.path,
      name: BUNDLED_MODEL_NAME,
      family: MODEL_FAMILIES['isnet-imgly'],
      sha256: assembled.sha256,
      bundled: true,
    };
  } else {
    const absolute = path.resolve(custom);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      throw new EngineError('MODEL_NOT_FOUND', `Model file not found: ${absolute} (BG_MODEL_PATH or the node's Model Path)`);
    }
    if (!stat.isFile() || stat.size < 1024) {
      throw new EngineError('MODEL_INVALID', `Model path ${absolute} is not an ONNX model file`);
    }
    model = {
      path: absolute,
      name: path.basename(absolute),
      family: choice.family ? getModelFamily(choice.family) : guessFamilyFromFileName(absolute),
      sha256: hashFile(absolute),
      bundled: false,
    };
  }
  resolved.set(key, model);
  return model;
}
