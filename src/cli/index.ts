#!/usr/bin/env node
/**
 * vitrinealu-bg: the engine from a shell. Operators check a worker with `health`; the
 * README's examples and the main job run `cleanup`. It prints the same metadata object
 * the n8n node returns (--json).
 */
import fs from 'node:fs';
import path from 'node:path';

import {
  BLEND_OPTIONS,
  CLEANUP_OPTIONS,
  cleanupImage,
  type CleanupOptionsInput,
  closeSdxlRunner,
  closeWorkerPool,
  errorMessage,
  GENERATION_OPTIONS,
  health,
  LAYOUT_OPTIONS,
  listPresets,
  parsePresetList,
  parseSubjectHint,
  REPLACE_FILE_OPTIONS,
  replaceBackground,
  type ReplaceOptionsInput,
  SUBJECT_OPTIONS,
  writeFileAtomic,
} from '../engine';
import { type CommandOptions, parseArgs, type ParsedArgs, stringOption, UsageError } from './args';
import { readTable, tableFlags, tableHelp } from './options';

/** Background Replace's options, in the order the help lists them. */
const REPLACE_TABLES = [GENERATION_OPTIONS, LAYOUT_OPTIONS, BLEND_OPTIONS, REPLACE_FILE_OPTIONS, SUBJECT_OPTIONS];

const USAGE = `Usage:
  vitrinealu-bg cleanup <input...> -o <output file or directory> [options]
${tableHelp(CLEANUP_OPTIONS, SUBJECT_OPTIONS)}
      --json                 print the metadata object(s) as JSON
      --box X,Y,W,H [--frame]  subject hint: where the product is (pixels, or fractions 0..1);
                             --frame: it is a window/door/pergola frame filling the box
      --include X,Y;X,Y --exclude X,Y   keep / drop the mask pieces under these points
  vitrinealu-bg replace <input...> -o <output file or directory> [options]
      --engine studio|sdxl|runway background engine (default studio; runway reads RUNWAY_API_KEY)
      --strategy S           sdxl: outpaint (default) | backdrop; runway: backdrop (default) | creative
      --presets-file FILE    a JSON preset (or array) that joins the built-in ones
      --background FILE      an image as the backdrop, instead of the engine's
${tableHelp(...REPLACE_TABLES)}
      --json                 print the metadata object(s) as JSON
      --box --include --exclude --frame   the subject hint, as for cleanup
  vitrinealu-bg presets [--presets-file FILE]   every preset and prompt type as JSON
  vitrinealu-bg health      device, CUDA, model and versions as JSON (exit 1 if unusable)

Environment: DEVICE=cpu|cuda|auto, BG_MODEL_PATH, BG_MAX_MEGAPIXELS, BG_CONCURRENCY,
SDXL_MODEL_DIR, SDXL_SCHEDULER, SDXL_RESOLUTION, RUNWAY_API_KEY, RUNWAY_BASE_URL, BACKGROUND_TIMEOUT, BACKGROUND_RETRY_ATTEMPTS, ... (see README)`;

const HINT_FLAGS: CommandOptions = { valued: ['box', 'include', 'exclude'], switches: ['frame'] };
const CLEANUP_FLAGS = tableFlags(CLEANUP_OPTIONS, SUBJECT_OPTIONS);
const REPLACE_FLAGS = tableFlags(...REPLACE_TABLES);
const COMMANDS: Record<string, CommandOptions> = {
  cleanup: {
    valued: ['output', ...HINT_FLAGS.valued, ...CLEANUP_FLAGS.valued],
    switches: ['json', 'help', ...HINT_FLAGS.switches, ...CLEANUP_FLAGS.switches],
    negatable: CLEANUP_FLAGS.negatable,
  },
  replace: {
    valued: ['output', ...HINT_FLAGS.valued, ...REPLACE_FLAGS.valued, 'engine', 'strategy', 'presets-file', 'background'],
    switches: ['json', 'help', ...HINT_FLAGS.switches, ...REPLACE_FLAGS.switches],
    negatable: REPLACE_FLAGS.negatable,
  },
  presets: { valued: ['presets-file'], switches: ['help'] },
  health: { valued: [], switches: ['help'] },
};
const EXTENSION_FORMATS: Record<string, 'png' | 'webp' | 'jpeg'> = { '.png': 'png', '.webp': 'webp', '.jpg': 'jpeg', '.jpeg': 'jpeg' };

/** --format, else the output file's extension; an extension we cannot write, or one that contradicts --format, is a usage error. */
function outputFormat(args: ParsedArgs, output: string, isDirectory: boolean): string | undefined {
  const format = stringOption(args, 'format');
  if (isDirectory) return format;
  const extension = path.extname(output).toLowerCase();
  const named = EXTENSION_FORMATS[extension];
  if (extension && !named) throw new UsageError(`-o ${output}: cannot write ${extension} files (use .png, .webp, .jpg or .jpeg)`);
  const given = format?.trim().toLowerCase();
  if (named && given && given !== named && !(named === 'jpeg' && given === 'jpg'))
    throw new UsageError(`-o ${output} names a ${named} file but --format is ${format}`);
  return format ?? named;
}

function cleanupOptions(args: ParsedArgs, output: string, isDirectory: boolean): CleanupOptionsInput {
  const format = outputFormat(args, output, isDirectory);
  return {
    ...(readTable(args, CLEANUP_OPTIONS, SUBJECT_OPTIONS) as CleanupOptionsInput),
    ...(format !== undefined ? { format: format as CleanupOptionsInput['format'] } : {}),
    ...hintOption(args),
  };
}

/** --box x,y,w,h --include x,y;x,y --exclude x,y --frame, shared by cleanup and replace. */
function hintOption(args: ParsedArgs): Pick<CleanupOptionsInput, 'hint'> {
  const hint = parseSubjectHint(stringOption(args, 'box'), {
    include: stringOption(args, 'include'),
    exclude: stringOption(args, 'exclude'),
    frame: flag(args, 'frame'),
  });
  return hint ? { hint } : {};
}

interface Processed {
  data: Buffer;
  extension: string;
  suffix: string;
  metadata: object;
  summary: string;
}

/**
 * Runs one command over its inputs: -o is a file (one input) or a folder; each output is
 * written atomically; a failed photo is reported and the others still run (exit code 1).
 */
async function runBatch(
  command: string,
  args: ParsedArgs,
  processorFor: (output: string, isDirectory: boolean) => (input: Buffer) => Promise<Processed>,
): Promise<number> {
  const inputs = args.positionals;
  const output = stringOption(args, 'output');
  if (inputs.length === 0 || !output) throw new UsageError(`${command} needs at least one input and -o <output>`);
  const isDirectory = inputs.length > 1 || output.endsWith('/') || (fs.existsSync(output) && fs.statSync(output).isDirectory());
  // Options are read before any photo: a usage error stops the command (exit 2).
  const processPhoto = processorFor(output, isDirectory);
  // A file's folder must exist (we create only an output folder named with -o dir/): found before any photo is read.
  const folder = isDirectory ? undefined : path.dirname(path.resolve(output));
  if (folder && !(fs.existsSync(folder) && fs.statSync(folder).isDirectory())) throw new UsageError(`-o ${output}: the folder ${folder} does not exist`);
  if (isDirectory) fs.mkdirSync(output, { recursive: true });
  const reports: object[] = [];
  let failures = 0;
  for (const input of inputs) {
    try {
      const result = await processPhoto(fs.readFileSync(input));
      const target = isDirectory ? path.join(output, `${path.basename(input, path.extname(input))}-${result.suffix}.${result.extension}`) : output;
      await writeFileAtomic(target, result.data);
      reports.push({ input, output: target, ...result.metadata, ...(command === 'replace' ? { outJpg: target } : {}) });
      if (!args.options.has('json')) console.log(`${input} -> ${target}  (${result.summary})`);
    } catch (error) {
      failures++;
      reports.push({ input, error: errorMessage(error) });
      console.error(`vitrinealu-bg ${command}: ${input}: ${errorMessage(error)}`);
    }
  }
  if (args.options.has('json')) console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  return failures > 0 ? 1 : 0;
}

function runCleanup(args: ParsedArgs): Promise<number> {
  return runBatch('cleanup', args, (output, isDirectory) => {
    const options = cleanupOptions(args, output, isDirectory);
    return async (input) => {
      const result = await cleanupImage(input, options);
      const { bbox, coverage, timings, device, cleanupMode, confidence } = result.metadata;
      return {
        data: result.data,
        extension: result.extension,
        suffix: cleanupMode === 'mask' ? 'mask' : 'cutout',
        metadata: result.metadata,
        summary: `${device}, subject ${bbox.width}x${bbox.height} at ${bbox.x},${bbox.y}, coverage ${(coverage * 100).toFixed(1)} %, confidence ${confidence.score}${confidence.reasons.length ? ` (${confidence.reasons.join('; ')})` : ''}, ${Math.round(timings.totalMs)} ms`,
      };
    };
  });
}

function flag(args: ParsedArgs, name: string): boolean | undefined {
  return args.options.has(name) ? args.options.get(name) !== false : undefined;
}

function customPresets(args: ParsedArgs) {
  const file = stringOption(args, 'presets-file');
  return file ? parsePresetList(fs.readFileSync(file, 'utf8'), `presets file ${file}`) : undefined;
}

function replaceOptions(args: ParsedArgs, output: string, isDirectory: boolean): ReplaceOptionsInput {
  const background = stringOption(args, 'background');
  const entries: Array<[keyof ReplaceOptionsInput, unknown]> = [
    ['engine', stringOption(args, 'engine')],
    ['strategy', stringOption(args, 'strategy')],
    ['customPresets', customPresets(args)],
    ['backgroundImage', background ? fs.readFileSync(background) : undefined],
    ['format', outputFormat(args, output, isDirectory)],
  ];
  return {
    ...(readTable(args, ...REPLACE_TABLES) as ReplaceOptionsInput),
    ...(Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as ReplaceOptionsInput),
    ...hintOption(args),
  };
}

function runReplace(args: ParsedArgs): Promise<number> {
  return runBatch('replace', args, (output, isDirectory) => {
    const options = replaceOptions(args, output, isDirectory);
    return async (input) => {
      const result = await replaceBackground(input, options);
      const { preset, promptType, engine, shadow, colorShift, seeThrough, timings, confidence } = result.metadata;
      return {
        data: result.data,
        extension: result.extension,
        suffix: 'replaced',
        metadata: result.metadata,
        summary: `${engine} ${preset}/${promptType}, shadow ${shadow.join('+') || 'none'}, color shift ${colorShift}, see-through regions ${seeThrough.regions}, confidence ${confidence.score}, ${Math.round(timings.totalMs)} ms`,
      };
    };
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command ? 0 : 2;
    }
    const options = COMMANDS[command];
    if (!options) throw new UsageError(`unknown command "${command}"`);
    const args = parseArgs(rest, options);
    if (args.options.get('help')) {
      console.log(USAGE);
      return 0;
    }
    if ((command === 'presets' || command === 'health') && args.positionals.length > 0)
      throw new UsageError(`${command} takes no arguments (got ${args.positionals.join(' ')})`);
    if (command === 'cleanup') return await runCleanup(args);
    if (command === 'replace') return await runReplace(args);
    if (command === 'presets') {
      console.log(JSON.stringify(listPresets(customPresets(args) ?? []), null, 2));
      return 0;
    }
    if (command === 'health') {
      const report = await health();
      console.log(JSON.stringify(report, null, 2));
      return report.status === 'error' ? 1 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`vitrinealu-bg: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`vitrinealu-bg: ${errorMessage(error)}`);
    return 1;
  } finally {
    await Promise.all([closeWorkerPool(), closeSdxlRunner()]);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
