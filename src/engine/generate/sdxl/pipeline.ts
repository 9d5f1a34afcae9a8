import type { Device } from '../../core/config';
import { EngineError, errorMessage } from '../../core/errors';
import type { Backend, ExecutionProvider, Ort } from '../../runtime/backend';
import { floatTensor, type IoSpec, ioTypes, openSession, type OrtTensor, type Session, tensorFloats } from '../../runtime/session';
import { readSdxlLayout, type SdxlComponent, type SdxlLayout } from './modelDir';
import { SeededRandom } from './random';
import { createScheduler, type SchedulerName } from './schedulers';
import { CLIP_LENGTH, ClipTokenizer } from './tokenizer';

/**
 * SDXL in onnxruntime: two CLIP text encoders, the UNet denoising loop with
 * classifier-free guidance, and the VAE. Runs in a worker thread (see worker.ts);
 * onnxruntime-node's run() blocks the thread it is called on.
 */

/** One ONNX session with the names, dtypes and ranks its export declares. */
export class OnnxComponent {
  private constructor(
    readonly component: SdxlComponent,
    readonly file: string,
    readonly ort: Ort,
    readonly session: Session,
    readonly provider: ExecutionProvider,
    readonly inputs: Map<string, IoSpec>,
    readonly outputs: Map<string, IoSpec>,
  ) {}

  static async load(component: SdxlComponent, file: string, backend: Backend, device: Device, threads: number, warnings: string[]): Promise<OnnxComponent> {
    try {
      const opened = await openSession(backend, file, { device, threads, graphOptimization: 'all', memoryPattern: true });
      warnings.push(...opened.warnings.map((warning) => `${component}: ${warning}`));
      const { inputs, outputs } = ioTypes(opened.session);
      return new OnnxComponent(component, file, backend.ort, opened.session, opened.provider, inputs, outputs);
    } catch (error) {
      throw new EngineError('MODEL_INVALID', `Cannot load SDXL ${component} (${file}): ${errorMessage(error).split('\n')[0]}`);
    }
  }

  requireInputs(...names: string[]): void {
    this.require('input', this.inputs, names);
  }

  requireOutputs(...names: string[]): void {
    this.require('output', this.outputs, names);
  }

  private require(kind: string, specs: Map<string, IoSpec>, names: string[]): void {
    const missing = names.filter((name) => !specs.has(name));
    if (missing.length > 0) {
      throw new EngineError(
        'MODEL_INVALID',
        `SDXL ${this.component}/model.onnx has no ${kind} ${missing.map((name) => `"${name}"`).join(', ')} (it has: ${[...specs.keys()].join(', ')})`,
      );
    }
  }

  /** A float tensor in the dtype the export declares for this input (fp32 or fp16). */
  floatInput(name: string, data: Float32Array, dims: number[]): OrtTensor {
    const type = this.inputs.get(name)!.type;
    if (type === 'float16' || type === 'float32') return floatTensor(this.ort, type, data, dims);
    throw new EngineError('MODEL_INVALID', `SDXL ${this.component} input "${name}" has dtype ${type}; expected float32 or float16`);
  }

  async run(feeds: Record<string, OrtTensor>, fetch: string[]): Promise<Record<string, Float32Array>> {
    let results: Record<string, OrtTensor>;
    try {
      results = (await this.session.run(feeds, fetch)) as Record<string, OrtTensor>;
    } catch (error) {
      throw new EngineError('INFERENCE_FAILED', `SDXL ${this.component} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    const out: Record<string, Float32Array> = {};
    for (const name of fetch) out[name] = tensorFloats(results[name]);
    return out;
  }
}

/** noise = uncond + g (cond - uncond), then optionally rescaled towards cond's spread (diffusers' rescale_noise_cfg). */
export function classifierFreeGuidance(uncond: Float32Array, cond: Float32Array, scale: number, rescale = 0): Float32Array {
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  if (rescale > 0) {
    const ratio = standardDeviation(cond) / Math.max(standardDeviation(out), 1e-12);
    for (let i = 0; i < out.length; i++) out[i] = rescale * out[i] * ratio + (1 - rescale) * out[i];
  }
  return out;
}

function standardDeviation(values: Float32Array): number {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let sum = 0;
  for (const value of values) sum += (value - mean) ** 2;
  return Math.sqrt(sum / Math.max(1, values.length - 1));
}

export interface Conditioning {
  /** [B,77,C]: the penultimate hidden states of both encoders, side by side. B = 2 with guidance ([negative, positive]). */
  hidden: Float32Array;
  /** [B,P]: encoder 2's pooled, projected embedding. */
  pooled: Float32Array;
  batch: number;
  width: number;
  pooledWidth: number;
}

export interface GenerationJob {
  prompt: string;
  negativePrompt: string;
  /** Generation size: multiples of 8 (SDXL's natives are ~1 MP in multiples of 64). */
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  guidanceRescale: number;
  seed: number;
  scheduler: SchedulerName;
  /** 1 repaints the masked region from pure noise; lower keeps more of the given image there. */
  strength: number;
  /** Outpainting: the picture (RGB, width x height) and the region to repaint (1 byte per pixel, non-zero = repaint). */
  image?: Uint8Array;
  mask?: Uint8Array;
}

export interface GenerationResult {
  /** RGB, width x height. */
  image: Uint8Array;
  /** The final latents (unscaled) and, for outpainting, the encoded picture and latent mask: tests check the blend. */
  latents: Float32Array;
  imageLatents?: Float32Array;
  latentMask?: Uint8Array;
  stepsRun: number;
  timings: { encodeTextMs: number; encodeImageMs: number; denoiseMs: number; decodeMs: number };
}

export interface StepReport {
  step: number;
  steps: number;
  elapsedMs: number;
}

export class SdxlPipeline {
  readonly warnings: string[] = [];

  private constructor(
    readonly layout: SdxlLayout,
    private readonly tokenizers: [ClipTokenizer, ClipTokenizer],
    private readonly parts: Partial<Record<SdxlComponent, OnnxComponent>>,
    private readonly penultimate: [string, string],
  ) {}

  get provider(): ExecutionProvider {
    return this.parts.unet!.provider;
  }

  /** Loads and validates every session the job needs; vae_encoder only for outpainting. */
  static async load(modelDir: string, options: { backend: Backend; device: Device; threads: number; needsEncoder: boolean }): Promise<SdxlPipeline> {
    const layout = readSdxlLayout(modelDir, options.needsEncoder);
    const tokenizers: [ClipTokenizer, ClipTokenizer] = [
      ClipTokenizer.fromDirectory(layout.tokenizers[0], 'eos'),
      ClipTokenizer.fromDirectory(layout.tokenizers[1], '!'),
    ];
    const warnings: string[] = [];
    const parts: Partial<Record<SdxlComponent, OnnxComponent>> = {};
    for (const [component, file] of Object.entries(layout.models) as Array<[SdxlComponent, string]>) {
      parts[component] = await OnnxComponent.load(component, file, options.backend, options.device, options.threads, warnings);
    }
    const penultimate = (part: OnnxComponent): string => {
      part.requireInputs('input_ids');
      const layers = [...part.outputs.keys()]
        .map((name) => /^hidden_states\.(\d+)$/.exec(name))
        .filter((match): match is RegExpExecArray => !!match)
        .map((match) => Number(match[1]));
      if (layers.length < 2)
        throw new EngineError(
          'MODEL_INVALID',
          `SDXL ${part.component}/model.onnx exposes no hidden_states.N outputs (export it with Optimum, which adds them)`,
        );
      return `hidden_states.${Math.max(...layers) - 1}`;
    };
    const first = penultimate(parts.text_encoder!);
    const second = penultimate(parts.text_encoder_2!);
    parts.text_encoder_2!.requireOutputs('text_embeds');
    parts.unet!.requireInputs('sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids');
    parts.unet!.requireOutputs('out_sample');
    parts.vae_decoder!.requireInputs('latent_sample');
    parts.vae_decoder!.requireOutputs('sample');
    if (parts.vae_encoder) {
      parts.vae_encoder.requireInputs('sample');
      if (!parts.vae_encoder.outputs.has('latent_sample') && !parts.vae_encoder.outputs.has('latent_parameters'))
        parts.vae_encoder.requireOutputs('latent_sample');
    }
    if (parts.vae_decoder!.inputs.get('latent_sample')!.type === 'float16') {
      warnings.push("vae_decoder is fp16: SDXL's VAE can overflow in fp16 (black or speckled images); export the VAE in fp32 or use the fp16-fix VAE");
    }
    const pipeline = new SdxlPipeline(layout, tokenizers, parts, [first, second]);
    pipeline.warnings.push(...warnings);
    return pipeline;
  }

  private async encodeText(index: 0 | 1, text: string): Promise<{ hidden: Float32Array; pooled?: Float32Array }> {
    const part = index === 0 ? this.parts.text_encoder! : this.parts.text_encoder_2!;
    const ids = this.tokenizers[index].encode(text);
    const type = part.inputs.get('input_ids')!.type;
    let tensor: OrtTensor;
    if (type === 'int32') tensor = new part.ort.Tensor('int32', ids, [1, CLIP_LENGTH]);
    else if (type === 'int64')
      tensor = new part.ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (id) => BigInt(id)),
        [1, CLIP_LENGTH],
      );
    else throw new EngineError('MODEL_INVALID', `SDXL ${part.component} input_ids has dtype ${type}; expected int32 or int64`);
    const fetch = index === 1 ? [this.penultimate[1], 'text_embeds'] : [this.penultimate[0]];
    const out = await part.run({ input_ids: tensor }, fetch);
    return { hidden: out[this.penultimate[index]], pooled: index === 1 ? out.text_embeds : undefined };
  }

  /** One prompt through both encoders: [1,77,C1+C2] and [1,P]. */
  private async encodePromptOnce(text: string): Promise<{ hidden: Float32Array; pooled: Float32Array; width: number }> {
    const [a, b] = [await this.encodeText(0, text), await this.encodeText(1, text)];
    const w1 = a.hidden.length / CLIP_LENGTH;
    const w2 = b.hidden.length / CLIP_LENGTH;
    const hidden = new Float32Array(CLIP_LENGTH * (w1 + w2));
    for (let token = 0; token < CLIP_LENGTH; token++) {
      hidden.set(a.hidden.subarray(token * w1, (token + 1) * w1), token * (w1 + w2));
      hidden.set(b.hidden.subarray(token * w2, (token + 1) * w2), token * (w1 + w2) + w1);
    }
    return { hidden, pooled: b.pooled!, width: w1 + w2 };
  }

  async encodePrompt(prompt: string, negativePrompt: string, guidanceScale: number): Promise<Conditioning> {
    const positive = await this.encodePromptOnce(prompt);
    if (guidanceScale <= 1) return { hidden: positive.hidden, pooled: positive.pooled, batch: 1, width: positive.width, pooledWidth: positive.pooled.length };
    // SDXL's force_zeros_for_empty_prompt: no negative prompt means zero conditioning, not the empty string's.
    const negative =
      negativePrompt.trim() === '' && this.layout.forceZerosForEmptyPrompt
        ? { hidden: new Float32Array(positive.hidden.length), pooled: new Float32Array(positive.pooled.length) }
        : await this.encodePromptOnce(negativePrompt);
    const hidden = new Float32Array(positive.hidden.length * 2);
    hidden.set(negative.hidden);
    hidden.set(positive.hidden, positive.hidden.length);
    const pooled = new Float32Array(positive.pooled.length * 2);
    pooled.set(negative.pooled);
    pooled.set(positive.pooled, positive.pooled.length);
    return { hidden, pooled, batch: 2, width: positive.width, pooledWidth: positive.pooled.length };
  }

  /** The UNet's noise prediction for one step, guidance applied. `modelInput` is already scaled by the scheduler. */
  async predictNoise(
    modelInput: Float32Array,
    timestep: number,
    conditioning: Conditioning,
    size: { width: number; height: number },
    guidanceScale: number,
    guidanceRescale: number,
  ): Promise<Float32Array> {
    const unet = this.parts.unet!;
    const { batch } = conditioning;
    const latentShape = [4, size.height / 8, size.width / 8];
    const sample = new Float32Array(modelInput.length * batch);
    for (let b = 0; b < batch; b++) sample.set(modelInput, b * modelInput.length);
    const timeIds = new Float32Array(6 * batch);
    for (let b = 0; b < batch; b++) timeIds.set([size.height, size.width, 0, 0, size.height, size.width], b * 6);
    const out = await unet.run(
      {
        sample: unet.floatInput('sample', sample, [batch, ...latentShape]),
        timestep: this.timestepTensor(timestep, batch),
        encoder_hidden_states: unet.floatInput('encoder_hidden_states', conditioning.hidden, [batch, CLIP_LENGTH, conditioning.width]),
        text_embeds: unet.floatInput('text_embeds', conditioning.pooled, [batch, conditioning.pooledWidth]),
        time_ids: unet.floatInput('time_ids', timeIds, [batch, 6]),
      },
      ['out_sample'],
    );
    const noise = out.out_sample;
    if (batch === 1) return noise;
    const n = modelInput.length;
    return classifierFreeGuidance(noise.subarray(0, n), noise.subarray(n, 2 * n), guidanceScale, guidanceRescale);
  }

  /** Newer exports take a float scalar, older ones int64 [B]: follow the declared dtype and rank. */
  private timestepTensor(timestep: number, batch: number): OrtTensor {
    const unet = this.parts.unet!;
    const spec = unet.inputs.get('timestep')!;
    const dims = spec.shape.length === 0 ? [] : [batch];
    const count = dims.length === 0 ? 1 : batch;
    if (spec.type === 'int64') return new unet.ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
    if (spec.type === 'int32') return new unet.ort.Tensor('int32', new Int32Array(count).fill(Math.round(timestep)), dims);
    if (spec.type === 'float16' || spec.type === 'float32') return floatTensor(unet.ort, spec.type, new Float32Array(count).fill(timestep), dims);
    throw new EngineError('MODEL_INVALID', `SDXL unet input "timestep" has dtype ${spec.type}`);
  }

  /** RGB bytes -> scaled latents [1,4,h,w]. */
  async encodeImage(rgb: Uint8Array, width: number, height: number): Promise<Float32Array> {
    const encoder = this.parts.vae_encoder;
    if (!encoder) throw new EngineError('MODEL_INVALID', 'SDXL vae_encoder was not loaded');
    const plane = width * height;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) input[c * plane + i] = rgb[i * 3 + c] / 127.5 - 1;
    const name = encoder.outputs.has('latent_sample') ? 'latent_sample' : 'latent_parameters';
    const out = (await encoder.run({ sample: encoder.floatInput('sample', input, [1, 3, height, width]) }, [name]))[name];
    // latent_parameters holds mean then log-variance: the mean is the deterministic latent.
    const latents = out.slice(0, 4 * (plane / 64));
    for (let i = 0; i < latents.length; i++) latents[i] *= this.layout.scalingFactor;
    return latents;
  }

  /** Scaled latents -> RGB bytes, through the VAE decoder. */
  async decode(latents: Float32Array, width: number, height: number): Promise<Uint8Array> {
    const decoder = this.parts.vae_decoder!;
    const unscaled = new Float32Array(latents.length);
    for (let i = 0; i < latents.length; i++) unscaled[i] = latents[i] / this.layout.scalingFactor;
    const pixels = (await decoder.run({ latent_sample: decoder.floatInput('latent_sample', unscaled, [1, 4, height / 8, width / 8]) }, ['sample'])).sample;
    const plane = width * height;
    if (pixels.length !== 3 * plane)
      throw new EngineError('MODEL_INVALID', `SDXL vae_decoder returned ${pixels.length} values for a ${width}x${height} picture`);
    const rgb = new Uint8Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, pixels[c * plane + i] / 2 + 0.5)) * 255);
    return rgb;
  }

  async generate(job: GenerationJob, onStep: (report: StepReport) => void = () => {}, cancelled: () => boolean = () => false): Promise<GenerationResult> {
    const { width, height } = job;
    if (width % 8 !== 0 || height % 8 !== 0) throw new EngineError('INVALID_OPTION', `SDXL sizes must be multiples of 8, got ${width}x${height}`);
    const outpaint = !!job.image;
    if (outpaint && (!job.mask || job.image!.length !== width * height * 3 || job.mask.length !== width * height)) {
      throw new EngineError('INVALID_OPTION', `SDXL outpainting needs a ${width}x${height} RGB picture and mask`);
    }
    const t0 = performance.now();
    const random = new SeededRandom(job.seed);
    const scheduler = createScheduler(job.scheduler, this.layout.scheduler, job.steps);
    const conditioning = await this.encodePrompt(job.prompt, job.negativePrompt, job.guidanceScale);
    const t1 = performance.now();
    const latentCount = 4 * (width / 8) * (height / 8);
    const noise = random.gaussianArray(latentCount);
    let start = 0;
    let latents: Float32Array;
    let imageLatents: Float32Array | undefined;
    let latentMask: Uint8Array | undefined;
    if (outpaint) {
      imageLatents = await this.encodeImage(job.image!, width, height);
      latentMask = latentMaskOf(job.mask!, width, height);
      // diffusers' get_timesteps: strength s runs the last floor(steps * s) steps.
      const run = Math.min(Math.floor(job.steps * job.strength), job.steps);
      if (run < 1) throw new EngineError('INVALID_OPTION', `strength ${job.strength} with ${job.steps} steps leaves no step to run`);
      start = job.steps - run;
    }
    const t2 = performance.now();
    if (!outpaint || job.strength >= 1) latents = noise.map((value) => value * scheduler.initNoiseSigma);
    else latents = scheduler.addNoise(imageLatents!, noise, start);
    for (let step = start; step < job.steps; step++) {
      if (cancelled()) throw new EngineError('CANCELLED', `SDXL generation cancelled at step ${step - start + 1}/${job.steps - start}`);
      const modelInput = scheduler.scaleModelInput(latents, step);
      const predicted = await this.predictNoise(modelInput, scheduler.timesteps[step], conditioning, { width, height }, job.guidanceScale, job.guidanceRescale);
      latents = scheduler.step(predicted, step, latents, random);
      if (outpaint) {
        // Keep the photo outside the repaint mask: its latents, noised to the next step's level
        // (clean after the last step), replace the sample there, as diffusers' inpaint pipeline does.
        const reference = step < job.steps - 1 ? scheduler.addNoise(imageLatents!, noise, step + 1) : imageLatents!;
        const plane = latentMask!.length;
        for (let i = 0; i < latents.length; i++) if (!latentMask![i % plane]) latents[i] = reference[i];
      }
      onStep({ step: step - start + 1, steps: job.steps - start, elapsedMs: performance.now() - t2 });
    }
    const t3 = performance.now();
    const image = await this.decode(latents, width, height);
    const t4 = performance.now();
    return {
      image,
      latents,
      imageLatents,
      latentMask,
      stepsRun: job.steps - start,
      timings: { encodeTextMs: t1 - t0, encodeImageMs: t2 - t1, denoiseMs: t3 - t2, decodeMs: t4 - t3 },
    };
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.parts).map((part) => part?.session.release()));
  }
}

/** The pixel mask at latent resolution: a latent is repainted when any pixel of its 8x8 block is. */
export function latentMaskOf(mask: Uint8Array, width: number, height: number): Uint8Array {
  const w = width / 8;
  const h = height / 8;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = (y >> 3) * w;
    for (let x = 0; x < width; x++) if (mask[y * width + x]) out[row + (x >> 3)] = 1;
  }
  return out;
}
