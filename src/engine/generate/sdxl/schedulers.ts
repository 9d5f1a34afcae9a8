import { z } from 'zod';

import type { SchedulerName } from '../../core/config';
import { EngineError } from '../../core/errors';
import type { SeededRandom } from './random';

/**
 * The samplers people use with SDXL, following diffusers' formulas for an epsilon-
 * predicting model: Euler (SDXL's default), Euler Ancestral and DPM++ 2M with Karras
 * sigmas. Each gives the model timestep and the noise level of every step, scales the
 * model input, takes a step, and noises a clean latent to a step's level (inpainting).
 */
export { SCHEDULERS, type SchedulerName } from '../../core/config';

/** scheduler/scheduler_config.json as diffusers and Optimum write it (unknown keys ignored). */
export const schedulerConfigSchema = z.object({
  beta_start: z.number().positive().default(0.00085),
  beta_end: z.number().positive().default(0.012),
  beta_schedule: z.enum(['scaled_linear', 'linear']).default('scaled_linear'),
  num_train_timesteps: z.number().int().min(2).default(1000),
  steps_offset: z.number().int().min(0).default(1),
  timestep_spacing: z.enum(['leading', 'trailing', 'linspace']).default('leading'),
  prediction_type: z.string().default('epsilon'),
});
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

export interface Scheduler {
  readonly name: SchedulerName;
  /** The timestep the UNet is given at each step. */
  readonly timesteps: number[];
  /** Noise level (VE sigma) at each step, plus the final 0. */
  readonly sigmas: number[];
  /** How much to scale pure Gaussian noise for the first latent. */
  readonly initNoiseSigma: number;
  scaleModelInput(sample: Float32Array, step: number): Float32Array;
  step(noise: Float32Array, step: number, sample: Float32Array, random: SeededRandom): Float32Array;
  /** A clean latent noised to the level of step `step` (the inpainting blend and img2img start). */
  addNoise(original: Float32Array, noise: Float32Array, step: number): Float32Array;
}

/** sqrt((1 - alphā_t) / alphā_t) for every training timestep. */
export function trainingSigmas(config: SchedulerConfig): number[] {
  const n = config.num_train_timesteps;
  const sigmas: number[] = [];
  let cumulative = 1;
  for (let t = 0; t < n; t++) {
    const beta =
      config.beta_schedule === 'scaled_linear'
        ? (Math.sqrt(config.beta_start) + ((Math.sqrt(config.beta_end) - Math.sqrt(config.beta_start)) * t) / (n - 1)) ** 2
        : config.beta_start + ((config.beta_end - config.beta_start) * t) / (n - 1);
    cumulative *= 1 - beta;
    sigmas.push(Math.sqrt((1 - cumulative) / cumulative));
  }
  return sigmas;
}

function spacedTimesteps(config: SchedulerConfig, steps: number): number[] {
  const n = config.num_train_timesteps;
  if (config.timestep_spacing === 'leading') {
    const ratio = Math.floor(n / steps);
    return Array.from({ length: steps }, (_, i) => Math.round((steps - 1 - i) * ratio) + config.steps_offset);
  }
  if (config.timestep_spacing === 'trailing') {
    const ratio = n / steps;
    return Array.from({ length: steps }, (_, i) => Math.round(n - i * ratio) - 1);
  }
  return Array.from({ length: steps }, (_, i) => ((n - 1) * (steps - 1 - i)) / Math.max(1, steps - 1));
}

/** Linear interpolation of the training sigmas at a (possibly fractional) timestep. */
function sigmaAt(train: number[], t: number): number {
  const low = Math.max(0, Math.min(train.length - 1, Math.floor(t)));
  const high = Math.min(train.length - 1, low + 1);
  const w = t - low;
  return train[low] * (1 - w) + train[high] * w;
}

/** The (fractional) timestep whose log-sigma matches, as diffusers' _sigma_to_t. */
function timestepOf(train: number[], sigma: number): number {
  const logSigma = Math.log(sigma);
  const logs = train.map(Math.log);
  let low = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i] <= logSigma) low = i;
  low = Math.min(low, logs.length - 2);
  const w = Math.max(0, Math.min(1, (logs[low] - logSigma) / (logs[low] - logs[low + 1])));
  return (1 - w) * low + w * (low + 1);
}

function checkConfig(config: SchedulerConfig, steps: number): void {
  if (config.prediction_type !== 'epsilon') {
    throw new EngineError(
      'MODEL_INVALID',
      `scheduler_config.json: prediction_type "${config.prediction_type}" is not supported (SDXL base predicts "epsilon")`,
    );
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > config.num_train_timesteps)
    throw new EngineError('INVALID_OPTION', `steps must be 1..${config.num_train_timesteps}, got ${steps}`);
}

function map(a: Float32Array, f: (value: number, index: number) => number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], i);
  return out;
}

abstract class EulerFamily implements Scheduler {
  abstract readonly name: SchedulerName;
  readonly timesteps: number[];
  readonly sigmas: number[];
  readonly initNoiseSigma: number;

  constructor(config: SchedulerConfig, steps: number) {
    checkConfig(config, steps);
    const train = trainingSigmas(config);
    this.timesteps = spacedTimesteps(config, steps);
    this.sigmas = [...this.timesteps.map((t) => sigmaAt(train, t)), 0];
    const max = Math.max(...this.sigmas);
    this.initNoiseSigma = config.timestep_spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  scaleModelInput(sample: Float32Array, step: number): Float32Array {
    const scale = 1 / Math.sqrt(this.sigmas[step] ** 2 + 1);
    return map(sample, (x) => x * scale);
  }

  addNoise(original: Float32Array, noise: Float32Array, step: number): Float32Array {
    const sigma = this.sigmas[step];
    return map(original, (x, i) => x + noise[i] * sigma);
  }

  abstract step(noise: Float32Array, step: number, sample: Float32Array, random: SeededRandom): Float32Array;
}

export class EulerScheduler extends EulerFamily {
  readonly name = 'euler' as const;

  step(noise: Float32Array, step: number, sample: Float32Array): Float32Array {
    // x0 = x - sigma eps; the ODE derivative (x - x0) / sigma is eps itself.
    const dt = this.sigmas[step + 1] - this.sigmas[step];
    return map(sample, (x, i) => x + noise[i] * dt);
  }
}

export class EulerAncestralScheduler extends EulerFamily {
  readonly name = 'euler-ancestral' as const;

  step(noise: Float32Array, step: number, sample: Float32Array, random: SeededRandom): Float32Array {
    const from = this.sigmas[step];
    const to = this.sigmas[step + 1];
    const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const down = Math.sqrt(to * to - up * up);
    const dt = down - from;
    return map(sample, (x, i) => x + noise[i] * dt + (up > 0 ? random.gaussian() * up : 0));
  }
}

/** DPM-Solver++ (2M), multistep second order, with Karras sigmas and a first-order final step to sigma 0. */
export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name = 'dpmpp-2m-karras' as const;
  readonly timesteps: number[];
  readonly sigmas: number[];
  readonly initNoiseSigma = 1;
  private previousX0: Float32Array | undefined;
  private previousStep = -1;

  constructor(config: SchedulerConfig, steps: number) {
    checkConfig(config, steps);
    const train = trainingSigmas(config);
    const rho = 7;
    const minInv = train[0] ** (1 / rho);
    const maxInv = train[train.length - 1] ** (1 / rho);
    const karras = Array.from({ length: steps }, (_, i) => (maxInv + (steps === 1 ? 0 : i / (steps - 1)) * (minInv - maxInv)) ** rho);
    this.timesteps = karras.map((sigma) => Math.round(timestepOf(train, sigma)));
    this.sigmas = [...karras, 0];
  }

  /** VP coefficients of a VE sigma: x_t = alpha x0 + sigma_vp eps. */
  private static vp(sigma: number): { alpha: number; sigma: number } {
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    return { alpha, sigma: sigma * alpha };
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, step: number): Float32Array {
    const { alpha, sigma } = DpmSolverMultistepScheduler.vp(this.sigmas[step]);
    return map(original, (x, i) => alpha * x + sigma * noise[i]);
  }

  step(noise: Float32Array, step: number, sample: Float32Array): Float32Array {
    const s0 = DpmSolverMultistepScheduler.vp(this.sigmas[step]);
    const x0 = map(sample, (x, i) => (x - s0.sigma * noise[i]) / s0.alpha);
    const target = this.sigmas[step + 1];
    const history = this.previousStep === step - 1 ? this.previousX0 : undefined;
    this.previousX0 = x0;
    this.previousStep = step;
    // The last step lands on sigma 0: the clean estimate itself (diffusers' first-order final step).
    if (target === 0) return x0;
    const t = DpmSolverMultistepScheduler.vp(target);
    const h = Math.log(this.sigmas[step] / target); // lambda_t - lambda_s, with lambda = -log(sigma)
    const ratio = t.sigma / s0.sigma;
    const coefficient = t.alpha * (Math.exp(-h) - 1);
    if (!history) return map(sample, (x, i) => ratio * x - coefficient * x0[i]);
    const h0 = Math.log(this.sigmas[step - 1] / this.sigmas[step]);
    const r0 = h0 / h;
    return map(sample, (x, i) => {
      const d1 = (x0[i] - history[i]) / r0;
      return ratio * x - coefficient * x0[i] - 0.5 * coefficient * d1;
    });
  }
}

export function createScheduler(name: SchedulerName, config: SchedulerConfig, steps: number): Scheduler {
  if (name === 'euler') return new EulerScheduler(config, steps);
  if (name === 'euler-ancestral') return new EulerAncestralScheduler(config, steps);
  return new DpmSolverMultistepScheduler(config, steps);
}
