import type { z } from 'zod';

import { EngineError } from './errors';

/** A zod failure as one line, "where: what" for its first issue (where = the dotted path, or (root)). */
export function zodIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`;
}

/** Validates a pipeline's options with zod; the first problem names the option. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new EngineError('INVALID_OPTION', `Option ${zodIssue(parsed.error)}`);
  return parsed.data;
}
