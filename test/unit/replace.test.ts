import sharp from 'sharp';

import { cleanupImage } from '../../src/engine/pipeline/cleanup';
import { deltaE, meanLab } from '../../src/engine/compose/colorMatch';
import { replaceBackground } from '../../src/engine/pipeline/replace';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

afterAll(() => closeWorkerPool());
const context = () => ({ config: { modelCacheDir: modelCacheDir(), device: 'cpu' as const } });
const exact = { matchColors: false, enhanceFg: false, featherEdges: false, seeThrough: 'off' as const };

async function rgbaOf(png: Buffer) {
  return sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
}

describe('Background Replace (studio engine)', () => {
  let cutout: Buffer;
  beforeAll(async () => {
    cutout = (await cleanupImage(readPhoto('coffee.png'), { mode: 'transparent' }, context())).data;
  });

  test('only a real cut-out keeps its alpha: a photo with a half-transparent edge is segmented; Input Is forces either', async () => {
    // A whole photo saved as PNG with a soft, half-transparent 2 px border: not a cut-out.
    const { data, info } = await sharp(readPhoto('apple.jpg')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) if (x < 2 || y < 2 || x >= info.width - 2 || y >= info.height - 2) data[(y * info.width + x) * 4 + 3] = 128;
    }
    const softEdged = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
      .png()
      .toBuffer();
    const photo = await replaceBackground(softEdged, { ...exact, format: 'png' }, context());
    expect(photo.metadata.matteSource).toBe('segmented');
    // The apple was found, not the whole picture kept as the subject.
    expect(photo.metadata.bbox.width * photo.metadata.bbox.height).toBeLessThan(0.9 * info.width * info.height);
    const forced = await replaceBackground(softEdged, { ...exact, format: 'png', inputIs: 'cutout' }, context());
    expect(forced.metadata.matteSource).toBe('input-alpha');
    expect(forced.metadata.bbox).toMatchObject({ width: info.width, height: info.height });
    const segmented = await replaceBackground(cutout, { ...exact, format: 'png', inputIs: 'photo' }, context());
    expect(segmented.metadata.matteSource).toBe('segmented');
    await expect(replaceBackground(readPhoto('apple.jpg'), { inputIs: 'cutout' }, context())).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/Input Is: Cut-Out, but the image has no alpha channel/),
    });
  });

  test('a cut-out input reuses its alpha (no segmentation) and the subject pixels stay exact in PNG', async () => {
    const result = await replaceBackground(cutout, { ...exact, promptType: 'garden', format: 'png' }, context());
    expect(result.metadata.matteSource).toBe('input-alpha');
    expect(result.metadata.timings.inferenceMs).toBe(0);
    const source = await rgbaOf(cutout);
    const { data } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true });
    let opaque = 0;
    for (let i = 0; i < source.info.width * source.info.height; i++) {
      if (source.data[i * 4 + 3] !== 255) continue;
      opaque++;
      for (let c = 0; c < 3; c++) expect(data[i * 3 + c]).toBe(source.data[i * 4 + c]);
    }
    expect(opaque).toBeGreaterThan(50_000);
  });

  test('JPEG at quality 95: the subject keeps a PSNR of at least 45 dB', async () => {
    const source = await rgbaOf(cutout);
    const subjectPsnr = (decoded: Buffer) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < source.info.width * source.info.height; i++) {
        if (source.data[i * 4 + 3] !== 255) continue;
        for (let c = 0; c < 3; c++) {
          const d = decoded[i * 3 + c] - source.data[i * 4 + c];
          sum += d * d;
          n++;
        }
      }
      return 10 * Math.log10((255 * 255) / (sum / n));
    };
    const result = await replaceBackground(cutout, { ...exact, format: 'jpeg', quality: 95 }, context());
    const ours = subjectPsnr(await sharp(result.data).raw().toBuffer());
    // For scale: the same lossless composite through libjpeg's standard (Annex K) table.
    const lossless = await replaceBackground(cutout, { ...exact, format: 'png' }, context());
    const standard = subjectPsnr(
      await sharp(await sharp(lossless.data).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer())
        .raw()
        .toBuffer(),
    );
    console.log(`subject PSNR after JPEG q95: ${ours.toFixed(2)} dB (standard quantisation table: ${standard.toFixed(2)} dB)`);
    expect(ours).toBeGreaterThanOrEqual(45);
  });

  test("colour matching moves the subject's mean within the preset's bound", async () => {
    const result = await replaceBackground(cutout, { ...exact, matchColors: true, promptType: 'garden', format: 'png' }, context());
    const source = await rgbaOf(cutout);
    const out = await sharp(result.data).raw().toBuffer();
    const alpha = { data: Buffer.alloc(source.info.width * source.info.height), width: source.info.width, height: source.info.height };
    const rgb = Buffer.alloc(alpha.data.length * 3);
    for (let i = 0; i < alpha.data.length; i++) {
      alpha.data[i] = source.data[i * 4 + 3] === 255 ? 255 : 0;
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = source.data[i * 4 + c];
    }
    const before = meanLab({ data: rgb, width: alpha.width, height: alpha.height, channels: 3 }, alpha);
    const after = meanLab({ data: out, width: alpha.width, height: alpha.height, channels: 3 }, alpha);
    const shift = deltaE(before, after);
    console.log(`color match shift ${shift.toFixed(2)} (reported ${result.metadata.colorShift}, bound 6)`);
    expect(shift).toBeGreaterThan(0.5);
    expect(shift).toBeLessThanOrEqual(6.1);
  });

  test('the contact shadow lies under the subject, touching its lowest row, never on it', async () => {
    const withShadow = await replaceBackground(cutout, { ...exact, shadow: 'contact', format: 'png', promptType: 'minimal' }, context());
    const without = await replaceBackground(cutout, { ...exact, shadow: 'none', format: 'png', promptType: 'minimal' }, context());
    const source = await rgbaOf(cutout);
    const a = await sharp(withShadow.data).raw().toBuffer();
    const b = await sharp(without.data).raw().toBuffer();
    const { width, height } = source.info;
    let lowest = -1;
    for (let y = height - 1; y >= 0 && lowest < 0; y--)
      for (let x = 0; x < width; x++)
        if (source.data[(y * width + x) * 4 + 3] >= 128) {
          lowest = y;
          break;
        }
    let darkenedOnLowestRow = 0;
    for (let i = 0; i < width * height; i++) {
      const changed = a[i * 3] !== b[i * 3] || a[i * 3 + 1] !== b[i * 3 + 1] || a[i * 3 + 2] !== b[i * 3 + 2];
      if (source.data[i * 4 + 3] === 255) expect(changed).toBe(false);
      if (changed && Math.floor(i / width) === lowest) darkenedOnLowestRow++;
    }
    expect(darkenedOnLowestRow).toBeGreaterThan(0);
  });

  test('bad input: an all-zero alpha, a broken backdrop, a bad size or padding', async () => {
    const empty = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } } })
      .png()
      .toBuffer();
    await expect(replaceBackground(empty, {}, context())).rejects.toMatchObject({ code: 'NO_SUBJECT' });
    await expect(replaceBackground(cutout, { backgroundImage: Buffer.from('not an image') }, context())).rejects.toThrow(/Background image: Not an image/);
    await expect(replaceBackground(cutout, { outputSize: '0x0' }, context())).rejects.toThrow(/each side must be 16 to 16384 px/);
    await expect(replaceBackground(cutout, { outputSize: '100000x100000' }, context())).rejects.toThrow(/each side must be 16 to 16384 px/);
    await expect(replaceBackground(cutout, { padding: '55%' }, context())).rejects.toThrow(/leaves no room/);
    await expect(replaceBackground(cutout, { engine: 'dalle' }, context())).rejects.toThrow(
      /Unknown background engine "dalle" \(available: studio, runway, sdxl\)/,
    );
  });

  test('layout, image backdrop and metadata: the sidecar block of the old background service', async () => {
    const backdrop = await sharp(readPhoto('butterfly.jpg')).jpeg().toBuffer();
    const result = await replaceBackground(cutout, { outputSize: '800x1000', padding: '8%', backgroundImage: backdrop, format: 'webp' }, context());
    expect(await sharp(result.data).metadata()).toMatchObject({ format: 'webp', width: 800, height: 1000 });
    expect(result.metadata).toMatchObject({
      mode: 'replace',
      engine: 'studio',
      backdrop: 'image (cover)',
      settings: { steps: 25, guidanceScale: 7.5, enhanceFg: true, matchColors: true, featherEdges: true },
      preset: 'vitrinealu',
      promptType: 'studio',
    });
    expect(result.metadata.bbox.y + result.metadata.bbox.height).toBe(1000 - 80);
    expect(result.metadata.prompt).toMatch(/studio/);
  });
});
