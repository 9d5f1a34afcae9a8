import sharp from 'sharp';

import { cutoutConfidence } from '../../src/engine/matte/confidence';
import { applySeeThrough, detectSeeThrough } from '../../src/engine/matte/seeThrough';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { extractSubject } from '../../src/engine/subject';
import { iou, modelCacheDir, photoPath, PHOTOS, readPhoto, referenceMask } from '../helpers/fixtures';
import { backgroundRegion, windowScene } from '../helpers/windowScene';

afterAll(() => closeWorkerPool());
const context = () => ({ modelCacheDir: modelCacheDir(), device: 'cpu' as const });
const plain = { featherPx: 0, decontaminate: false, enhanceFg: false };

async function backgrounds() {
  return Promise.all(PHOTOS.map(async (name) => ({ photo: photoPath(name), region: await backgroundRegion(photoPath(name), photoPath(name).replace('/photos/', '/reference-masks/').replace(/\.\w+$/, '.png')) })));
}

describe('see-through regions', () => {
  test('a frame whose panes were filled in by the matte: the panes open again', async () => {
    const bgs = await backgrounds();
    let before = 0;
    let after = 0;
    const seeds = [1, 2, 3, 4, 5, 6];
    for (const seed of seeds) {
      const scene = await windowScene(bgs[seed % bgs.length], seed);
      const rgb = await sharp(scene.image).removeAlpha().raw().toBuffer();
      // The failure the issue describes: a matte that covers the whole frame, panes included.
      let x0 = scene.width;
      let y0 = scene.height;
      let x1 = 0;
      let y1 = 0;
      scene.alpha.forEach((a, i) => {
        if (!a) return;
        const x = i % scene.width;
        const y = Math.floor(i / scene.width);
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      });
      const filled = Buffer.alloc(scene.width * scene.height);
      for (let y = y0; y <= y1; y++) filled.fill(255, y * scene.width + x0, y * scene.width + x1 + 1);
      const image = { data: rgb, width: scene.width, height: scene.height, channels: 3 as const };
      const matte = { data: filled, width: scene.width, height: scene.height };
      const found = await detectSeeThrough(image, matte);
      const opened = applySeeThrough(matte, image, found.map, 'gaps', { opacity: 0.15, tint: { r: 226, g: 234, b: 238 } });
      // Left filled (see-through off), the confidence score says why the cut-out is doubtful.
      const confidence = await cutoutConfidence(matte, { seeThroughShare: found.share });
      expect(confidence.score).toBeLessThan(0.5);
      expect(confidence.reasons.join()).toMatch(/background seen through/);
      const a = iou(filled, scene.alpha);
      const b = iou(opened.alpha.data, scene.alpha);
      before += a;
      after += b;
      console.log(`scene ${seed} (${scene.panes} panes): IoU ${a.toFixed(3)} -> ${b.toFixed(3)}, ${found.regions} regions opened`);
    }
    expect(after / seeds.length - before / seeds.length).toBeGreaterThan(0.6);
  });

  test('glass keeps the panes faintly opaque with the tint', async () => {
    const width = 120;
    const height = 100;
    const rgb = Buffer.alloc(width * height * 3, 40);
    for (let i = 0; i < width * height; i++) rgb[i * 3 + 1] = 160; // green-ish background everywhere
    const alpha = Buffer.alloc(width * height);
    for (let y = 20; y < 80; y++) {
      for (let x = 20; x < 100; x++) {
        alpha[y * width + x] = 255;
        const bar = x < 26 || x >= 94 || y < 26 || y >= 74;
        if (bar) rgb.fill(230, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    const image = { data: rgb, width, height, channels: 3 as const };
    const found = await detectSeeThrough(image, { data: alpha, width, height });
    expect(found.regions).toBe(1);
    const glazed = applySeeThrough({ data: alpha, width, height }, image, found.map, 'glass', { opacity: 0.2, tint: { r: 200, g: 210, b: 220 } });
    const centre = 50 * width + 60;
    expect(glazed.alpha.data[centre]).toBe(51);
    expect([...glazed.foreground.data.subarray(centre * 3, centre * 3 + 3)]).toEqual([200, 210, 220]);
    expect(glazed.alpha.data[22 * width + 60]).toBe(255);
  });

  test('plain product photos: gaps changes the mask by at most 0.02 IoU', async () => {
    for (const name of PHOTOS) {
      const off = await extractSubject(readPhoto(name), plain, context());
      const on = await extractSubject(readPhoto(name), { ...plain, seeThrough: 'gaps' }, context());
      const reference = await referenceMask(name);
      const drop = iou(off.alpha.data, reference) - iou(on.alpha.data, reference);
      console.log(`${name}: ${on.seeThrough.regions} regions, IoU change ${(-drop).toFixed(4)}`);
      expect(drop).toBeLessThanOrEqual(0.02);
      // With see-through off, the detector's finding feeds the confidence: nothing here.
      expect(off.confidence.features.seeThrough).toBeLessThan(0.02);
      expect(on.confidence.features.seeThrough).toBeUndefined();
    }
  });
});
