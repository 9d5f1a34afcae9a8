import type { z } from 'zod';

import { EngineError } from './errors';

/** Validates a pipeline's options with zod; the first problem names the option. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EngineError('INVALID_OPTION', `Option ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
