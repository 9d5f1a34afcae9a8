import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import { EngineError } from '../../core/errors';
import { type SchedulerConfig, schedulerConfigSchema } from './schedulers';
import { zodIssue } from '../../core/validation';

/**
 * An SDXL export in the layout Optimum writes (`optimum-cli export onnx --model
 * stabilityai/stable-diffusion-xl-base-1.0 ...`). Checked file by file so a user
 * pointing at the wrong folder is told what is missing, not given an onnxruntime trace.
 */
export const SDXL_COMPONENTS = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'] as const;
export type SdxlComponent = (typeof SDXL_COMPONENTS)[number];

/** SDXL's VAE scaling factor when the export carries no vae config. */
export const SDXL_SCALING_FACTOR = 0.13025;

const modelIndexSchema = z.object({ force_zeros_for_empty_prompt: z.boolean().default(true) }).passthrough();
const vaeConfigSchema = z.object({ scaling_factor: z.number().positive().default(SDXL_SCALING_FACTOR) }).passthrough();

export interface SdxlLayout {
  dir: string;
  models: Partial<Record<SdxlComponent, string>>;
  tokenizers: [string, string];
  scheduler: SchedulerConfig;
  forceZerosForEmptyPrompt: boolean;
  scalingFactor: number;
}

function readJson<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `SDXL model file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new EngineError('MODEL_INVALID', `SDXL model file ${file}: ${zodIssue(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Validates the directory. `needsEncoder` is true for outpainting (the photo is encoded);
 * a text-to-image backdrop does not need vae_encoder.
 */
export function readSdxlLayout(dirInput: string, needsEncoder: boolean): SdxlLayout {
  const dir = path.resolve(dirInput);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new EngineError('MODEL_NOT_FOUND', `SDXL model directory not found: ${dir} (SDXL_MODEL_DIR or the node's SDXL Model Directory)`);
  }
  const components = SDXL_COMPONENTS.filter((name) => needsEncoder || name !== 'vae_encoder');
  const required = [
    'model_index.json',
    'scheduler/scheduler_config.json',
    ...components.map((name) => `${name}/model.onnx`),
    ...['tokenizer', 'tokenizer_2'].flatMap((name) => [`${name}/vocab.json`, `${name}/merges.txt`]),
  ];
  const missing = required.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new EngineError(
      'MODEL_NOT_FOUND',
      `SDXL model directory ${dir} is missing ${missing.join(', ')} (expected the layout of Optimum's ONNX export: model_index.json, scheduler/, text_encoder/, text_encoder_2/, unet/, vae_encoder/, vae_decoder/, tokenizer/, tokenizer_2/)`,
    );
  }
  const index = readJson(path.join(dir, 'model_index.json'), modelIndexSchema);
  const scheduler = readJson(path.join(dir, 'scheduler', 'scheduler_config.json'), schedulerConfigSchema);
  const vaeConfig = path.join(dir, 'vae_decoder', 'config.json');
  const scalingFactor = fs.existsSync(vaeConfig) ? readJson(vaeConfig, vaeConfigSchema).scaling_factor : SDXL_SCALING_FACTOR;
  // The encoder is loaded whenever it is there, so one cached pipeline serves both strategies.
  const present = SDXL_COMPONENTS.filter((name) => fs.existsSync(path.join(dir, name, 'model.onnx')));
  return {
    dir,
    models: Object.fromEntries(present.map((name) => [name, path.join(dir, name, 'model.onnx')])),
    tokenizers: [path.join(dir, 'tokenizer'), path.join(dir, 'tokenizer_2')],
    scheduler,
    forceZerosForEmptyPrompt: index.force_zeros_for_empty_prompt,
    scalingFactor,
  };
}
