import exifReader from 'exif-reader';
import type sharp from 'sharp';

/**
 * What of a photo's own metadata its result carries. A marketing photo's copyright, author
 * and description travel with it (as Photoroom keeps them); where it was taken (GPS) and the
 * camera's serial numbers never leave the worker; the orientation is already applied to the
 * pixels, so it is never copied either.
 */
export const METADATA_POLICIES = ['keep', 'copyright', 'strip'] as const;
export type MetadataPolicy = (typeof METADATA_POLICIES)[number];

/** The metadata a photo came with, as read from its header. */
export interface EmbeddedMetadata {
  exif?: Buffer;
  xmp?: Buffer;
  /** Pixels per inch. */
  density?: number;
}

/** What an output file is written with (sharp's withExif / withXmp / density). */
export interface CarriedMetadata {
  exif?: { IFD0: Record<string, string>; IFD2: Record<string, string> };
  xmp?: string;
  density?: number;
}

/** EXIF fields (IFD0) each policy keeps; a date is written as EXIF writes dates. */
const KEPT_EXIF: Record<MetadataPolicy, readonly string[]> = {
  keep: ['Artist', 'Copyright', 'ImageDescription', 'Make', 'Model', 'Software', 'DateTime'],
  copyright: ['Artist', 'Copyright'],
  strip: [],
};

/** XMP properties never carried: the position (exif:GPS...) and serial numbers of body and lens. */
const PRIVATE_XMP = String.raw`(?:exif:GPS\w*|aux:SerialNumber|aux:LensSerialNumber|exifEX:BodySerialNumber|exifEX:LensSerialNumber)`;

export function embeddedMetadata(header: sharp.Metadata): EmbeddedMetadata {
  return { exif: header.exif, xmp: header.xmp, density: header.density };
}

function exifDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}:${pad(date.getUTCMonth() + 1)}:${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** IFD0's text fields of the policy; none when the EXIF block cannot be read (a damaged block is not copied). */
function keptExif(exif: Buffer | undefined, fields: readonly string[]): CarriedMetadata['exif'] {
  if (!exif || fields.length === 0) return undefined;
  let image: Record<string, unknown> | undefined;
  try {
    image = exifReader(exif).Image;
  } catch {
    return undefined;
  }
  const kept: Record<string, string> = {};
  for (const field of fields) {
    const value = image?.[field];
    if (value instanceof Date && !Number.isNaN(value.getTime())) kept[field] = exifDate(value);
    else if (typeof value === 'string' && value.trim()) kept[field] = value.replace(/\0+$/, '');
  }
  // The pixels written are sRGB whatever the photo was (decode converts): EXIF's ColorSpace 1.
  return Object.keys(kept).length > 0 ? { IFD0: kept, IFD2: { ColorSpace: '1' } } : undefined;
}

/** The XMP packet less its private properties, in element and attribute form. */
export function withoutPrivateXmp(xmp: string): string {
  return xmp
    .replace(new RegExp(String.raw`<(${PRIVATE_XMP})\b[^>]*/>`, 'g'), '')
    .replace(new RegExp(String.raw`<(${PRIVATE_XMP})\b[^>]*>[\s\S]*?</\1>`, 'g'), '')
    .replace(new RegExp(String.raw`\s${PRIVATE_XMP}\s*=\s*("[^"]*"|'[^']*')`, 'g'), '');
}

/** What an output carries of the photo's metadata under a policy. */
export function carriedMetadata(embedded: EmbeddedMetadata | undefined, policy: MetadataPolicy): CarriedMetadata {
  if (!embedded || policy === 'strip') return {};
  const exif = keptExif(embedded.exif, KEPT_EXIF[policy]);
  const xmp = policy === 'keep' && embedded.xmp ? withoutPrivateXmp(embedded.xmp.toString('utf8')) : undefined;
  return { ...(exif ? { exif } : {}), ...(xmp ? { xmp } : {}), ...(embedded.density ? { density: embedded.density } : {}) };
}
