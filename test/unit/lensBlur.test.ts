import sharp from 'sharp';

import { lensBlur } from '../../src/engine/compose/cutout';
import { cleanupImage } from '../../src/engine';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

/** A dark 101 x 101 RGBA picture (all of it background) with a small bright light in the middle. */
function pointOfLight() {
  const data = Buffer.alloc(101 * 101 * 4);
  for (let i = 0; i < 101 * 101; i++) data.fill(20, i * 4, i * 4 + 3).writeUInt8(255, i * 4 + 3);
  for (let y = 49; y <= 51; y++) for (let x = 49; x <= 51; x++) data.fill(255, (y * 101 + x) * 4, (y * 101 + x) * 4 + 3);
  return { data, width: 101, height: 101, channels: 4 as const };
}

describe('Blur Type: lens (bokeh)', () => {
  test('a light becomes a flat, bright disc of about twice the sigma, where the Gaussian makes a dim bell', async () => {
    const light = pointOfLight();
    const lens = await lensBlur(light, 5);
    const gaussian = await sharp(light.data, { raw: { width: 101, height: 101, channels: 4 } })
      .blur(5)
      .removeAlpha()
      .raw()
      .toBuffer();
    const at = (rgb: Buffer, dx: number) => rgb[(50 * 101 + 50 + dx) * 3] - 20;
    // Flat: half-way out the disc is nearly as bright as its centre; the bell has fallen off.
    expect(at(lens, 5) / at(lens, 0)).toBeGreaterThan(0.8);
    expect(at(gaussian, 5) / at(gaussian, 0)).toBeLessThan(0.7);
    // Edged: nothing past the disc's rim (radius 10).
    expect(at(lens, 14)).toBeLessThan(3);
    // Highlights bloom: the disc is far brighter than the same light spread by the Gaussian.
    expect(at(lens, 5)).toBeGreaterThan(3 * at(gaussian, 5));
  });

  test("Background Cleanup's Blur mode takes it, and says so in the result's settings", async () => {
    const result = await cleanupImage(readPhoto('apple.jpg'), { mode: 'blur', blurType: 'lens', blurSigma: 6 });
    expect(result.metadata.settings).toMatchObject({ blurSigma: 6, blurType: 'lens' });
    const gaussian = await cleanupImage(readPhoto('apple.jpg'), { mode: 'blur', blurSigma: 6 });
    expect(gaussian.metadata.settings.blurType).toBe('gaussian');
    expect(result.data.equals(gaussian.data)).toBe(false);
  });
});
