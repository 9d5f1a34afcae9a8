import { z } from 'zod';

/**
 * A pipeline's options declared once: type, default, range, the words n8n shows and the
 * CLI's flag. The engine's zod schema is derived here (zodFields); the n8n parameters
 * (nodes/shared/optionProperties.ts) and the CLI's flags and help (src/cli/options.ts) from
 * the same table. Adding an option: one entry in its pipeline's table and the engine code
 * that uses it.
 */

/** How the CLI spells an option. */
export interface CliFlag {
  /** Without the dashes: `blur` for --blur. */
  flag: string;
  /** The value's placeholder in the help ("N", "HEX"); a boolean option has none (a switch). */
  value?: string;
  /** The help line; the option's description when absent. */
  help?: string;
  /** A boolean on by default: the CLI takes --no-<flag> (and --<flag>). */
  negatable?: boolean;
}

interface Described {
  /** As n8n shows it (Title Case). */
  displayName: string;
  /** As n8n shows it (a boolean's starts with "Whether"). */
  description: string;
  placeholder?: string;
  /** The node's versions before `beforeVersion` name it so (workflows saved with them keep working). */
  formerly?: { name: string; displayName: string; beforeVersion: number };
  cli?: CliFlag;
}

export interface NumberOption extends Described {
  type: 'number';
  default: number;
  min: number;
  max: number;
  /** Whole numbers only (counts, pixels, quality). */
  whole?: boolean;
  /** Decimals n8n's field keeps. */
  precision?: number;
}

export interface BooleanOption extends Described {
  type: 'boolean';
  default: boolean;
}

export interface Choice {
  name: string;
  description?: string;
}

/** One of a list; `choices` in the order n8n lists them, keyed by the engine's values. */
export interface ChoiceOption<V extends string = string> extends Described {
  type: 'options';
  default: V;
  choices: Readonly<Record<V, Choice>>;
}

/** Free text (a colour for type color); without a default it is optional. `suggested`: values n8n offers in a list (the engine checks the text itself), with the unset entry's label. */
export interface TextOption extends Described {
  type: 'string' | 'color';
  default?: string;
  suggested?: { unset: string; values: readonly string[] };
}

export type OptionSpec = NumberOption | BooleanOption | ChoiceOption | TextOption;
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type FieldOf<S> = S extends NumberOption
  ? z.ZodDefault<z.ZodNumber>
  : S extends BooleanOption
    ? z.ZodDefault<z.ZodBoolean>
    : S extends { type: 'options'; choices: Readonly<Record<infer V extends string, Choice>> }
      ? z.ZodDefault<z.ZodEnum<[V, ...V[]]>>
      : S extends { default: string }
        ? z.ZodDefault<z.ZodString>
        : z.ZodOptional<z.ZodString>;

export type ZodFields<T extends OptionTable> = { -readonly [K in keyof T]: FieldOf<T[K]> };

/** A table kept exact (its choices' keys typed) and checked as options. */
export function defineOptions<const T extends OptionTable>(table: T): T {
  return table;
}

/** The values of a choice option, in the table's order. */
export function choiceValues<V extends string>(option: ChoiceOption<V>): [V, ...V[]] {
  return Object.keys(option.choices) as [V, ...V[]];
}

function zodField(option: OptionSpec): z.ZodTypeAny {
  switch (option.type) {
    case 'number': {
      const number = option.whole ? z.number().int() : z.number();
      return number.min(option.min).max(option.max).default(option.default);
    }
    case 'boolean':
      return z.boolean().default(option.default);
    case 'options':
      return z.enum(choiceValues(option)).default(option.default);
    default:
      return option.default === undefined ? z.string().optional() : z.string().default(option.default);
  }
}

/** The zod fields of a table, for a pipeline's z.object. */
export function zodFields<T extends OptionTable>(table: T): ZodFields<T> {
  return Object.fromEntries(Object.entries(table).map(([name, option]) => [name, zodField(option)])) as ZodFields<T>;
}
