import { EngineError } from '../core/errors';
import type { BackgroundEngine } from './engine';
import { runwayEngine } from './runway/engine';
import { sdxlEngine } from './sdxl/engine';
import { studioEngine } from './studio';

// The engines Background Replace can use.
const engines = new Map<string, BackgroundEngine>([
  [studioEngine.name, studioEngine],
  [runwayEngine.name, runwayEngine],
  [sdxlEngine.name, sdxlEngine],
]);

export function engineNames(): string[] {
  return [...engines.keys()];
}

export function getEngine(name: string): BackgroundEngine {
  const engine = engines.get(name.toLowerCase());
  if (!engine) throw new EngineError('INVALID_OPTION', `Unknown background engine "${name}" (available: ${engineNames().join(', ')})`);
  return engine;
}
