import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import { EngineError } from '../core/errors';
import { zodIssue } from '../core/validation';

/**
 * The default weights: IS-Net (fp16) as shipped inside the npm package
 * @imgly/background-removal-data, split into 4 MiB chunks named by their sha256. We only
 * read the data files (never that package family's JavaScript): reassemble the model,
 * check every chunk's hash and the total size, and cache the assembled file on disk.
 */
export const BUNDLED_PACKAGE = '@imgly/background-removal-data';
export const BUNDLED_RESOURCE = '/models/medium';
export const BUNDLED_MODEL_NAME = 'isnet-fp16 (imgly medium)';

const resourcesSchema = z.record(
  z.string(),
  z.object({
    size: z.number().int().positive(),
    chunks: z
      .array(
        z.object({
          hash: z.string().regex(/^[0-9a-f]{64}$/),
          offsets: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]),
        }),
      )
      .min(1),
  }),
);

export interface AssembledModel {
  path: string;
  sha256: string;
  size: number;
  packageVersion: string;
}

function locatePackageDist(): { dist: string; version: string } {
  let resourcesPath: string;
  try {
    resourcesPath = require.resolve(`${BUNDLED_PACKAGE}/dist/resources.json`);
  } catch (error) {
    throw new EngineError('MODEL_NOT_FOUND', `The default model package ${BUNDLED_PACKAGE} is not installed; reinstall this package or set BG_MODEL_PATH`, {
      cause: error,
    });
  }
  const dist = path.dirname(resourcesPath);
  const pkg = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as { version?: string };
  return { dist, version: pkg.version ?? 'unknown' };
}

function stampOf(modelPath: string): string {
  return `${modelPath}.sha256`;
}

/** Reads an already assembled model from the cache if its size and recorded hash hold. */
function readCached(modelPath: string, size: number): string | undefined {
  try {
    const stat = fs.statSync(modelPath);
    if (stat.size !== size) return undefined;
    const recorded = fs.readFileSync(stampOf(modelPath), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(recorded) ? recorded : undefined;
  } catch {
    return undefined;
  }
}

export function ensureBundledModel(cacheDir: string): AssembledModel {
  const { dist, version } = locatePackageDist();
  return assembleChunkedModel(dist, version, cacheDir);
}

/** Reassembles BUNDLED_RESOURCE from a resources.json + sha256-named chunks folder. */
export function assembleChunkedModel(dist: string, version: string, cacheDir: string): AssembledModel {
  const parsed = resourcesSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dist, 'resources.json'), 'utf8')));
  if (!parsed.success) {
    throw new EngineError('MODEL_INVALID', `${BUNDLED_PACKAGE}/dist/resources.json is malformed: ${zodIssue(parsed.error)}`);
  }
  const resource = parsed.data[BUNDLED_RESOURCE];
  if (!resource) {
    throw new EngineError('MODEL_INVALID', `${BUNDLED_PACKAGE}@${version} has no ${BUNDLED_RESOURCE} entry`);
  }
  const listHash = createHash('sha256')
    .update(resource.chunks.map((chunk) => chunk.hash).join(','))
    .digest('hex');
  const modelPath = path.join(cacheDir, `imgly-${version}-medium-${listHash.slice(0, 16)}.onnx`);
  const cachedHash = readCached(modelPath, resource.size);
  if (cachedHash) return { path: modelPath, sha256: cachedHash, size: resource.size, packageVersion: version };

  fs.mkdirSync(cacheDir, { recursive: true });
  // Assemble into a unique temporary file and rename: concurrent workers never see a partial model.
  const tempPath = `${modelPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const whole = createHash('sha256');
  const fd = fs.openSync(tempPath, 'w');
  try {
    let expectedOffset = 0;
    for (const chunk of resource.chunks) {
      const [start, end] = chunk.offsets;
      if (start !== expectedOffset) {
        throw new EngineError('MODEL_INVALID', `Chunk ${chunk.hash} starts at ${start}, expected ${expectedOffset}`);
      }
      let data: Buffer;
      try {
        data = fs.readFileSync(path.join(dist, chunk.hash));
      } catch (error) {
        throw new EngineError('MODEL_NOT_FOUND', `Model chunk ${chunk.hash} is missing from ${BUNDLED_PACKAGE}`, { cause: error });
      }
      const actual = createHash('sha256').update(data).digest('hex');
      if (actual !== chunk.hash || data.length !== end - start) {
        throw new EngineError('MODEL_INVALID', `Model chunk ${chunk.hash} is damaged (sha256 ${actual}, ${data.length} bytes)`);
      }
      fs.writeSync(fd, data);
      whole.update(data);
      expectedOffset = end;
    }
    if (expectedOffset !== resource.size) {
      throw new EngineError('MODEL_INVALID', `Assembled model is ${expectedOffset} bytes, expected ${resource.size}`);
    }
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  const sha256 = whole.digest('hex');
  fs.writeFileSync(stampOf(modelPath), `${sha256}\n`);
  fs.renameSync(tempPath, modelPath);
  return { path: modelPath, sha256, size: resource.size, packageVersion: version };
}
