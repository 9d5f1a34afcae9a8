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

/**
 * `default`: what the engine uses when the option is not given; without one the option is
 * optional and the engine decides (a preset, the environment). `nodeDefault`: what n8n fills
 * in when the option is added, where that differs (a generative engine's usual steps).
 */
export interface NumberOption extends Described {
  type: 'number';
  default?: number;
  nodeDefault?: number;
  min: number;
  max: number;
  /** Whole numbers only (counts, pixels, quality). */
  whole?: boolean;
  /** Decimals n8n's field keeps. */
  precision?: number;
}

export interface BooleanOption extends Described {
  type: 'boolean';
  default?: boolean;
  nodeDefault?: boolean;
}

export interface Choice {
  name: string;
  description?: string;
}

/** One of a list; `choices` in the order n8n lists them, keyed by the engine's values. */
export interface ChoiceOption<V extends string = string> extends Described {
  type: 'options';
  default?: V;
  nodeDefault?: V;
  choices: Readonly<Record<V, Choice>>;
}

/** Free text (a colour for type color); without a default it is optional. `suggested`: values n8n offers in a list (the engine checks the text itself), with the unset entry's label. */
export interface TextOption extends Described {
  type: 'string' | 'color';
  default?: string;
  nodeDefault?: string;
  /** Longest text taken. */
  maxLength?: number;
  suggested?: { unset: string; values: readonly string[] };
}

export type OptionSpec = NumberOption | BooleanOption | ChoiceOption | TextOption;
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type BaseOf<S> = S extends NumberOption
  ? z.ZodNumber
  : S extends BooleanOption
    ? z.ZodBoolean
    : S extends { type: 'options'; choices: Readonly<Record<infer V extends string, Choice>> }
      ? z.ZodEnum<[V, ...V[]]>
      : z.ZodString;

type FieldOf<S> = S extends { default: unknown } ? z.ZodDefault<BaseOf<S>> : z.ZodOptional<BaseOf<S>>;

export type ZodFields<T extends OptionTable> = { -readonly [K in keyof T]: FieldOf<T[K]> };

/** A table kept exact (its choices' keys typed) and checked as options. */
export function defineOptions<const T extends OptionTable>(table: T): T {
  return table;
}

/** The values of a choice option, in the table's order. */
export function choiceValues<V extends string>(option: ChoiceOption<V>): [V, ...V[]] {
  return Object.keys(option.choices) as [V, ...V[]];
}

function baseField(option: OptionSpec): z.ZodTypeAny {
  switch (option.type) {
    case 'number': {
      const number = option.whole ? z.number().int() : z.number();
      return number.min(option.min).max(option.max);
    }
    case 'boolean':
      return z.boolean();
    case 'options':
      return z.enum(choiceValues(option));
    default:
      return option.maxLength === undefined ? z.string() : z.string().max(option.maxLength);
  }
}

function zodField(option: OptionSpec): z.ZodTypeAny {
  const base = baseField(option);
  return option.default === undefined ? base.optional() : base.default(option.default);
}

/** The zod fields of a table, for a pipeline's z.object. */
export function zodFields<T extends OptionTable>(table: T): ZodFields<T> {
  return Object.fromEntries(Object.entries(table).map(([name, option]) => [name, zodField(option)])) as ZodFields<T>;
}
