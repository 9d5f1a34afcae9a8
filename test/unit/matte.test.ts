import sharp from 'sharp';

import { cleanupImage } from '../../src/engine/pipeline/cleanup';
import { boxBlur } from '../../src/engine/matte/boxBlur';
import { BOUND_REACH, estimateForeground } from '../../src/engine/matte/foreground';
import { expandBox, featherMask, maskStats } from '../../src/engine/matte/matte';
import { snapMatte } from '../../src/engine/matte/snap';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

afterAll(() => closeWorkerPool());
const context = () => ({ config: { modelCacheDir: modelCacheDir(), device: 'cpu' as const } });

describe('box blur', () => {
  test('matches a naive clamped mean', () => {
    const width = 17;
    const height = 11;
    const values = Float32Array.from({ length: width * height }, (_, i) => (i * 37) % 101);
    const radius = 3;
    const expected = new Float32Array(values.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        let count = 0;
        // Separable clamped windows: mean over the rows' means.
        for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) {
          let rowSum = 0;
          let rowCount = 0;
          for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) {
            rowSum += values[yy * width + xx];
            rowCount++;
          }
          sum += rowSum / rowCount;
          count++;
        }
        expected[y * width + x] = sum / count;
      }
    }
    const actual = boxBlur(Float32Array.from(values), width, height, radius);
    for (let i = 0; i < values.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 3);
  });
});

describe('mask helpers', () => {
  test('snap, stats and box', () => {
    const data = Buffer.from([0, 2, 3, 4, 128, 251, 252, 255, 0]);
    expect([...snapMatte({ data, width: 9, height: 1 }).data]).toEqual([0, 0, 0, 4, 128, 251, 255, 255, 0]);
    const stats = maskStats({ data, width: 3, height: 3 });
    expect(stats.bbox).toEqual({ x: 0, y: 1, width: 3, height: 2 });
    expect(expandBox({ x: 5, y: 5, width: 10, height: 10 }, 8, 18, 100)).toEqual({ x: 0, y: 0, width: 18, height: 23 });
  });
  test('feathering softens only around edges', async () => {
    const width = 64;
    const data = Buffer.alloc(width * width);
    for (let y = 16; y < 48; y++) data.fill(255, y * width + 16, y * width + 48);
    const soft = await featherMask({ data, width, height: width }, 4);
    expect(soft.data[32 * width + 32]).toBe(255);
    expect(soft.data[0]).toBe(0);
    const edge = soft.data[32 * width + 16];
    expect(edge).toBeGreaterThan(60);
    expect(edge).toBeLessThan(200);
  });
  test('feathering a matte fitted to the photo never takes a thin part under half: a spoke at partial alpha keeps it', async () => {
    const width = 64;
    const data = Buffer.alloc(width * width);
    for (let y = 8; y < 56; y++) data[y * width + 32] = 170;
    const plain = await featherMask({ data, width, height: width }, 2);
    expect(plain.data[30 * width + 32]).toBeLessThan(128); // what the feather alone does to it
    const kept = await featherMask({ data, width, height: width }, 2, true);
    expect(kept.data[30 * width + 32]).toBe(170);
    expect(kept.data[30 * width + 31]).toBeGreaterThan(0); // the wall beside it is still softened
  });
  test('foreground estimation leaves opaque pixels exact and recovers a known colour', () => {
    // Left half red subject (alpha 1), right half green background (alpha 0), a soft ramp between.
    const width = 200;
    const height = 50;
    const rgb = new Uint8Array(width * height * 3);
    const alpha = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const a = Math.min(1, Math.max(0, (110 - x) / 20)); // 1 up to x=90, 0 from x=110
        const i = y * width + x;
        alpha[i] = Math.round(a * 255);
        const aq = alpha[i] / 255;
        rgb[i * 3] = Math.round(200 * aq);
        rgb[i * 3 + 1] = Math.round(255 * (1 - aq));
        rgb[i * 3 + 2] = 0;
      }
    }
    const out = estimateForeground(rgb, alpha, width, height);
    const i = 25 * width + 100; // alpha 0.5
    expect(Math.abs(out[i * 3] - 200)).toBeLessThan(25);
    expect(out[i * 3 + 1]).toBeLessThan(40);
    const opaque = 25 * width + 10;
    expect([...out.subarray(opaque * 3, opaque * 3 + 3)]).toEqual([...rgb.subarray(opaque * 3, opaque * 3 + 3)]);
  });
});

/** Mean of max(0, G - (R + B) / 2) over pixels with 0 < alpha < 255, after placing RGBA on white. */
async function greenExcessOnWhite(cutout: Buffer): Promise<{ excess: number; band: number }> {
  const { data, info } = await sharp(cutout).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let band = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    const a = data[i * 4 + 3];
    if (a === 0 || a === 255) continue;
    const t = a / 255;
    const r = data[i * 4] * t + 255 * (1 - t);
    const g = data[i * 4 + 1] * t + 255 * (1 - t);
    const b = data[i * 4 + 2] * t + 255 * (1 - t);
    sum += Math.max(0, g - (r + b) / 2);
    band++;
  }
  return { excess: sum / Math.max(1, band), band };
}

describe('decontamination removes the old background from soft edges', () => {
  test.each(['chelsea.png', 'butterfly.jpg'])('%s composited on pure green, cut out again, placed on white', async (name) => {
    const first = await cleanupImage(readPhoto(name), { mode: 'transparent' }, context());
    const onGreen = await sharp(first.data).flatten({ background: '#00ff00' }).png().toBuffer();
    const plain = await cleanupImage(onGreen, { mode: 'transparent', decontaminate: false }, context());
    const cleaned = await cleanupImage(onGreen, { mode: 'transparent', decontaminate: true }, context());
    const before = await greenExcessOnWhite(plain.data);
    const after = await greenExcessOnWhite(cleaned.data);
    console.log(`${name}: green excess in the edge band ${before.excess.toFixed(2)} -> ${after.excess.toFixed(2)} (${before.band} px)`);
    expect(before.band).toBeGreaterThan(100);
    expect(after.excess).toBeLessThanOrEqual(before.excess / 2);
  });
});

/** Per channel, the least and greatest value within `radius` px (a square window), by two 1-D passes. */
function windowRanges(rgb: Buffer, width: number, height: number, radius: number): { low: Uint8Array; high: Uint8Array } {
  const pass = (source: Uint8Array, pick: (a: number, b: number) => number, horizontal: boolean) => {
    const out = new Uint8Array(source.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let k = 0; k < 3; k++) {
          let value = source[(y * width + x) * 3 + k];
          for (let d = -radius; d <= radius; d++) {
            const xx = horizontal ? x + d : x;
            const yy = horizontal ? y : y + d;
            if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
            value = pick(value, source[(yy * width + xx) * 3 + k]);
          }
          out[(y * width + x) * 3 + k] = value;
        }
      }
    }
    return out;
  };
  return { low: pass(pass(rgb, Math.min, true), Math.min, false), high: pass(pass(rgb, Math.max, true), Math.max, false) };
}

/** Soft-edge pixels of a cut-out whose color leaves the photo's own range within `radius` px (per channel). */
async function inventedColors(photo: Buffer, cutout: Buffer, radius: number): Promise<{ outside: number; soft: number }> {
  const { data: rgb, info } = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { data: out } = await sharp(cutout).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { low, high } = windowRanges(rgb, info.width, info.height, radius);
  let outside = 0;
  let soft = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    const a = out[i * 4 + 3];
    if (a === 0 || a === 255) continue;
    soft++;
    for (let k = 0; k < 3; k++) {
      const v = out[i * 4 + k];
      if (v < low[i * 3 + k] || v > high[i * 3 + k]) {
        outside++;
        break;
      }
    }
  }
  return { outside, soft };
}

describe('decontamination never invents a color', () => {
  test.each(['chelsea.png', 'butterfly.jpg', 'chelsea.png (fur crop)'])("%s: every soft-edge color within the photo's own values nearby", async (label) => {
    const name = label.split(' ')[0];
    const photo = label.includes('crop')
      ? await sharp(readPhoto(name)).extract({ left: 0, top: 0, width: 260, height: 200 }).png().toBuffer()
      : readPhoto(name);
    const result = await cleanupImage(photo, { mode: 'transparent' }, context());
    const { outside, soft } = await inventedColors(photo, result.data, BOUND_REACH);
    console.log(`${label}: ${outside} of ${soft} soft-edge pixels outside the photo's colors within ${BOUND_REACH} px`);
    expect(soft).toBeGreaterThan(50);
    expect(outside).toBe(0);
  });
});

describe('cancellation', () => {
  test('a cleanup whose signal fires stops with CANCELLED: already aborted, and aborted while it runs', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await expect(cleanupImage(readPhoto('apple.jpg'), { mode: 'transparent' }, { ...context(), signal: aborted.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    const running = new AbortController();
    const job = cleanupImage(readPhoto('apple.jpg'), { mode: 'transparent' }, { ...context(), signal: running.signal });
    setTimeout(() => running.abort(), 5);
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    // The pool is not left busy: the next job runs.
    const after = await cleanupImage(readPhoto('apple.jpg'), { mode: 'transparent' }, context());
    expect(after.metadata.width).toBeGreaterThan(0);
  });
});
