import { guidedUpsample } from '../../src/engine/matte/guidedUpsample';

const W = 120;
const H = 90;

/** An RGB photo painted per pixel. */
function photo(color: (x: number, y: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set(color(x, y), (y * W + x) * 3);
  return data;
}

/** A matte that depends on x only: `profile` maps the distance from `centre` to alpha (0 beyond its end). */
function columnMatte(width: number, height: number, centre: number, profile: number[]): Uint8Array {
  const matte = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) matte[y * width + x] = profile[Math.abs(x - centre)] ?? 0;
  return matte;
}

/** How an upscaled model matte draws a part about one model pixel wide: its peak under half, spread over 5 px. */
const FAINT_LINE = [150, 80, 20];

const OPTIONS = { radius: 3, epsilon: 1e-4 };
const at = (values: Uint8Array, x: number, y: number) => values[y * W + x];

describe('guidedUpsample: the matte fitted to the photo edges', () => {
  test('a one-pixel spoke the matte spreads over five comes back narrow and opaque, the wall beside it clear', () => {
    const image = photo((x) => (x === 60 ? [40, 40, 45] : [225, 220, 210]));
    const matte = columnMatte(W, H, 60, FAINT_LINE);
    const out = guidedUpsample(matte, image, W, H, 3, OPTIONS);
    for (const y of [10, 45, 80]) {
      expect(at(out, 60, y)).toBeGreaterThanOrEqual(140);
      expect(at(out, 59, y)).toBeLessThan(40);
      expect(at(out, 61, y)).toBeLessThan(40);
    }
  });

  test('the gap between two thin bars, unsure in the matte, goes the way of the background beside the bars', () => {
    const bar = (x: number) => x === 52 || x === 53 || x === 58 || x === 59;
    const image = photo((x) => (bar(x) ? [90, 60, 40] : [120, 170, 220]));
    // The model's spill: bars opaque, the gap half taken, the wall beside them a little.
    const matte = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 46; x < 66; x++) matte[y * W + x] = bar(x) ? 255 : x > 53 && x < 58 ? 160 : 40;
    const out = guidedUpsample(matte, image, W, H, 3, { ...OPTIONS, radius: 4 });
    expect(at(out, 55, 45)).toBeLessThan(128);
    expect(at(out, 52, 45)).toBeGreaterThanOrEqual(200);
    expect(at(out, 59, 45)).toBeGreaterThanOrEqual(200);
  });

  test('where the photo has no edge, the soft matte stays soft and in place (fur over a like-coloured wall)', () => {
    const image = photo(() => [150, 140, 130]);
    const ramp = Array.from({ length: W }, (_, x) => Math.round(255 * Math.min(1, Math.max(0, (70 - x) / 20))));
    const matte = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) matte.set(ramp, y * W);
    const out = guidedUpsample(matte, image, W, H, 3, OPTIONS);
    // A straight ramp is its own local mean: it comes back as it was, soft and in place.
    for (let x = 55; x <= 65; x++) expect(Math.abs(at(out, x, 45) - at(matte, x, 45))).toBeLessThanOrEqual(2);
  });

  test('regions flat in the matte keep their exact values, whatever the photo shows there', () => {
    const image = photo((x, y) => [(x * 7) % 256, (y * 13) % 256, ((x + y) * 5) % 256]);
    const matte = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < 40; x++) matte[y * W + x] = 255;
    const out = guidedUpsample(matte, image, W, H, 3, OPTIONS);
    for (let y = 0; y < H; y++) {
      expect(at(out, 10, y)).toBe(255);
      expect(at(out, 100, y)).toBe(0);
    }
  });

  test('a photo above the work size is fitted on a shrunken grid and still follows the full-size edge', () => {
    const width = 4200;
    const height = 40;
    const image = new Uint8Array(width * height * 3).fill(230);
    for (let y = 0; y < height; y++) image.fill(30, (y * width + 2100) * 3, (y * width + 2100) * 3 + 3);
    const matte = columnMatte(width, height, 2100, FAINT_LINE);
    const out = guidedUpsample(matte, image, width, height, 3, { radius: 8, epsilon: 1e-4 });
    expect(out[20 * width + 2100]).toBeGreaterThanOrEqual(128);
    expect(out[20 * width + 2098]).toBeLessThan(20);
  });
});
