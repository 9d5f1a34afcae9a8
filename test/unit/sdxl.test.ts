import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

import { writeTinySdxl } from '../../testkit/tinySdxl';
import { fromHalf, toHalf } from '../../src/engine/runtime/half';
import { readSdxlLayout } from '../../src/engine/generate/sdxl/modelDir';
import { classifierFreeGuidance, SdxlPipeline } from '../../src/engine/generate/sdxl/pipeline';
import { SeededRandom } from '../../src/engine/generate/sdxl/random';
import { SdxlRunner } from '../../src/engine/generate/sdxl/runner';
import { loadBackend } from '../../src/engine/runtime/backend';
import { createScheduler, type SchedulerConfig, schedulerConfigSchema, SCHEDULERS } from '../../src/engine/generate/sdxl/schedulers';
import { ClipTokenizer } from '../../src/engine/generate/sdxl/tokenizer';
import { FIXTURES } from '../../testkit/fixtures';

interface Vectors {
  config: Record<string, unknown>;
  euler_and_euler_ancestral: { timesteps: number[]; sigmas: number[]; init_noise_sigma: number };
  dpmpp_2m_karras: { timesteps: number[]; sigmas: number[]; init_noise_sigma: number };
}
const vectors = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sdxl_sched_testvectors_25steps.json'), 'utf8')) as Vectors;
const schedulerConfig: SchedulerConfig = schedulerConfigSchema.parse(vectors.config);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-sdxl-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const modelDir = (name: string, options: Parameters<typeof writeTinySdxl>[1] = {}) => writeTinySdxl(path.join(tmp, name), options);

const W = 128;
const H = 96;
/** A picture and a mask: the centre rectangle is the product (kept), the rest is repainted. */
function outpaintInputs(): { image: Uint8Array; mask: Uint8Array } {
  const image = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      image.set([(x * 2) & 255, (y * 2) & 255, 90], i * 3);
      mask[i] = x >= 40 && x < 88 && y >= 24 && y < 72 ? 0 : 1;
    }
  }
  return { image, mask };
}
const job = {
  prompt: 'an aluminium veranda in a garden',
  negativePrompt: '',
  width: W,
  height: H,
  steps: 25,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  seed: 7,
  scheduler: 'euler' as const,
  strength: 1,
};

describe('CLIP tokenizer (real merge list)', () => {
  let dir: string;
  beforeAll(() => (dir = modelDir('tokenizer')));

  test('"a photo of a cat" gives the reference ids; the two SDXL tokenizers pad differently', () => {
    const first = ClipTokenizer.fromDirectory(path.join(dir, 'tokenizer'), 'eos').encode('a photo of a cat');
    const second = ClipTokenizer.fromDirectory(path.join(dir, 'tokenizer_2'), '!').encode('a photo of a cat');
    expect([...first.slice(0, 7)]).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(first.length).toBe(77);
    expect(first[76]).toBe(49407);
    expect([...second.slice(0, 7)]).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(second[7]).toBe(0);
    expect(second[76]).toBe(0);
  });

  test('cleans whitespace, lower-cases, splits digits and punctuation, truncates to 77 keeping the end token', () => {
    const tokenizer = ClipTokenizer.fromDirectory(path.join(dir, 'tokenizer'), 'eos');
    expect(tokenizer.tokenize('  A   PHOTO\n of a  Cat ')).toEqual([320, 1125, 539, 320, 2368]);
    // digits are single tokens ("1</w>" = 256 + 16), punctuation runs are their own words
    expect(tokenizer.tokenize('12')).toEqual([272, 273]);
    expect(tokenizer.tokenize('cat!!')).toEqual([...tokenizer.tokenize('cat'), ...tokenizer.tokenize('!!')]);
    expect(tokenizer.tokenize('&amp;')).toEqual(tokenizer.tokenize('&'));
    const long = tokenizer.encode('cat '.repeat(200));
    expect(long[0]).toBe(49406);
    expect(long[76]).toBe(49407);
    expect(long[75]).toBe(2368);
  });

  test('a tokenizer folder without merges.txt names the file', () => {
    const broken = path.join(tmp, 'no-merges');
    fs.mkdirSync(broken);
    fs.copyFileSync(path.join(dir, 'tokenizer', 'vocab.json'), path.join(broken, 'vocab.json'));
    expect(() => ClipTokenizer.fromDirectory(broken, 'eos')).toThrow(/merges\.txt/);
  });
});

describe('schedulers against the diffusers test vectors (25 steps)', () => {
  const close = (actual: number[], expected: number[]) => {
    expect(actual.length).toBe(expected.length);
    actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i]))));
  };

  test.each(['euler', 'euler-ancestral'] as const)('%s: timesteps, sigmas and the initial noise scale', (name) => {
    const scheduler = createScheduler(name, schedulerConfig, 25);
    expect(scheduler.timesteps).toEqual(vectors.euler_and_euler_ancestral.timesteps);
    close(scheduler.sigmas, vectors.euler_and_euler_ancestral.sigmas);
    close([scheduler.initNoiseSigma], [vectors.euler_and_euler_ancestral.init_noise_sigma]);
  });

  test('dpmpp-2m-karras: Karras sigmas, their timesteps, no input scaling', () => {
    const scheduler = createScheduler('dpmpp-2m-karras', schedulerConfig, 25);
    expect(scheduler.timesteps).toEqual(vectors.dpmpp_2m_karras.timesteps);
    close(scheduler.sigmas, vectors.dpmpp_2m_karras.sigmas);
    expect(scheduler.initNoiseSigma).toBe(1);
  });

  test.each([...SCHEDULERS])('%s: with a perfect noise prediction the last step lands on the clean latent', (name) => {
    // x_t = x0 + sigma n (Euler's VE form) or alpha x0 + sigma_vp n (DPM's VP form); the
    // model is told the true noise, so every step must move along the same x0.
    const random = new SeededRandom(3);
    const x0 = random.gaussianArray(64);
    const n = random.gaussianArray(64);
    const scheduler = createScheduler(name, schedulerConfig, 25);
    let x = name === 'dpmpp-2m-karras' ? scheduler.addNoise(x0, n, 0) : x0.map((v, i) => v + n[i] * scheduler.sigmas[0]);
    for (let step = 0; step < 25; step++) {
      const sigma = scheduler.sigmas[step];
      // The noise actually in x (epsilon), whatever the sampler added on the way.
      const vp = 1 / Math.sqrt(sigma * sigma + 1);
      const eps = name === 'dpmpp-2m-karras' ? x.map((v, i) => (v - vp * x0[i]) / (sigma * vp)) : x.map((v, i) => (v - x0[i]) / sigma);
      x = scheduler.step(eps, step, x, random);
    }
    x.forEach((value, i) => expect(value).toBeCloseTo(x0[i], 4));
  });

  test('unsupported prediction types and step counts are refused', () => {
    expect(() => createScheduler('euler', { ...schedulerConfig, prediction_type: 'v_prediction' }, 25)).toThrow(/prediction_type "v_prediction"/);
    expect(() => createScheduler('euler', schedulerConfig, 0)).toThrow(/steps must be/);
  });
});

describe('numeric helpers', () => {
  test('float16 round trip: exact for representable values, rounds to nearest, saturates to Inf', () => {
    for (const value of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) expect(fromHalf(toHalf(value))).toBe(value);
    expect(fromHalf(toHalf(0.1))).toBeCloseTo(0.1, 3);
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });

  test("classifier-free guidance: uncond + g (cond - uncond), and the rescale keeps cond's spread", () => {
    const uncond = Float32Array.from([0, 1, 2, 3]);
    const cond = Float32Array.from([1, 1, 0, 5]);
    expect([...classifierFreeGuidance(uncond, cond, 7.5)]).toEqual([7.5, 1, -13, 18]);
    const std = (a: Float32Array) => {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
    };
    expect(std(classifierFreeGuidance(uncond, cond, 7.5, 1))).toBeCloseTo(std(cond), 5);
  });

  test('seeded noise is reproducible and standard normal', () => {
    const a = new SeededRandom(42).gaussianArray(20000);
    expect([...new SeededRandom(42).gaussianArray(5)]).toEqual([...a.slice(0, 5)]);
    expect([...new SeededRandom(43).gaussianArray(5)]).not.toEqual([...a.slice(0, 5)]);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('SDXL model directory', () => {
  test('a missing file or folder is named', () => {
    const dir = modelDir('missing', { omit: ['unet/model.onnx', 'tokenizer_2/merges.txt'] });
    expect(() => readSdxlLayout(dir, true)).toThrow(/missing unet\/model\.onnx, tokenizer_2\/merges\.txt/);
    expect(() => readSdxlLayout(path.join(tmp, 'nowhere'), true)).toThrow(/SDXL model directory not found: .*nowhere \(SDXL_MODEL_DIR/);
    const noEncoder = modelDir('no-encoder', { omit: ['vae_encoder/model.onnx'] });
    expect(() => readSdxlLayout(noEncoder, true)).toThrow(/missing vae_encoder\/model\.onnx/);
    expect(readSdxlLayout(noEncoder, false).models.vae_encoder).toBeUndefined();
  });

  test('a malformed config or a session without the expected tensors is named', async () => {
    const dir = modelDir('malformed');
    fs.writeFileSync(path.join(dir, 'scheduler', 'scheduler_config.json'), '{"beta_schedule": "cosine"}');
    expect(() => readSdxlLayout(dir, true)).toThrow(/scheduler_config\.json: beta_schedule/);
    const wrong = modelDir('wrong-unet');
    fs.copyFileSync(path.join(wrong, 'text_encoder', 'model.onnx'), path.join(wrong, 'unet', 'model.onnx'));
    await expect(SdxlPipeline.load(wrong, { backend: await loadBackend('native'), device: 'cpu', threads: 1, needsEncoder: true })).rejects.toThrow(
      /SDXL unet\/model\.onnx has no input "sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids" \(it has: input_ids\)/,
    );
    const garbage = modelDir('garbage');
    fs.writeFileSync(path.join(garbage, 'vae_decoder', 'model.onnx'), 'not onnx');
    await expect(SdxlPipeline.load(garbage, { backend: await loadBackend('native'), device: 'cpu', threads: 1, needsEncoder: true })).rejects.toThrow(
      /Cannot load SDXL vae_decoder/,
    );
  });
});

describe.each([
  ['fp32, float scalar timestep, latent_sample', {}],
  ['fp16 UNet, int64 [B] timestep, latent_parameters', { fp16: true, int64Timestep: true, latentParameters: true }],
])('SDXL pipeline on a tiny export (%s)', (label, options) => {
  let pipeline: SdxlPipeline;
  let unet: ort.InferenceSession;
  let dir: string;
  beforeAll(async () => {
    dir = modelDir(label.replace(/\W+/g, '-'), options);
    pipeline = await SdxlPipeline.load(dir, { backend: await loadBackend('native'), device: 'cpu', threads: 1, needsEncoder: true });
    unet = await ort.InferenceSession.create(path.join(dir, 'unet', 'model.onnx'));
  });
  afterAll(async () => {
    await pipeline.dispose();
    await unet.release();
  });

  test('conditioning: both penultimate hidden states side by side, zero negative for an empty prompt', async () => {
    const conditioning = await pipeline.encodePrompt('a veranda', '', 7.5);
    expect(conditioning.batch).toBe(2);
    expect(conditioning.width).toBe(4 + 8);
    expect(conditioning.hidden.length).toBe(2 * 77 * 12);
    expect(conditioning.pooled.length).toBe(2 * 6);
    expect(conditioning.hidden.subarray(0, 77 * 12).every((v) => v === 0)).toBe(true);
    expect(conditioning.pooled.subarray(0, 6).every((v) => v === 0)).toBe(true);
    expect(conditioning.hidden.subarray(77 * 12).some((v) => v !== 0)).toBe(true);
    const negative = await pipeline.encodePrompt('a veranda', 'blurry', 7.5);
    expect(negative.hidden.subarray(0, 77 * 12).some((v) => v !== 0)).toBe(true);
    expect(negative.hidden.subarray(77 * 12)).toEqual(conditioning.hidden.subarray(77 * 12));
    const unguided = await pipeline.encodePrompt('a veranda', 'blurry', 1);
    expect(unguided.batch).toBe(1);
  });

  test('the UNet is called with [negative, positive] and its two halves are combined with the guidance scale', async () => {
    const conditioning = await pipeline.encodePrompt('a veranda', 'blurry', 5);
    const latents = new SeededRandom(1).gaussianArray(4 * (H / 8) * (W / 8));
    const guided = await pipeline.predictNoise(latents, 961, conditioning, { width: W, height: H }, 5, 0);
    // The same call made here, straight to onnxruntime.
    const fp16 = !!(options as { fp16?: boolean }).fp16;
    const tensor = (data: Float32Array, dims: number[]) =>
      fp16 ? new ort.Tensor('float16', Uint16Array.from(data, toHalf), dims) : new ort.Tensor('float32', data, dims);
    const sample = new Float32Array(latents.length * 2);
    sample.set(latents);
    sample.set(latents, latents.length);
    const timeIds = Float32Array.from([H, W, 0, 0, H, W, H, W, 0, 0, H, W]);
    const timestep = (options as { int64Timestep?: boolean }).int64Timestep
      ? new ort.Tensor('int64', BigInt64Array.from([961n, 961n]), [2])
      : new ort.Tensor('float32', Float32Array.from([961]), []);
    const out = await unet.run({
      sample: tensor(sample, [2, 4, H / 8, W / 8]),
      timestep,
      encoder_hidden_states: tensor(conditioning.hidden, [2, 77, 12]),
      text_embeds: tensor(conditioning.pooled, [2, 6]),
      time_ids: tensor(timeIds, [2, 6]),
    });
    const raw = out.out_sample.data as Float32Array | Uint16Array;
    const values = raw instanceof Uint16Array ? Float32Array.from(raw, fromHalf) : raw;
    const n = latents.length;
    for (let i = 0; i < n; i += 37) expect(guided[i]).toBeCloseTo(values[i] + 5 * (values[n + i] - values[i]), 4);
    expect(guided.length).toBe(n);
  });

  test('outpainting: outside the mask the final latents are the encoded picture, inside they are generated', async () => {
    const { image, mask } = outpaintInputs();
    const result = await pipeline.generate({ ...job, image, mask });
    expect(result.stepsRun).toBe(25);
    expect(result.image.length).toBe(W * H * 3);
    const plane = result.latentMask!.length;
    let kept = 0;
    let repainted = 0;
    for (let i = 0; i < result.latents.length; i++) {
      if (!result.latentMask![i % plane]) {
        expect(result.latents[i]).toBe(result.imageLatents![i]);
        kept++;
      } else if (Math.abs(result.latents[i] - result.imageLatents![i]) > 1e-3) repainted++;
    }
    expect(kept).toBe(4 * 6 * 6);
    expect(repainted).toBeGreaterThan(0.9 * (result.latents.length - kept));
    // The tiny VAE decodes a kept latent back to the picture's 8x8 block mean.
    const block = (x: number, y: number, c: number) => {
      let sum = 0;
      for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) sum += image[((y + dy) * W + x + dx) * 3 + c];
      return sum / 64;
    };
    for (const c of [0, 1, 2]) expect(Math.abs(result.image[(48 * W + 48) * 3 + c] - block(48, 48, c))).toBeLessThanOrEqual(1);
  });

  test('same seed, same image; another seed or sampler, another image', async () => {
    const a = await pipeline.generate({ ...job, steps: 6 });
    const b = await pipeline.generate({ ...job, steps: 6 });
    const c = await pipeline.generate({ ...job, steps: 6, seed: 8 });
    const d = await pipeline.generate({ ...job, steps: 6, scheduler: 'euler-ancestral' });
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true);
    expect(Buffer.from(a.image).equals(Buffer.from(c.image))).toBe(false);
    expect(Buffer.from(a.image).equals(Buffer.from(d.image))).toBe(false);
  });

  test('strength runs the last floor(steps x strength) steps; too low a strength is refused', async () => {
    const { image, mask } = outpaintInputs();
    const steps: number[] = [];
    const result = await pipeline.generate({ ...job, image, mask, strength: 0.5, scheduler: 'dpmpp-2m-karras' }, (report) => steps.push(report.step));
    expect(result.stepsRun).toBe(12);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    await expect(pipeline.generate({ ...job, image, mask, strength: 0.01 })).rejects.toThrow(/leaves no step to run/);
  });
});

describe('SDXL runner (worker thread)', () => {
  const runner = new SdxlRunner(1);
  afterAll(() => runner.close());

  test('runs off the main thread, reports every step, and a second job waits for the first', async () => {
    const dir = modelDir('runner');
    const reports: string[] = [];
    const [first, second] = await Promise.all([
      runner.generate({ ...job, steps: 5 }, { modelDir: dir, device: 'cpu', threads: 1, onStep: (r) => reports.push(`a${r.step}/${r.steps}`) }),
      runner.generate(
        { ...job, steps: 3, ...outpaintInputs() },
        { modelDir: dir, device: 'cpu', threads: 1, onStep: (r) => reports.push(`b${r.step}/${r.steps}`) },
      ),
    ]);
    expect(reports).toEqual(['a1/5', 'a2/5', 'a3/5', 'a4/5', 'a5/5', 'b1/3', 'b2/3', 'b3/3']);
    expect(first.image.length).toBe(W * H * 3);
    expect(second.stepsRun).toBe(3);
    expect(first.provider).toBe('cpu');
  });

  test('an abort stops the generation between steps; a missing encoder is named for outpainting', async () => {
    const dir = modelDir('runner-abort');
    const controller = new AbortController();
    const run = runner.generate(
      { ...job, steps: 50 },
      { modelDir: dir, device: 'cpu', threads: 1, signal: controller.signal, onStep: (r) => r.step === 2 && controller.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const noEncoder = modelDir('runner-no-encoder', { omit: ['vae_encoder/model.onnx'] });
    await expect(runner.generate({ ...job, steps: 2, ...outpaintInputs() }, { modelDir: noEncoder, device: 'cpu', threads: 1 })).rejects.toThrow(
      /missing vae_encoder\/model\.onnx/,
    );
    const text = await runner.generate({ ...job, steps: 2 }, { modelDir: noEncoder, device: 'cpu', threads: 1 });
    expect(text.stepsRun).toBe(2);
  });
});
