/**
 * Every failure the engine reports on purpose is an EngineError with a stable code, so
 * that callers (the n8n nodes, the CLI) can tell bad input from a broken worker.
 */
export type EngineErrorCode =
  | 'INPUT_EMPTY'
  | 'INPUT_UNSUPPORTED'
  | 'INPUT_CORRUPT'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_TOO_SMALL'
  | 'INVALID_OPTION'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'INFERENCE_FAILED'
  | 'WORKER_FAILED'
  | 'NO_SUBJECT';

export class EngineError extends Error {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof Error && error.name === 'EngineError' && 'code' in error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
