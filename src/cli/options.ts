/**
 * The CLI's flags for an engine option table (core/optionTable.ts): what parseArgs declares,
 * how each value is read (numbers strictly), and the help lines.
 */
import type { OptionSpec, OptionTable } from '../engine';
import { type CommandOptions, numberOption, type ParsedArgs, stringOption } from './args';

type Flagged = [name: string, option: OptionSpec & { cli: NonNullable<OptionSpec['cli']> }];

function flagged(table: OptionTable): Flagged[] {
  return Object.entries(table).filter((entry): entry is Flagged => entry[1].cli !== undefined);
}

/** The flags a table adds to a command. */
export function tableFlags(...tables: OptionTable[]): Required<CommandOptions> {
  const flags = tables.flatMap(flagged);
  return {
    valued: flags.filter(([, option]) => option.type !== 'boolean').map(([, option]) => option.cli.flag),
    switches: flags.filter(([, option]) => option.type === 'boolean' && !option.cli.negatable).map(([, option]) => option.cli.flag),
    negatable: flags.filter(([, option]) => option.type === 'boolean' && option.cli.negatable).map(([, option]) => option.cli.flag),
  };
}

function readOne(args: ParsedArgs, option: Flagged[1]): unknown {
  const { flag } = option.cli;
  if (option.type === 'boolean') return args.options.has(flag) ? args.options.get(flag) !== false : undefined;
  if (option.type === 'number') return numberOption(args, flag, option.whole ? 'whole' : 'decimal');
  return stringOption(args, flag);
}

/** The options given on the command line, by their engine names (absent ones left out: the engine's defaults apply). */
export function readTable(args: ParsedArgs, ...tables: OptionTable[]): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [name, option] of tables.flatMap(flagged)) {
    const value = readOne(args, option);
    if (value !== undefined) given[name] = value;
  }
  return given;
}

const HELP_COLUMN = 29;

/** n8n's description as a help line: "Overrides ..." -> "overrides ...", "SDXL: ..." kept. */
const sentenceCase = (text: string) => (/^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text);

function helpLine(option: Flagged[1]): string {
  const { flag, value, help, negatable } = option.cli;
  const placeholder = option.type === 'options' ? Object.keys(option.choices).join('|') : (value ?? '');
  const name = option.type === 'boolean' ? (negatable ? `--[no-]${flag}` : `--${flag}`) : `--${flag} ${placeholder}`;
  const shown = option.type === 'boolean' ? (option.default ? 'on' : undefined) : option.default;
  const text = `${help ?? sentenceCase(option.description)}${shown !== undefined && shown !== '' ? ` (default ${shown})` : ''}`;
  return `      ${name.padEnd(HELP_COLUMN - 6 - 1)} ${text}`;
}

/** A table's help lines, in its order. */
export function tableHelp(...tables: OptionTable[]): string {
  return tables
    .flatMap(flagged)
    .map(([, option]) => helpLine(option))
    .join('\n');
}
