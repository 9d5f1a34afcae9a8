import { MAX_UNBACKED_PANELS, panelPixels, unbackedPanelShare } from '../../src/engine/frame/panels';
import { binaryMap } from '../../testkit/images';

const W = 200;
const H = 160;

/** A box-local map with the pixels `inside` marks set. */
const mapOf = (inside: (x: number, y: number) => boolean) => binaryMap(W, H, inside);

/** A window: a 12 px outer frame and a 10 px mullion, in a 200 x 160 box. */
const frame = (x: number, y: number) => x < 12 || y < 12 || x >= W - 12 || y >= H - 12 || Math.abs(x - 100) < 5;
/** A wide region of the finish's colour: a sweep lit to the frame's tone, or a kick plate. */
const panel = (x: number, y: number) => x >= 12 && x < 95 && y >= 12 && y < 120;

describe('panels: regions wider every way than a bar, and whether the model took them', () => {
  test('a frame of bars has no panel, whatever the model says', () => {
    expect(panelPixels(mapOf(frame), W, H).some(Boolean)).toBe(false);
    expect(unbackedPanelShare(mapOf(frame), W, H, () => false)).toBe(0);
  });

  test('a wide region the model calls background is an unbacked panel; the frame around it is not counted as panel', () => {
    const solid = mapOf((x, y) => frame(x, y) || panel(x, y));
    const share = unbackedPanelShare(solid, W, H, () => false);
    expect(share).toBeGreaterThan(MAX_UNBACKED_PANELS);
    // The right half of the frame (no panel there) stays out of the panel.
    const panels = panelPixels(solid, W, H);
    for (let y = 20; y < H - 20; y++) expect(panels[y * W + W - 6]).toBe(0);
  });

  test('the same region taken by the model (a kick plate) is backed', () => {
    const solid = mapOf((x, y) => frame(x, y) || panel(x, y));
    expect(unbackedPanelShare(solid, W, H, (k) => panel(k % W, Math.floor(k / W)))).toBe(0);
  });
});
