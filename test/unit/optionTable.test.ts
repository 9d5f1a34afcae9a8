import {
  BLEND_OPTIONS,
  CLEANUP_OPTIONS,
  cleanupOptionsSchema,
  GENERATION_OPTIONS,
  LAYOUT_OPTIONS,
  type OptionSpec,
  REPLACE_FILE_OPTIONS,
  replaceOptionsSchema,
  SUBJECT_OPTIONS,
} from '../../src/engine';
import { defineOptions, zodFields } from '../../src/engine/core/optionTable';
import { parseArgs, UsageError } from '../../src/cli/args';
import { readTable, tableFlags, tableHelp } from '../../src/cli/options';
import { z } from 'zod';

describe('option tables: the schema, the CLI and its help from one declaration', () => {
  test("the schema's defaults and ranges are the table's", () => {
    const parsed = cleanupOptionsSchema.parse({});
    for (const [name, option] of Object.entries<OptionSpec>({ ...CLEANUP_OPTIONS, ...SUBJECT_OPTIONS }))
      expect(parsed[name as keyof typeof parsed]).toEqual(option.default);
    expect(cleanupOptionsSchema.safeParse({ quality: 101 }).success).toBe(false);
    expect(cleanupOptionsSchema.safeParse({ cropMargin: 1.5 }).success).toBe(false);
    expect(cleanupOptionsSchema.safeParse({ glassOpacity: 1.01 }).success).toBe(false);
    expect(cleanupOptionsSchema.safeParse({ glassOpacity: 0.3 }).success).toBe(true);
    expect(cleanupOptionsSchema.safeParse({ seeThrough: 'open' }).success).toBe(false);
    expect(cleanupOptionsSchema.safeParse({ mode: 'mask', format: 'webp' }).success).toBe(true);
  });

  test('a new entry is a new option: schema field, default, range and choices', () => {
    const table = defineOptions({
      level: { type: 'number', displayName: 'Level', description: 'A level', default: 2, min: 1, max: 3, whole: true, cli: { flag: 'level', value: 'N' } },
      look: { type: 'options', displayName: 'Look', description: 'A look', default: 'soft', choices: { soft: { name: 'Soft' }, hard: { name: 'Hard' } } },
      note: { type: 'string', displayName: 'Note', description: 'A note' },
    });
    const schema = z.object(zodFields(table)).strict();
    expect(schema.parse({})).toEqual({ level: 2, look: 'soft' });
    expect(schema.safeParse({ level: 2.5 }).success).toBe(false);
    expect(schema.safeParse({ look: 'floating' }).success).toBe(false);
    expect(schema.parse({ note: 'x', look: 'hard' })).toEqual({ level: 2, look: 'hard', note: 'x' });
    expect(tableFlags(table)).toEqual({ valued: ['level'], switches: [], negatable: [] });
  });

  test('the CLI reads every flagged option by its flag, numbers strictly, switches and --no- forms', () => {
    const flags = tableFlags(CLEANUP_OPTIONS, SUBJECT_OPTIONS);
    expect(flags.negatable).toEqual(['decontaminate']);
    expect(flags.switches).toEqual(expect.arrayContaining(['crop', 'enhance', 'cross-check']));
    const args = parseArgs(
      [
        'in.jpg',
        '--blur',
        '12.5',
        '--margin',
        '24',
        '--crop',
        '--no-decontaminate',
        '--see-through',
        'glass',
        '--glass-opacity',
        '.3',
        '--model-family',
        'u2net',
      ],
      flags,
    );
    expect(readTable(args, CLEANUP_OPTIONS, SUBJECT_OPTIONS)).toEqual({
      blurSigma: 12.5,
      cropMargin: 24,
      crop: true,
      decontaminate: false,
      seeThrough: 'glass',
      glassOpacity: 0.3,
      modelFamily: 'u2net',
    });
    expect(() => readTable(parseArgs(['--margin', '2.5'], flags), CLEANUP_OPTIONS)).toThrow(UsageError);
    expect(() => readTable(parseArgs(['--glass-opacity', '1e-1'], flags), SUBJECT_OPTIONS)).toThrow(/--glass-opacity must be a number/);
    expect(readTable(parseArgs([], flags), CLEANUP_OPTIONS, SUBJECT_OPTIONS)).toEqual({});
  });

  test("the help lists each flag once, with the table's default", () => {
    const help = tableHelp(CLEANUP_OPTIONS, SUBJECT_OPTIONS, REPLACE_FILE_OPTIONS);
    for (const option of Object.values<OptionSpec>({ ...CLEANUP_OPTIONS, ...SUBJECT_OPTIONS }))
      if (option.cli) expect(help).toContain(`--${option.cli.negatable ? '[no-]' : ''}${option.cli.flag}`);
    expect(help).toMatch(/--quality N +JPEG\/WebP quality \(1-100\); PNG is lossless \(default 90\)/);
    expect(help).toMatch(/--quality N .*\(default 92\)/);
    expect(help).toMatch(/--see-through gaps\|glass\|off .*\(default gaps\)/);
  });

  test("Replace's options: an option the preset decides stays unset unless given; its flags read by the same tables", () => {
    const parsed = replaceOptionsSchema.parse({});
    expect(parsed).toMatchObject({
      anchor: 'bottom',
      shadow: 'preset',
      backgroundFit: 'cover',
      inputIs: 'auto',
      decontaminate: true,
      strength: 1,
      format: 'jpeg',
      quality: 92,
    });
    for (const name of ['matchColors', 'enhanceFg', 'featherEdges', 'steps', 'guidanceScale', 'seed', 'scheduler']) expect(parsed).not.toHaveProperty(name);
    expect(replaceOptionsSchema.safeParse({ seed: 2 ** 32 }).success).toBe(false);
    expect(replaceOptionsSchema.safeParse({ prompt: 'x'.repeat(1001) }).success).toBe(false);
    const tables = [GENERATION_OPTIONS, LAYOUT_OPTIONS, BLEND_OPTIONS];
    const args = parseArgs(
      ['--no-match-colors', '--enhance', '--color', '#fff', '--size', '800x600', '--guidance', '6.5', '--seed', '7'],
      tableFlags(...tables),
    );
    expect(readTable(args, ...tables)).toEqual({
      matchColors: false,
      enhanceFg: true,
      backgroundColor: '#fff',
      outputSize: '800x600',
      guidanceScale: 6.5,
      seed: 7,
    });
  });
});
