import { checkLayoutOptions, computeLayout, placeSubject } from '../../src/engine/compose/placement';
import { cleanupImage, replaceBackground } from '../../src/engine';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir } from '../../testkit/fixtures';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

/** A subject 400 x 200 px somewhere in an 800 x 600 photo. */
const subject = { x: 120, y: 300, width: 400, height: 200 };

describe('layout: margins per side, subject scale, alignment, maximum size (exact to the pixel)', () => {
  test('padding per side as CSS writes it: four values, two values, pixels and percent mixed', () => {
    // 1000 x 1000; top 100, right 50, bottom 200, left 150: inside 800 x 700; the subject fits 800 x 400.
    expect(computeLayout(subject, 800, 600, { outputSize: '1000x1000', padding: '100 50 200 150', anchor: 'bottom' }, 1e8).placed).toEqual({
      x: 150,
      y: 400,
      width: 800,
      height: 400,
    });
    // Two values: 10% top and bottom (100 px), 40 px left and right: inside 920 x 800; the subject 920 x 460, on the floor.
    expect(computeLayout(subject, 800, 600, { outputSize: '1000x1000', padding: '10% 40', anchor: 'bottom' }, 1e8).placed).toEqual({
      x: 40,
      y: 440,
      width: 920,
      height: 460,
    });
    // "10 %" is one value, as before.
    expect(computeLayout(subject, 800, 600, { outputSize: '1000x1000', padding: '10 %', anchor: 'top' }, 1e8).placed).toEqual({
      x: 100,
      y: 100,
      width: 800,
      height: 400,
    });
  });

  test('subject scale and the nine places of the alignment', () => {
    const base = { outputSize: '1000x800', padding: '100' } as const;
    // Inside 800 x 600; at 50 % the subject is 400 x 200.
    const at = (horizontalAlign: 'left' | 'center' | 'right', anchor: 'top' | 'center' | 'bottom') =>
      computeLayout(subject, 800, 600, { ...base, subjectScale: 50, horizontalAlign, anchor }, 1e8).placed;
    expect(at('left', 'top')).toEqual({ x: 100, y: 100, width: 400, height: 200 });
    expect(at('center', 'center')).toEqual({ x: 300, y: 300, width: 400, height: 200 });
    expect(at('right', 'bottom')).toEqual({ x: 500, y: 500, width: 400, height: 200 });
    expect(at('right', 'top')).toEqual({ x: 500, y: 100, width: 400, height: 200 });
    expect(at('left', 'bottom')).toEqual({ x: 100, y: 500, width: 400, height: 200 });
  });

  test('maximum width and height scale the output down with its ratio; alone they keep the subject where it was in the photo', () => {
    const capped = computeLayout(subject, 4000, 3000, { maxWidth: 2000 }, 1e8);
    expect([capped.width, capped.height]).toEqual([2000, 1500]);
    expect(capped.relayout).toBe(true);
    expect(capped.placed).toEqual({ x: 60, y: 150, width: 200, height: 100 });
    expect(computeLayout(subject, 4000, 3000, { maxWidth: 2000, padding: '0' }, 1e8).placed).toEqual({ x: 0, y: 250, width: 2000, height: 1000 });
    const both = computeLayout(subject, 800, 600, { outputSize: '3000x1000', maxWidth: 1500, maxHeight: 400 }, 1e8);
    expect([both.width, both.height]).toEqual([1200, 400]);
    expect(computeLayout(subject, 800, 600, { maxWidth: 2000 }, 1e8)).toMatchObject({ width: 800, height: 600 });
  });

  test('impossible layouts are refused before any pixel work, naming the option', () => {
    expect(() => checkLayoutOptions({ padding: '10 20 30' }, 1e8)).toThrow(/one, two or four values/);
    expect(() => checkLayoutOptions({ outputSize: '1000x1000', padding: '10% 60%' }, 1e8)).toThrow(/Padding "10% 60%" leaves no room/);
    expect(() => checkLayoutOptions({ subjectScale: 0 }, 1e8)).toThrow(/Subject Scale/);
    expect(() => checkLayoutOptions({ maxWidth: 8 }, 1e8)).toThrow(/Max Width must be a whole number of pixels from 16/);
    expect(() => checkLayoutOptions({ outputSize: '4000x4000', maxWidth: 1000 }, 2e6)).not.toThrow();
  });

  test("the placed subject's pixels fill exactly the layout's box", async () => {
    const layout = computeLayout(
      { x: 2, y: 2, width: 4, height: 4 },
      8,
      8,
      { outputSize: '40x30', padding: '5 6 7 8', subjectScale: 50, horizontalAlign: 'right', anchor: 'top' },
      1e8,
    );
    // Inside 26 x 18 (left 8, right 6, top 5, bottom 7); 50 % of 4.5x is 9 x 9; right: 8 + 26 - 9.
    expect(layout.placed).toEqual({ x: 25, y: 5, width: 9, height: 9 });
    const alpha = { data: Buffer.alloc(64), width: 8, height: 8, channels: 1 as const };
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) alpha.data[y * 8 + x] = 255;
    const foreground = { data: Buffer.alloc(8 * 8 * 3, 200), width: 8, height: 8, channels: 3 as const };
    const placed = await placeSubject(foreground, alpha, { x: 2, y: 2, width: 4, height: 4 }, layout);
    let x0 = 40,
      y0 = 30,
      x1 = -1,
      y1 = -1;
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 40; x++)
        if (placed.alpha.data[y * 40 + x] > 0) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    expect({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }).toEqual(layout.placed);
  });

  test('Background Replace lays the subject out by these options and reports the box', async () => {
    const photo = Buffer.from(
      await (
        await import('sharp')
      )
        .default({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
        .composite([{ input: { create: { width: 20, height: 10, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 1 } } }, left: 10, top: 20 }])
        .png()
        .toBuffer(),
    );
    const result = await replaceBackground(photo, {
      outputSize: '200x100',
      padding: '10 20 30 40',
      horizontalAlign: 'left',
      anchor: 'top',
      subjectScale: 50,
      format: 'png',
      inputIs: 'cutout',
      featherEdges: false,
    });
    // Inside 140 x 60; the 20 x 10 cut-out fits 120 x 60, at 50 % 60 x 30, top left of the padding.
    expect(result.metadata.bbox).toEqual({ x: 40, y: 10, width: 60, height: 30 });
    expect([result.metadata.width, result.metadata.height]).toEqual([200, 100]);
  });

  test('Background Cleanup lays the cut-out out the same way (transparent and mask), and refuses Blur or Crop to Subject with a layout', async () => {
    const photo = await (
      await import('sharp')
    )
      .default({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: { create: { width: 20, height: 10, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 1 } } }, left: 10, top: 20 }])
      .png()
      .toBuffer();
    const layout = { outputSize: '200x100', padding: '10 20 30 40', horizontalAlign: 'left', anchor: 'top', subjectScale: 50, featherPx: 0 } as const;
    for (const mode of ['transparent', 'mask'] as const) {
      const result = await cleanupImage(photo, { ...layout, mode });
      expect(result.metadata.placed).toEqual({ x: 40, y: 10, width: 60, height: 30 });
      expect([result.metadata.width, result.metadata.height]).toEqual([200, 100]);
    }
    await expect(cleanupImage(photo, { ...layout, mode: 'blur' })).rejects.toThrow(/need Transparent, Color or Mask/);
    await expect(cleanupImage(photo, { ...layout, crop: true })).rejects.toThrow(/Crop to Subject and the layout options/);
    await expect(cleanupImage(photo, { padding: '10 20 30' })).rejects.toThrow(/one, two or four values/);
  });
});
