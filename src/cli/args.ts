/**
 * Command-line parsing on node:util's parseArgs, strict: an unknown flag, a missing value or
 * a value given to a switch is a usage error (exit 2), never silently ignored.
 */
import { parseArgs as parseNodeArgs } from 'node:util';

export interface ParsedArgs {
  positionals: string[];
  /** Each option given: its value, true for a switch, false for its --no- form. */
  options: Map<string, string | boolean>;
}

/** A command's options: those taking a value, switches, and switches with a --no- form. */
export interface CommandOptions {
  valued: readonly string[];
  switches: readonly string[];
  negatable?: readonly string[];
}

const SHORT: Record<string, string> = { output: 'o', help: 'h' };

export class UsageError extends Error {}

export function parseArgs(argv: string[], command: CommandOptions): ParsedArgs {
  const negatable = command.negatable ?? [];
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const name of command.valued) config[name] = { type: 'string', ...(SHORT[name] ? { short: SHORT[name] } : {}) };
  for (const name of [...command.switches, ...negatable]) config[name] = { type: 'boolean', ...(SHORT[name] ? { short: SHORT[name] } : {}) };
  // Declared, not hand-parsed: node:util's allowNegative needs Node 20.16+.
  for (const name of negatable) config[`no-${name}`] = { type: 'boolean' };
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--qualty'"); drop its hints about '--'.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\. Did you forget.*$/s, ''));
  }
  const options = new Map<string, string | boolean>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined) continue;
    const negated = name.startsWith('no-') && negatable.includes(name.slice(3));
    if (negated) {
      if (parsed.values[name.slice(3)] !== undefined) throw new UsageError(`--${name.slice(3)} and --${name} contradict each other`);
      options.set(name.slice(3), false);
    } else options.set(name, value as string | boolean);
  }
  return { positionals: parsed.positionals, options };
}

/** A number as a person types one: decimal digits, an optional sign, and a fraction where the option takes one. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const WHOLE = /^[+-]?\d+$/;

/**
 * An option's number, strictly: "0x10", "1e1", " 50" or "" are usage errors naming the option
 * (Number() would take them, and a typo would run a whole job). `whole` for counts, seeds,
 * quality and margins.
 */
export function numberOption(args: ParsedArgs, name: string, kind: 'whole' | 'decimal' = 'decimal'): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const pattern = kind === 'whole' ? WHOLE : DECIMAL;
  if (typeof raw !== 'string' || !pattern.test(raw))
    throw new UsageError(
      `--${name} must be ${kind === 'whole' ? 'a whole number' : 'a number'} in decimal digits, got ${typeof raw === 'string' ? JSON.stringify(raw) : 'no value'}`,
    );
  return Number(raw);
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  return raw;
}
