import { EngineError } from '../errors';
import type { BackgroundEngine } from './engine';
import { studioEngine } from './studio';

const engines = new Map<string, BackgroundEngine>([[studioEngine.name, studioEngine]]);

export function registerEngine(engine: BackgroundEngine): void {
  engines.set(engine.name, engine);
}

export function engineNames(): string[] {
  return [...engines.keys()];
}

export function getEngine(name: string): BackgroundEngine {
  const engine = engines.get(name.toLowerCase());
  if (!engine) throw new EngineError('INVALID_OPTION', `Unknown background engine "${name}" (available: ${engineNames().join(', ')})`);
  return engine;
}
