#!/usr/bin/env node
/**
 * vitrinealu-bg: the engine from a shell. Operators check a worker with `health`; the
 * README's examples and the main job run `cleanup`. It prints the same metadata object
 * the n8n node returns (--json).
 */
import fs from 'node:fs';
import path from 'node:path';

import { cleanupImage, type CleanupOptionsInput, closeWorkerPool, errorMessage, health } from '../engine';
import { writeFileAtomic } from '../engine/io/atomicWrite';
import { numberOption, parseArgs, type ParsedArgs, stringOption, UsageError } from './args';

const USAGE = `Usage:
  vitrinealu-bg cleanup <input...> -o <output file or directory> [options]
      --mode transparent|color|blur|mask   (default transparent)
      --color HEX            background for --mode color (default #ffffff)
      --blur N               background blur sigma in px for --mode blur (default: 1% of the long side)
      --format png|webp|jpeg (default: from the output's extension, else png)
      --quality N            JPEG/WebP quality 1-100 (default 90)
      --feather N            edge feathering in px (default 1; 0 = off)
      --no-decontaminate     keep the original colours on soft edges
      --enhance              mild, bounded foreground enhancement (enhanceFg)
      --crop [--margin N]    crop to the subject plus N px
      --model PATH           a rembg-compatible ONNX model (default: bundled IS-Net)
      --model-family NAME    isnet | isnet-imgly | u2net | birefnet (default: from the file name)
      --json                 print the metadata object(s) as JSON
  vitrinealu-bg health      device, CUDA, model and versions as JSON (exit 1 if unusable)

Environment: DEVICE=cpu|cuda|auto, BG_MODEL_PATH, BG_MAX_MEGAPIXELS, BG_CONCURRENCY, ...`;

const VALUED = new Set(['output', 'mode', 'color', 'blur', 'format', 'quality', 'feather', 'margin', 'model', 'model-family']);
const EXTENSION_FORMATS: Record<string, 'png' | 'webp' | 'jpeg'> = { '.png': 'png', '.webp': 'webp', '.jpg': 'jpeg', '.jpeg': 'jpeg' };

function cleanupOptions(args: ParsedArgs, output: string, isDirectory: boolean): CleanupOptionsInput {
  const options: CleanupOptionsInput = {};
  const set = <K extends keyof CleanupOptionsInput>(key: K, value: CleanupOptionsInput[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('mode', stringOption(args, 'mode') as CleanupOptionsInput['mode']);
  set('color', stringOption(args, 'color'));
  set('blurRadius', numberOption(args, 'blur'));
  set('quality', numberOption(args, 'quality'));
  set('featherEdges', numberOption(args, 'feather'));
  set('cropMargin', numberOption(args, 'margin'));
  set('modelPath', stringOption(args, 'model'));
  set('modelFamily', stringOption(args, 'model-family'));
  if (args.options.has('decontaminate')) set('decontaminate', args.options.get('decontaminate') !== false);
  if (args.options.has('enhance')) set('enhanceFg', args.options.get('enhance') !== false);
  if (args.options.has('crop')) set('crop', args.options.get('crop') !== false);
  const format = stringOption(args, 'format') ?? (isDirectory ? undefined : EXTENSION_FORMATS[path.extname(output).toLowerCase()]);
  set('format', format as CleanupOptionsInput['format']);
  return options;
}

async function runCleanup(args: ParsedArgs): Promise<number> {
  const inputs = args.positionals;
  const output = stringOption(args, 'output');
  if (inputs.length === 0 || !output) throw new UsageError('cleanup needs at least one input and -o <output>');
  const isDirectory = inputs.length > 1 || output.endsWith('/') || (fs.existsSync(output) && fs.statSync(output).isDirectory());
  if (isDirectory) fs.mkdirSync(output, { recursive: true });
  const options = cleanupOptions(args, output, isDirectory);
  const reports: object[] = [];
  let failures = 0;
  for (const input of inputs) {
    try {
      const result = await cleanupImage(fs.readFileSync(input), options);
      const suffix = result.metadata.cleanupMode === 'mask' ? 'mask' : 'cutout';
      const target = isDirectory ? path.join(output, `${path.basename(input, path.extname(input))}-${suffix}.${result.extension}`) : output;
      await writeFileAtomic(target, result.data);
      reports.push({ input, output: target, ...result.metadata });
      if (!args.options.has('json')) {
        const { bbox, coverage, timings, device } = result.metadata;
        console.log(`${input} -> ${target}  (${device}, subject ${bbox.width}x${bbox.height} at ${bbox.x},${bbox.y}, coverage ${(coverage * 100).toFixed(1)} %, ${Math.round(timings.totalMs)} ms)`);
      }
    } catch (error) {
      failures++;
      reports.push({ input, error: errorMessage(error) });
      console.error(`vitrinealu-bg cleanup: ${input}: ${errorMessage(error)}`);
    }
  }
  if (args.options.has('json')) console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  return failures > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command ? 0 : 2;
    }
    const args = parseArgs(rest, VALUED);
    if (command === 'cleanup') return await runCleanup(args);
    if (command === 'health') {
      const report = health();
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
    await closeWorkerPool();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
