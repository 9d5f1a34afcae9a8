import { straightBarPixels } from '../../src/engine/frame/straightBars';
import { binaryMap } from '../../testkit/images';

const W = 200;
const H = 160;

/** A box-local map with the pixels `inside` marks set. */
const mapOf = (inside: (x: number, y: number) => boolean) => binaryMap(W, H, inside);

const count = (map: Uint8Array, where: (x: number, y: number) => boolean) => {
  let n = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (map[y * W + x] && where(x, y)) n++;
  return n;
};

describe('straight bars at any angle near the axes', () => {
  test('a bar turned 10 degrees is found along its length; a blob of the same colour beside it is not', () => {
    const tan = Math.tan((10 * Math.PI) / 180);
    const onBar = (x: number, y: number) => Math.abs(y - (30 + x * tan)) < 3 && x >= 10 && x < 190;
    const onBlob = (x: number, y: number) => (x - 100) ** 2 + (y - 120) ** 2 < 30 ** 2;
    const map = mapOf((x, y) => onBar(x, y) || onBlob(x, y));
    const bars = straightBarPixels(map, W, H);
    expect(count(bars, onBar)).toBeGreaterThan(0.9 * count(map, onBar));
    expect(count(bars, onBlob)).toBe(0);
  });

  test('vertical bars of a railing and a post are bars; short specks and a wide panel are not', () => {
    const baluster = (x: number, y: number) => y >= 10 && y < 150 && x >= 20 && (x - 20) % 24 < 3;
    const speck = (x: number, y: number) => y >= 60 && y < 70 && x >= 14 && x < 16;
    const panel = (x: number, y: number) => x >= 150 && x < 200 && y >= 0 && y < 160;
    const map = mapOf((x, y) => (x < 140 && baluster(x, y)) || speck(x, y) || panel(x, y));
    const bars = straightBarPixels(map, W, H);
    expect(count(bars, (x, y) => x < 140 && baluster(x, y))).toBeGreaterThan(0.9 * count(map, (x, y) => x < 140 && baluster(x, y)));
    expect(count(bars, speck)).toBe(0);
    expect(count(bars, panel)).toBe(0);
  });
});
