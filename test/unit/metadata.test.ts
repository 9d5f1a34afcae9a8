import exifReader from 'exif-reader';
import sharp from 'sharp';

import { cleanupImage, replaceBackground } from '../../src/engine';
import { carriedMetadata, embeddedMetadata, withoutPrivateXmp } from '../../src/engine/image/metadata';
import { decodeImage } from '../../src/engine/image/decode';
import { encodeImage } from '../../src/engine/image/encode';
import { closeWorkerPool } from '../../src/engine/runtime/pool';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

beforeAll(() => {
  process.env.BG_MODEL_CACHE_DIR = modelCacheDir();
  process.env.DEVICE = 'cpu';
});
afterAll(() => closeWorkerPool());

const XMP = [
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
  '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"',
  ' xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" exif:GPSLatitude="51,30.0N" aux:SerialNumber="123456">',
  '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">ACME 2026</rdf:li></rdf:Alt></dc:rights>',
  '<exif:GPSLongitude>0,7.5W</exif:GPSLongitude><aux:LensSerialNumber/></rdf:Description></rdf:RDF></x:xmpmeta>',
].join('');

/** A photo as a camera and Lightroom leave it: copyright, author, camera, date, DPI, and where it was taken. */
async function taggedPhoto(): Promise<Buffer> {
  return sharp(readPhoto('apple.jpg'))
    .withExif({
      IFD0: {
        Copyright: 'ACME 2026',
        Artist: 'Jo Photographer',
        ImageDescription: 'Red apple',
        Make: 'Canon',
        Model: 'EOS R5',
        DateTime: '2026:05:06 07:08:09',
      },
      IFD2: { BodySerialNumber: '0123456789' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
    })
    .withXmp(XMP)
    .withMetadata({ density: 300 })
    .jpeg()
    .toBuffer();
}

async function readBack(file: Buffer) {
  const meta = await sharp(file).metadata();
  const exif = meta.exif ? exifReader(meta.exif) : undefined;
  return { meta, exif, xmp: meta.xmp?.toString('utf8') };
}

describe('colour profile and metadata of the results', () => {
  test('Keep (the default): copyright, author, description, camera, date and DPI in PNG, JPEG and WebP; GPS and serial numbers gone; tagged sRGB', async () => {
    const photo = await taggedPhoto();
    const embedded = embeddedMetadata(await sharp(photo).metadata());
    const pixels = { data: Buffer.alloc(32 * 32 * 3, 128), width: 32, height: 32, channels: 3 as const };
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const { meta, exif, xmp } = await readBack(await encodeImage(pixels, { format, metadata: carriedMetadata(embedded, 'keep') }));
      expect(exif?.Image).toMatchObject({ Copyright: 'ACME 2026', Artist: 'Jo Photographer', ImageDescription: 'Red apple', Make: 'Canon', Model: 'EOS R5' });
      expect(exif?.Image?.DateTime).toEqual(new Date('2026-05-06T07:08:09Z'));
      expect(exif?.Photo?.ColorSpace).toBe(1);
      expect(exif?.Photo?.BodySerialNumber).toBeUndefined();
      expect(exif?.GPSInfo).toBeUndefined();
      expect(xmp).toContain('ACME 2026');
      expect(xmp).not.toMatch(/GPS|SerialNumber/);
      expect(meta.icc?.toString('latin1').replace(/\0/g, '')).toContain('sRGB');
      if (format !== 'webp') expect(meta.density).toBe(300);
    }
  });

  test('Copyright Only keeps copyright and author; Strip keeps nothing but the profile; a mask carries nothing', async () => {
    const photo = await taggedPhoto();
    const copyright = await readBack((await cleanupImage(photo, { mode: 'transparent', metadata: 'copyright' })).data);
    expect(copyright.exif?.Image).toMatchObject({ Copyright: 'ACME 2026', Artist: 'Jo Photographer' });
    expect(copyright.exif?.Image?.Make).toBeUndefined();
    expect(copyright.exif?.Image?.ImageDescription).toBeUndefined();
    expect(copyright.xmp).toBeUndefined();
    expect(copyright.meta.density).toBe(300);
    const stripped = await readBack((await cleanupImage(photo, { mode: 'transparent', metadata: 'strip' })).data);
    expect(stripped.exif).toBeUndefined();
    expect(stripped.xmp).toBeUndefined();
    expect(stripped.meta.icc?.toString('latin1').replace(/\0/g, '')).toContain('sRGB');
    const mask = await readBack((await cleanupImage(photo, { mode: 'mask' })).data);
    expect(mask.exif).toBeUndefined();
    expect(mask.meta.icc).toBeUndefined();
  });

  test("Background Replace's composite carries the photo's copyright too", async () => {
    const { exif, meta } = await readBack((await replaceBackground(await taggedPhoto(), { engine: 'studio' })).data);
    expect(exif?.Image).toMatchObject({ Copyright: 'ACME 2026', Artist: 'Jo Photographer' });
    expect(exif?.GPSInfo).toBeUndefined();
    expect(meta.icc?.toString('latin1').replace(/\0/g, '')).toContain('sRGB');
  });

  test('a photo in another profile (Display P3) comes out converted and tagged sRGB', async () => {
    const p3 = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 40, b: 40 } } })
      .withIccProfile('p3')
      .jpeg()
      .toBuffer();
    expect((await sharp(p3).metadata()).icc?.toString('latin1').replace(/\0/g, '')).toMatch(/P3/);
    const decoded = await decodeImage(p3);
    const file = await encodeImage(decoded.image, { format: 'png', metadata: carriedMetadata(decoded.embedded, 'keep') });
    const icc = (await sharp(file).metadata()).icc?.toString('latin1').replace(/\0/g, '');
    expect(icc).toContain('sRGB');
    expect(icc).not.toMatch(/P3/);
  });

  test('a damaged EXIF block is not copied, and does not fail the photo', () => {
    expect(carriedMetadata({ exif: Buffer.from('Exif\0\0garbage'), density: 72 }, 'keep')).toEqual({ density: 72 });
  });

  test('private XMP properties go in element, empty-element and attribute form; the rest stays', () => {
    const out = withoutPrivateXmp(XMP);
    expect(out).not.toMatch(/GPS|SerialNumber/);
    expect(out).toContain('<dc:rights>');
    expect(out).toContain('xmlns:exif="http://ns.adobe.com/exif/1.0/"');
  });
});
