import { THIN_KINDS, thinScene } from '../../testkit/thinScenes';

/** bench:thin's ground truth: what its recall counts must be there, and only on the object. */
describe('thin-part scenes', () => {
  test.each(THIN_KINDS)('%s: thin pixels lie on the object and are thin; the object leaves most of the photo clear', async (kind) => {
    const scene = await thinScene(kind, 7, 480, 360);
    let thin = 0;
    let thinOpaque = 0;
    let object = 0;
    for (let i = 0; i < scene.alpha.length; i++) {
      if (scene.alpha[i] >= 128) object++;
      if (!scene.thin[i]) continue;
      thin++;
      if (scene.alpha[i] >= 128) thinOpaque++;
    }
    expect(thin).toBeGreaterThan(20);
    expect(thinOpaque).toBe(thin);
    // Thin: most thin pixels have a clear neighbour within 3 px along an axis (not where a stalk meets its mirror).
    const { width } = scene;
    let nearClear = 0;
    for (let i = 0; i < scene.thin.length; i++) {
      if (!scene.thin[i]) continue;
      const clear = (d: number) => scene.alpha[i + d] < 128;
      if ([1, 2, 3].some((k) => clear(k) || clear(-k) || clear(k * width) || clear(-k * width))) nearClear++;
    }
    expect(nearClear / thin).toBeGreaterThan(0.75);
    expect(object).toBeLessThan(0.6 * scene.alpha.length);
  });

  test('the same seed draws the same scene', async () => {
    const [a, b] = [await thinScene('stem', 3, 320, 240), await thinScene('stem', 3, 320, 240)];
    expect(Buffer.compare(a.image, b.image)).toBe(0);
    expect(Buffer.compare(Buffer.from(a.alpha), Buffer.from(b.alpha))).toBe(0);
  });
});
