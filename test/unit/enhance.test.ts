import sharp from 'sharp';

import { ENHANCE_MAX_DELTA, enhanceForeground } from '../../src/engine/matte/enhance';
import { readPhoto } from '../../testkit/fixtures';

describe('enhanceFg', () => {
  test('mild by construction: no channel moves more than the bound, flat grey stays, only the subject changes', async () => {
    const { data, info } = await sharp(readPhoto('coffee.png')).removeAlpha().resize(320, 240, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    const image = { data, width: info.width, height: info.height, channels: 3 as const };
    const alpha = { data: Buffer.alloc(info.width * info.height), width: info.width, height: info.height };
    for (let y = 60; y < 180; y++) alpha.data.fill(255, y * info.width + 80, y * info.width + 240);
    const enhanced = await enhanceForeground(image, alpha);
    let changed = 0;
    let changedOutside = 0;
    let largest = 0;
    for (let i = 0; i < data.length; i++) {
      const delta = enhanced.data[i] - data[i];
      largest = Math.max(largest, Math.abs(delta));
      if (delta !== 0) changed++;
      if (delta !== 0 && alpha.data[Math.floor(i / 3)] === 0) changedOutside++;
    }
    expect(largest).toBeLessThanOrEqual(ENHANCE_MAX_DELTA);
    expect(changed).toBeGreaterThan(1000);
    expect(changedOutside).toBe(0);

    // Sharpening is a Laplacian and saturation keeps grey: a flat grey image is left as it is.
    const grey = { data: Buffer.alloc(30 * 20 * 3, 128), width: 30, height: 20, channels: 3 as const };
    expect((await enhanceForeground(grey)).data.equals(grey.data)).toBe(true);

    // Near white, a sharpened edge clips at 255 instead of wrapping round.
    const edge = { data: Buffer.alloc(8 * 8 * 3, 250), width: 8, height: 8, channels: 3 as const };
    for (let y = 0; y < 8; y++) for (let x = 0; x < 4; x++) edge.data.fill(100, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const out = await enhanceForeground(edge);
    expect(out.data[(3 * 8 + 4) * 3]).toBe(255);
    expect(out.data[(3 * 8 + 3) * 3]).toBe(100 - ENHANCE_MAX_DELTA);
  });
});
