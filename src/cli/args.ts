/** A small argv parser: --flag, --key value, --key=value, --no-flag, -o value, positionals. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | boolean>;
}

const SHORT: Record<string, string> = { o: 'output', h: 'help' };

export function parseArgs(argv: string[], valued: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const long = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    const short = /^-([a-zA-Z])$/.exec(arg);
    if (!long && !short) {
      positionals.push(arg);
      continue;
    }
    let name = long ? long[1] : SHORT[short![1]] ?? short![1];
    let value: string | boolean | undefined = long?.[2];
    if (name.startsWith('no-') && !valued.has(name)) {
      name = name.slice(3);
      value = false;
    } else if (valued.has(name) && value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    options.set(name, value ?? true);
  }
  return { positionals, options };
}

export class UsageError extends Error {}

export function numberOption(args: ParsedArgs, name: string): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${String(raw)}`);
  return value;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  return raw;
}
