/**
 * Writes a tiny SDXL model directory in the layout of Optimum's ONNX export
 * (`optimum-cli export onnx --model stabilityai/stable-diffusion-xl-base-1.0`): the same
 * file names, the same input and output names, ranks and dtypes, but a few channels and
 * fixed random weights. It lets the whole SDXL pipeline run on CPU in tests and benches.
 *
 * The tokenizer files are the real ones, derived from the CLIP merge list in
 * test/fixtures/clip (see its README).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { SeededRandom } from '../src/engine/generate/sdxl/random';
import { byteToUnicode } from '../src/engine/generate/sdxl/tokenizer';
import { FIXTURES } from './fixtures';
import { DataType, type Dim, type ElemType, encodeModel, type Graph, type Node, type Tensor } from '../src/engine/runtime/onnxGraph';

export interface TinySdxlOptions {
  /** fp16 inputs and outputs on the UNet (as a `--dtype fp16` export has). */
  fp16?: boolean;
  /** timestep as int64 [B] (older exports) instead of a float32 scalar. */
  int64Timestep?: boolean;
  /** VAE encoder returns mean and log-variance (`latent_parameters`, 8 channels). */
  latentParameters?: boolean;
  /** Leave these relative paths out (to test the loader's messages). */
  omit?: string[];
  /** Where the CLIP merge list is; defaults to test/fixtures/clip. */
  bpeVocabPath?: string;
}

export const TINY_TEXT_WIDTHS = { first: 4, second: 8, projection: 6 } as const;

const random = new SeededRandom(20261124);

function weights(name: string, dims: number[], scale: number): Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = random.gaussian() * scale;
  return { name, type: DataType.FLOAT, dims, data };
}

function constant(name: string, dims: number[], values: number[]): Tensor {
  return { name, type: DataType.FLOAT, dims, data: Float32Array.from(values) };
}

function int64s(name: string, values: number[]): Tensor {
  return { name, type: DataType.INT64, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
}

/** CLIP text encoder: embedding, `layers` tanh blocks, every hidden state as an output. */
function textEncoder(options: { layers: number; width: number; idsType: ElemType; projection?: number }): Graph {
  const { layers, width } = options;
  const nodes: Node[] = [
    { op: 'Cast', inputs: ['input_ids'], outputs: ['ids64'], attributes: { to: DataType.INT64 } },
    // A 1024-row table keeps the file small; ids are folded into it.
    { op: 'Mod', inputs: ['ids64', 'vocab_rows'], outputs: ['rows'] },
    { op: 'Gather', inputs: ['embedding', 'rows'], outputs: ['hidden_states.0'], attributes: { axis: 0 } },
  ];
  for (let layer = 1; layer <= layers; layer++) {
    nodes.push(
      { op: 'MatMul', inputs: [`hidden_states.${layer - 1}`, 'layer_weight'], outputs: [`mm.${layer}`] },
      { op: 'Add', inputs: [`mm.${layer}`, 'layer_bias'], outputs: [`pre.${layer}`] },
      { op: 'Tanh', inputs: [`pre.${layer}`], outputs: [`hidden_states.${layer}`] },
    );
  }
  nodes.push(
    { op: 'Identity', inputs: [`hidden_states.${layers}`], outputs: ['last_hidden_state'] },
    { op: 'ReduceMean', inputs: ['last_hidden_state'], outputs: ['pooled'], attributes: { axes: [1], keepdims: 0 } },
  );
  const initializers = [
    int64s('vocab_rows', [1024]),
    weights('embedding', [1024, width], 1),
    weights('layer_weight', [width, width], 0.6),
    weights('layer_bias', [width], 0.1),
  ];
  const hidden = Array.from({ length: layers + 1 }, (_, index) => ({
    name: `hidden_states.${index}`,
    type: DataType.FLOAT,
    shape: ['batch_size', 'sequence_length', width] as Dim[],
  }));
  const pooledOutput = options.projection
    ? { name: 'text_embeds', type: DataType.FLOAT, shape: ['batch_size', options.projection] as Dim[] }
    : { name: 'pooler_output', type: DataType.FLOAT, shape: ['batch_size', width] as Dim[] };
  if (options.projection) {
    nodes.push({ op: 'MatMul', inputs: ['pooled', 'projection'], outputs: ['text_embeds'] });
    initializers.push(weights('projection', [width, options.projection], 0.5));
  } else nodes.push({ op: 'Identity', inputs: ['pooled'], outputs: ['pooler_output'] });
  return {
    name: 'text_encoder',
    inputs: [{ name: 'input_ids', type: options.idsType, shape: ['batch_size', 'sequence_length'] }],
    outputs: [pooledOutput, { name: 'last_hidden_state', type: DataType.FLOAT, shape: ['batch_size', 'sequence_length', width] }, ...hidden],
    initializers,
    nodes,
  };
}

function convNearIdentity(): Tensor {
  const tensor = weights('w_conv', [4, 4, 3, 3], 0.02);
  for (let c = 0; c < 4; c++) (tensor.data as Float32Array)[(c * 4 + c) * 9 + 4] += 0.9;
  return tensor;
}

/** The UNet's contract: predicted noise of the latent's shape, conditioned on text, pooled text, time ids and timestep. */
function unet(options: TinySdxlOptions): Graph {
  const context = TINY_TEXT_WIDTHS.first + TINY_TEXT_WIDTHS.second;
  const io = options.fp16 ? DataType.FLOAT16 : DataType.FLOAT;
  const nodes: Node[] = [];
  const asFloat = (name: string) => {
    if (!options.fp16) return name;
    nodes.push({ op: 'Cast', inputs: [name], outputs: [`${name}_f32`], attributes: { to: DataType.FLOAT } });
    return `${name}_f32`;
  };
  const sample = asFloat('sample');
  const hidden = asFloat('encoder_hidden_states');
  const textEmbeds = asFloat('text_embeds');
  const timeIds = asFloat('time_ids');
  nodes.push(
    { op: 'Cast', inputs: ['timestep'], outputs: ['t_f32'], attributes: { to: DataType.FLOAT } },
    { op: 'Reshape', inputs: ['t_f32', 'column'], outputs: ['t_col'] },
    { op: 'Mul', inputs: ['t_col', 'time_scale'], outputs: ['t_scaled'] },
    { op: 'ReduceMean', inputs: [hidden], outputs: ['context_mean'], attributes: { axes: [1], keepdims: 0 } },
    { op: 'MatMul', inputs: ['context_mean', 'w_context'], outputs: ['c_context'] },
    { op: 'MatMul', inputs: [textEmbeds, 'w_text'], outputs: ['c_text'] },
    { op: 'Mul', inputs: [timeIds, 'ids_scale'], outputs: ['ids_scaled'] },
    { op: 'MatMul', inputs: ['ids_scaled', 'w_ids'], outputs: ['c_ids'] },
    { op: 'Add', inputs: ['c_context', 'c_text'], outputs: ['c_sum1'] },
    { op: 'Add', inputs: ['c_sum1', 'c_ids'], outputs: ['c_sum2'] },
    { op: 'Add', inputs: ['c_sum2', 't_scaled'], outputs: ['c_sum3'] },
    { op: 'Tanh', inputs: ['c_sum3'], outputs: ['cond_full'] },
    { op: 'Mul', inputs: ['cond_full', 'cond_scale'], outputs: ['cond'] },
    { op: 'Unsqueeze', inputs: ['cond', 'spatial_axes'], outputs: ['cond_map'] },
    { op: 'Conv', inputs: [sample, 'w_conv', 'b_conv'], outputs: ['conv'], attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
    { op: 'Add', inputs: ['conv', 'cond_map'], outputs: ['noise'] },
  );
  if (options.fp16) nodes.push({ op: 'Cast', inputs: ['noise'], outputs: ['out_sample'], attributes: { to: DataType.FLOAT16 } });
  else nodes.push({ op: 'Identity', inputs: ['noise'], outputs: ['out_sample'] });
  return {
    name: 'unet',
    inputs: [
      { name: 'sample', type: io, shape: ['batch_size', 4, 'height', 'width'] },
      options.int64Timestep ? { name: 'timestep', type: DataType.INT64, shape: ['batch_size'] } : { name: 'timestep', type: DataType.FLOAT, shape: [] },
      { name: 'encoder_hidden_states', type: io, shape: ['batch_size', 'sequence_length', context] },
      { name: 'text_embeds', type: io, shape: ['batch_size', TINY_TEXT_WIDTHS.projection] },
      { name: 'time_ids', type: io, shape: ['batch_size', 6] },
    ],
    outputs: [{ name: 'out_sample', type: io, shape: ['batch_size', 4, 'height', 'width'] }],
    initializers: [
      int64s('column', [-1, 1]),
      int64s('spatial_axes', [2, 3]),
      constant('time_scale', [1, 4], [0.001, -0.002, 0.0015, 0.0005]),
      constant('ids_scale', [], [1 / 1024]),
      constant('cond_scale', [], [0.2]),
      weights('w_context', [context, 4], 0.5),
      weights('w_text', [TINY_TEXT_WIDTHS.projection, 4], 0.5),
      weights('w_ids', [6, 4], 0.5),
      // Close to identity: the scaled input at high noise is mostly noise, so predicting it
      // makes a denoiser that pulls latents towards the conditioning; images stay bounded.
      convNearIdentity(),
      weights('b_conv', [4], 0.05),
    ],
    nodes,
  };
}

// The tiny VAE: latent = 8x8 block mean of RGB mapped to 4 channels (mean, r, g, b); the
// decoder maps back and repeats each latent as an 8x8 block, so decode(encode(x)) is x averaged per block.
// Weights carry 1/scaling_factor and scaling_factor, so scaled latents are in the pixels' [-1, 1] range,
// like a real SDXL VAE's (unit variance), and generated latents decode to a sensible picture.
const ENCODE = [
  [1 / 3, 1 / 3, 1 / 3],
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const SCALING_FACTOR = 0.13025;

function vaeEncoder(latentParameters: boolean): Graph {
  const kernel = new Float32Array(4 * 3 * 64);
  for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let k = 0; k < 64; k++) kernel[(o * 3 + i) * 64 + k] = ENCODE[o][i] / 64 / SCALING_FACTOR;
  const nodes: Node[] = [
    {
      op: 'Conv',
      inputs: ['sample', 'w_encode'],
      outputs: [latentParameters ? 'mean' : 'latent_sample'],
      attributes: { kernel_shape: [8, 8], strides: [8, 8] },
    },
  ];
  if (latentParameters) {
    nodes.push(
      { op: 'Mul', inputs: ['mean', 'zero'], outputs: ['logvar'] },
      { op: 'Concat', inputs: ['mean', 'logvar'], outputs: ['latent_parameters'], attributes: { axis: 1 } },
    );
  }
  return {
    name: 'vae_encoder',
    inputs: [{ name: 'sample', type: DataType.FLOAT, shape: ['batch_size', 3, 'height', 'width'] }],
    outputs: [
      {
        name: latentParameters ? 'latent_parameters' : 'latent_sample',
        type: DataType.FLOAT,
        shape: ['batch_size', latentParameters ? 8 : 4, 'height_latent', 'width_latent'],
      },
    ],
    initializers: [{ name: 'w_encode', type: DataType.FLOAT, dims: [4, 3, 8, 8], data: kernel }, ...(latentParameters ? [constant('zero', [], [0])] : [])],
    nodes,
  };
}

function vaeDecoder(): Graph {
  // ConvTranspose weight [in=4, out=3, 8, 8]: channel c of the output comes from latent channel c+1.
  const kernel = new Float32Array(4 * 3 * 64);
  for (let c = 0; c < 3; c++) for (let k = 0; k < 64; k++) kernel[((c + 1) * 3 + c) * 64 + k] = SCALING_FACTOR;
  return {
    name: 'vae_decoder',
    inputs: [{ name: 'latent_sample', type: DataType.FLOAT, shape: ['batch_size', 4, 'height_latent', 'width_latent'] }],
    outputs: [{ name: 'sample', type: DataType.FLOAT, shape: ['batch_size', 3, 'height', 'width'] }],
    initializers: [{ name: 'w_decode', type: DataType.FLOAT, dims: [4, 3, 8, 8], data: kernel }],
    nodes: [{ op: 'ConvTranspose', inputs: ['latent_sample', 'w_decode'], outputs: ['sample'], attributes: { kernel_shape: [8, 8], strides: [8, 8] } }],
  };
}

/** merges.txt and vocab.json as the SDXL tokenizers ship them, from the CLIP merge list. */
export function clipTokenizerFiles(bpeVocabPath: string): { vocab: Record<string, number>; merges: string } {
  const lines = zlib.gunzipSync(fs.readFileSync(bpeVocabPath)).toString('utf8').split('\n');
  const merges = lines.slice(1, 49152 - 256 - 2 + 1);
  const symbols = [...byteToUnicode().values()];
  const entries = [
    ...symbols,
    ...symbols.map((symbol) => `${symbol}</w>`),
    ...merges.map((merge) => merge.replace(' ', '')),
    '<|startoftext|>',
    '<|endoftext|>',
  ];
  const vocab: Record<string, number> = {};
  entries.forEach((entry, index) => (vocab[entry] = index));
  return { vocab, merges: ['#version: 0.2', ...merges].join('\n') + '\n' };
}

export function defaultBpeVocabPath(): string {
  return path.join(FIXTURES, 'clip', 'bpe_simple_vocab_16e6.txt.gz');
}

export function writeTinySdxl(dir: string, options: TinySdxlOptions = {}): string {
  const omit = new Set(options.omit ?? []);
  const write = (relative: string, content: Buffer | string) => {
    if (omit.has(relative)) return;
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), content);
  };
  write(
    'model_index.json',
    JSON.stringify({ _class_name: 'ORTStableDiffusionXLPipeline', _diffusers_version: '0.30.0', force_zeros_for_empty_prompt: true }, null, 2),
  );
  write(
    'scheduler/scheduler_config.json',
    JSON.stringify(
      {
        _class_name: 'EulerDiscreteScheduler',
        beta_start: 0.00085,
        beta_end: 0.012,
        beta_schedule: 'scaled_linear',
        num_train_timesteps: 1000,
        prediction_type: 'epsilon',
        steps_offset: 1,
        timestep_spacing: 'leading',
        interpolation_type: 'linear',
        use_karras_sigmas: false,
      },
      null,
      2,
    ),
  );
  write('text_encoder/model.onnx', encodeModel(textEncoder({ layers: 12, width: TINY_TEXT_WIDTHS.first, idsType: DataType.INT32 })));
  write(
    'text_encoder_2/model.onnx',
    encodeModel(textEncoder({ layers: 32, width: TINY_TEXT_WIDTHS.second, idsType: DataType.INT64, projection: TINY_TEXT_WIDTHS.projection })),
  );
  write('unet/model.onnx', encodeModel(unet(options)));
  write('vae_encoder/model.onnx', encodeModel(vaeEncoder(!!options.latentParameters)));
  write('vae_decoder/model.onnx', encodeModel(vaeDecoder()));
  write('vae_decoder/config.json', JSON.stringify({ _class_name: 'AutoencoderKL', scaling_factor: SCALING_FACTOR, force_upcast: true }, null, 2));
  const { vocab, merges } = clipTokenizerFiles(options.bpeVocabPath ?? defaultBpeVocabPath());
  for (const tokenizer of ['tokenizer', 'tokenizer_2']) {
    write(`${tokenizer}/vocab.json`, JSON.stringify(vocab));
    write(`${tokenizer}/merges.txt`, merges);
  }
  write(
    'tokenizer_2/special_tokens_map.json',
    JSON.stringify({ bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: '!', unk_token: '<|endoftext|>' }),
  );
  return dir;
}
