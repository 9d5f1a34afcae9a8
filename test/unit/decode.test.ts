import sharp from 'sharp';

import { decodeImage } from '../../src/engine/image/decode';
import { encodeImage } from '../../src/engine/image/encode';
import { orientedJpeg, pngHeaderOnly, quadrants } from '../../testkit/images';
import { readPhoto } from '../../testkit/fixtures';

const expectCode = async (promise: Promise<unknown>, code: string, message: RegExp) => {
  await expect(promise).rejects.toMatchObject({ name: 'EngineError', code, message: expect.stringMatching(message) });
};

describe('decodeImage: bad input gets a clear error', () => {
  test('empty file', () => expectCode(decodeImage(Buffer.alloc(0)), 'INPUT_EMPTY', /empty/));
  test('truncated JPEG', async () => {
    const jpeg = readPhoto('apple.jpg');
    await expectCode(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 3))), 'INPUT_CORRUPT', /corrupt or truncated/);
  });
  test('a text file named .jpg', () => expectCode(decodeImage(Buffer.from('hello, I am not a photo\n')), 'INPUT_UNSUPPORTED', /unsupported|unrecognised/));
  test('a 1x1 image', async () => {
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expectCode(decodeImage(tiny), 'INPUT_TOO_SMALL', /1x1 px, too small/);
  });
  test('a 30000x30000 PNG bomb is refused from its header, before decoding', async () => {
    const rssBefore = process.memoryUsage().rss;
    await expectCode(decodeImage(pngHeaderOnly(30000, 30000)), 'INPUT_TOO_LARGE', /30000x30000 \(900\.0 MP\), over the limit of 100\.0 MP/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });
  test('the pixel limit is configurable', async () => {
    await expectCode(decodeImage(readPhoto('apple.jpg'), { maxPixels: 100_000 }), 'INPUT_TOO_LARGE', /over the limit of 0\.1 MP/);
  });
  test('an SVG is refused as a vector document', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="red"/></svg>');
    await expectCode(decodeImage(svg), 'INPUT_UNSUPPORTED', /SVG is not a supported photo format/);
  });
});

describe('decodeImage: every common photo becomes upright 8-bit sRGB', () => {
  test('CMYK JPEG', async () => {
    const cmyk = await sharp(readPhoto('apple.jpg')).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const { image, source } = await decodeImage(cmyk);
    expect(source.space).toBe('cmyk');
    expect(image.channels).toBe(3);
    const reference = await decodeImage(readPhoto('apple.jpg'));
    let diff = 0;
    for (let i = 0; i < image.data.length; i++) diff += Math.abs(image.data[i] - reference.image.data[i]);
    expect(diff / image.data.length).toBeLessThan(20); // colour-managed round trip, not bit-exact
  });
  test('16-bit PNG', async () => {
    const deep = await sharp(readPhoto('apple.jpg')).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const { image, source } = await decodeImage(deep);
    expect(source.bitDepth).toBe('ushort');
    expect(image.channels).toBe(3);
    expect(image.data.length).toBe(image.width * image.height * 3);
    expect(Math.max(...image.data.subarray(0, 3000))).toBeLessThanOrEqual(255);
  });
  test('grayscale', async () => {
    const grey = await sharp(readPhoto('apple.jpg')).grayscale().png().toBuffer();
    const { image } = await decodeImage(grey);
    expect(image.channels).toBe(3);
    expect(image.data[0]).toBe(image.data[1]);
  });
  test('palette PNG', async () => {
    const palette = await sharp(readPhoto('apple.jpg')).png({ palette: true, colors: 64 }).toBuffer();
    const { image } = await decodeImage(palette);
    expect(image.channels).toBe(3);
  });
  test('RGBA input keeps its alpha', async () => {
    const rgba = await sharp(readPhoto('apple.jpg')).ensureAlpha(0.5).png().toBuffer();
    const { image, source } = await decodeImage(rgba);
    expect(source.hadAlpha).toBe(true);
    expect(image.channels).toBe(4);
    expect(Math.abs(image.data[3] - 128)).toBeLessThanOrEqual(1);
  });
  test('animated GIF: the first frame', async () => {
    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0000ff' } })
      .png()
      .toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    const { image, source } = await decodeImage(gif);
    expect(source.pages).toBe(2);
    expect([image.width, image.height]).toEqual([40, 30]);
    expect(image.data[0]).toBeGreaterThan(200);
    expect(image.data[2]).toBeLessThan(50);
  });
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i is applied', async (orientation) => {
    const width = 64;
    const height = 40;
    const upright = quadrants(width, height);
    const jpeg = await orientedJpeg(upright, width, height, orientation);
    const { image, source } = await decodeImage(jpeg);
    expect(source.orientation).toBe(orientation);
    expect([image.width, image.height]).toEqual([width, height]);
    let diff = 0;
    for (let i = 0; i < upright.length; i++) diff += Math.abs(image.data[i] - upright[i]);
    expect(diff / upright.length).toBeLessThan(6);
  });
});

describe('encodeImage', () => {
  const rgba = { data: Buffer.alloc(32 * 32 * 4, 128), width: 32, height: 32, channels: 4 as const };
  test.each(['png', 'webp'] as const)('%s keeps alpha', async (format) => {
    const out = await encodeImage(rgba, { format });
    expect((await sharp(out).metadata()).hasAlpha).toBe(true);
  });
  test('JPEG refuses transparency with a clear message', async () => {
    await expect(encodeImage(rgba, { format: 'jpeg' })).rejects.toThrow(/JPEG cannot store transparency/);
  });
  test('quality is validated', async () => {
    await expect(encodeImage({ ...rgba, channels: 3, data: Buffer.alloc(32 * 32 * 3) }, { format: 'jpeg', quality: 0 })).rejects.toThrow(
      /Quality must be a whole number from 1 to 100/,
    );
  });
  test("a PNG is black under alpha 0 (given as a mask or as the fourth channel); soft and opaque pixels keep their colours, the caller's image is untouched; the file is smaller", async () => {
    const small = await sharp(readPhoto('coffee.png')).resize(160, 120).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const photo = { data: small.data, width: 160, height: 120, channels: 3 as const };
    const { width, height } = photo;
    const alpha = { data: Buffer.alloc(width * height), width, height };
    for (let i = 0; i < alpha.data.length; i++) alpha.data[i] = [0, 0, 90, 255][(i % width) % 4];
    const before = Buffer.from(photo.data);
    const decoded = async (png: Buffer) => (await sharp(png).raw().toBuffer({ resolveWithObject: true })).data;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < alpha.data.length; i++) {
      photo.data.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = alpha.data[i];
    }
    const fromMask = await encodeImage(photo, { format: 'png' }, alpha);
    const fromRgba = await encodeImage({ data: rgba, width, height, channels: 4 }, { format: 'png' });
    for (const out of [await decoded(fromMask), await decoded(fromRgba)]) {
      for (let i = 0; i < alpha.data.length; i++) {
        const a = alpha.data[i];
        expect(out[i * 4 + 3]).toBe(a);
        for (let c = 0; c < 3; c++) if (out[i * 4 + c] !== (a === 0 ? 0 : photo.data[i * 3 + c])) throw new Error(`pixel ${i} channel ${c}: ${out[i * 4 + c]}`);
      }
    }
    expect(photo.data.equals(before)).toBe(true);
    const kept = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer();
    expect(fromRgba.length).toBeLessThan(kept.length);
  });
  test('JPEG quality changes the size', async () => {
    const photo = await decodeImage(readPhoto('coffee.png'));
    const low = await encodeImage(photo.image, { format: 'jpeg', quality: 30 });
    const high = await encodeImage(photo.image, { format: 'jpeg', quality: 95 });
    expect(high.length).toBeGreaterThan(low.length * 1.5);
  });
});

describe('decodeImage in a batch', () => {
  test('truncated JPEGs decoded at once each get their own reason, never "Unknown error"; good photos are unaffected', async () => {
    const photo = readPhoto('apple.jpg');
    const truncated = [2000, 20000, 40000].map((bytes) => photo.subarray(0, bytes));
    const good = readPhoto('coffee.png');
    const messages: string[] = [];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        [...truncated, good, ...truncated].map((input) =>
          decodeImage(input).then(
            () => 'ok',
            (error: Error) => error.message,
          ),
        ),
      );
      expect(results[3]).toBe('ok');
      messages.push(...results.filter((result) => result !== 'ok'));
    }
    expect(messages).toHaveLength(60);
    expect(messages.filter((message) => !/^Image data is corrupt or truncated: VipsJpeg: premature end of JPEG image/.test(message))).toEqual([]);
  });
});
