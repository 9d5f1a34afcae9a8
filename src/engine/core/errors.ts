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
  // No inference library runs on this system (or not the one BG_RUNTIME asks for).
  | 'RUNTIME_UNAVAILABLE'
  | 'NO_SUBJECT'
  // Remote engines (Runway): the nodes turn these into NodeApiError.
  | 'API_AUTH'
  | 'API_QUOTA'
  | 'API_REJECTED'
  | 'API_MODERATION'
  | 'API_FAILED'
  | 'API_TIMEOUT'
  | 'API_OUTPUT'
  | 'CANCELLED'
  // Sidecar files.
  | 'SIDECAR_NOT_FOUND'
  | 'SIDECAR_INVALID'
  | 'SIDECAR_CONFLICT'
  | 'PATH_NOT_ALLOWED'
  | 'WRITE_FAILED';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** The HTTP status behind an API error, when there was one. */
  readonly httpCode?: number;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown; httpCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    if (options?.httpCode !== undefined) this.httpCode = options.httpCode;
  }

  get isApiError(): boolean {
    return this.code.startsWith('API_');
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof Error && error.name === 'EngineError' && 'code' in error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
