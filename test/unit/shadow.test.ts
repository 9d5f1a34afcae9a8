import sharp from 'sharp';

import { parsePresetList, replaceBackground } from '../../src/engine';
import { contactShadow, dropShadow } from '../../src/engine/compose/shadow';
import { adjustedShadows, SHADOW_LOOKS, shadowSettings } from '../../src/engine/presets';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir } from '../../testkit/fixtures';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

/** A 40 x 80 px subject standing in a 200 x 200 output, its box 80..119 x 60..139. */
function standing() {
  const data = Buffer.alloc(200 * 200);
  for (let y = 60; y < 140; y++) for (let x = 80; x < 120; x++) data[y * 200 + x] = 255;
  return { data, width: 200, height: 200 };
}

/** Weighted centroid and spread (root mean square distance from it) of a mask. */
function moments(mask: { data: Buffer; width: number }) {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i];
    sum += v;
    sx += v * (i % mask.width);
    sy += v * Math.floor(i / mask.width);
  }
  const cx = sx / sum;
  const cy = sy / sum;
  let spread = 0;
  for (let i = 0; i < mask.data.length; i++) spread += mask.data[i] * ((i % mask.width) - cx) ** 2;
  return { cx, cy, spread: Math.sqrt(spread / sum) };
}

const drop = { opacity: 0.3, blur: 0, offsetX: 0, offsetY: 0, distance: 0.25 };

describe('shadow direction, distance, softness and intensity (measured on the rendered shadow)', () => {
  test('the drop shadow falls where the angle points, as far as the distance says (a share of the subject height)', async () => {
    const subject = standing();
    for (const [angle, dx, dy] of [
      [0, 20, 0],
      [90, 0, 20],
      [180, -20, 0],
      [270, 0, -20],
      [45, 14, 14],
    ]) {
      const { cx, cy } = moments((await dropShadow(subject, { ...drop, angle })).mask);
      expect(cx - 99.5).toBeCloseTo(dx, 0);
      expect(cy - 99.5).toBeCloseTo(dy, 0);
    }
  });

  test('softness widens the shadow, intensity is its opacity; the fine controls override a look', async () => {
    const subject = standing();
    const sharpShadow = moments((await dropShadow(subject, { ...drop, angle: 90 })).mask).spread;
    const softShadow = moments((await dropShadow(subject, { ...drop, angle: 90, blur: 12 })).mask).spread;
    expect(softShadow).toBeGreaterThan(sharpShadow + 3);
    const adjusted = adjustedShadows(shadowSettings('hard', {}), { shadowAngle: 180, shadowDistance: 10, shadowSoftness: 7, shadowIntensity: 0.5 });
    expect(adjusted.drop).toMatchObject({ angle: 180, distance: 0.1, blur: 7, opacity: 0.5 });
    expect(adjusted.contact).toMatchObject({ blur: 7, opacity: 0.5 });
    expect((await dropShadow(subject, adjusted.drop!)).opacity).toBe(0.5);
    // Angle alone keeps the look's distance; distance alone keeps its angle.
    expect(adjustedShadows(SHADOW_LOOKS.hard, { shadowAngle: 0 }).drop).toMatchObject({ angle: 0, distance: 0.05 });
    expect(adjustedShadows(SHADOW_LOOKS.hard, { shadowDistance: 20 }).drop).toMatchObject({ angle: 45, distance: 0.2 });
  });

  test('the looks: soft is wider than hard; floating lies below the subject with a gap', async () => {
    const subject = standing();
    const soft = moments((await contactShadow(subject, SHADOW_LOOKS.soft.contact!))!.mask);
    const hard = moments((await contactShadow(subject, SHADOW_LOOKS.hard.contact!))!.mask);
    expect(soft.spread).toBeGreaterThan(hard.spread);
    const floating = moments((await contactShadow(subject, SHADOW_LOOKS.floating.contact!))!.mask);
    // The subject's base is row 139; 8 % of its 80 rows below: about row 145.
    expect(floating.cy).toBeGreaterThan(143);
    expect(hard.cy).toBeLessThan(141);
    expect(SHADOW_LOOKS.floating.drop).toBeUndefined();
  });

  test('a brand preset names a look, or sets angle, distance and gap itself', () => {
    const preset = (composite: object) =>
      parsePresetList(
        JSON.stringify({ name: 'acme', composite, promptTypes: { a: { prompt: 'p', backdrop: { type: 'solid', color: '#ffffff' } } } }),
        'test',
      )[0];
    expect(preset({ shadow: 'floating' }).composite.shadow).toEqual(SHADOW_LOOKS.floating);
    expect(preset({ shadow: { drop: { angle: 135, distance: 0.1 } } }).composite.shadow.drop).toMatchObject({ angle: 135, distance: 0.1 });
    expect(() => preset({ shadow: 'dramatic' })).toThrow(/shadow/);
  });

  test('Background Replace: the hard look with Shadow Angle 0 darkens the right of the product, 180 the left', async () => {
    const cutout = await sharp({ create: { width: 160, height: 120, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: { create: { width: 40, height: 60, channels: 4, background: { r: 60, g: 60, b: 200, alpha: 1 } } }, left: 60, top: 30 }])
      .png()
      .toBuffer();
    const sideDarkness = async (shadowAngle: number) => {
      const result = await replaceBackground(cutout, {
        inputIs: 'cutout',
        backgroundColor: '#ffffff',
        shadow: 'hard',
        shadowAngle,
        shadowDistance: 20,
        format: 'png',
      });
      const { data, info } = await sharp(result.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const strip = (x0: number) => {
        let dark = 0;
        for (let y = 35; y < 85; y++) for (let x = x0; x < x0 + 10; x++) dark += 255 - data[(y * info.width + x) * 3];
        return dark;
      };
      return { left: strip(48), right: strip(102) };
    };
    const towardRight = await sideDarkness(0);
    const towardLeft = await sideDarkness(180);
    expect(towardRight.right).toBeGreaterThan(5 * Math.max(1, towardRight.left));
    expect(towardLeft.left).toBeGreaterThan(5 * Math.max(1, towardLeft.right));
  });
});
