import type { ModelFamily } from './families';

/** HWC uint8 RGB -> NCHW float32, normalised as the family wants. */
export function toInputTensorData(pixels: Uint8Array, family: ModelFamily): Float32Array {
  const plane = family.inputSize * family.inputSize;
  const data = new Float32Array(3 * plane);
  let scale = 255;
  if (family.scaleByMax) {
    let max = 1;
    for (let i = 0; i < pixels.length; i++) if (pixels[i] > max) max = pixels[i];
    scale = max;
  }
  for (let c = 0; c < 3; c++) {
    const mean = family.mean[c];
    const std = family.std[c];
    const offset = c * plane;
    for (let i = 0; i < plane; i++) data[offset + i] = (pixels[i * 3 + c] / scale - mean) / std;
  }
  return data;
}

/** Raw network output -> 8-bit matte, following the family's output rule. */
export function toMask(values: Float32Array, family: ModelFamily): Uint8Array {
  const out = new Uint8Array(values.length);
  let v = values;
  if (family.output === 'sigmoid-minmax') {
    v = values.map((x) => 1 / (1 + Math.exp(-x)));
  }
  if (family.output === 'clamp') {
    for (let i = 0; i < v.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, v[i])) * 255);
    return out;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < min) min = v[i];
    if (v[i] > max) max = v[i];
  }
  const range = max - min || 1;
  for (let i = 0; i < v.length; i++) out[i] = Math.round(((v[i] - min) / range) * 255);
  return out;
}
