import zlib from 'node:zlib';
import sharp from 'sharp';

/** A PNG whose header claims width x height but whose pixel data is a stub: a bomb's shape. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A W x H RGB image with four flat quadrant colours: easy to check orientation on. */
export function quadrants(width: number, height: number): Buffer {
  const colors = [
    [220, 30, 30],
    [30, 200, 30],
    [30, 30, 220],
    [230, 230, 40],
  ];
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
      data.set(colors[q], (y * width + x) * 3);
    }
  }
  return data;
}

/** Stored pixel coordinates for an upright (display) pixel, per EXIF orientation. */
export function storedCoordinate(orientation: number, x: number, y: number, w: number, h: number): [number, number] {
  switch (orientation) {
    case 2:
      return [w - 1 - x, y];
    case 3:
      return [w - 1 - x, h - 1 - y];
    case 4:
      return [x, h - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [y, h - 1 - x];
    case 7:
      return [w - 1 - y, h - 1 - x];
    case 8:
      return [w - 1 - y, x];
    default:
      return [x, y];
  }
}

/** A JPEG whose stored pixels, once the EXIF orientation is applied, show `upright`. */
export async function orientedJpeg(upright: Buffer, width: number, height: number, orientation: number): Promise<Buffer> {
  const swap = orientation >= 5;
  const w = swap ? height : width; // stored size
  const h = swap ? width : height;
  const stored = Buffer.alloc(w * h * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = storedCoordinate(orientation, x, y, w, h);
      upright.copy(stored, (sy * w + sx) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return sharp(stored, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation })
    .toBuffer();
}

/** A width x height binary map (1 where `inside`): a box-local matte or colour map for the matte tests. */
export function binaryMap(width: number, height: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const map = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (inside(x, y)) map[y * width + x] = 1;
  return map;
}
