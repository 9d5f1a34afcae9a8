/**
 * A stand-in for the media API the weekly batch talks to, for tests, benchmarks and the
 * README's demo. Loopback HTTP only.
 *
 *   GET   /media?status=curated   [{ id, fileName, imageUrl, sidecarPath, status }]
 *   GET   /media/:id/image        the photo's bytes (Content-Disposition names the file)
 *   PATCH /media/:id              JSON { backgroundStatus, background }: recorded, answered { ok, id }
 *   GET   /updates                every PATCH received, in order
 *
 * At start it writes a seed-style sidecar for each photo under the sidecar root (unless
 * one exists).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';

export interface MediaItem {
  id: string;
  fileName: string;
  sidecarPath: string;
  status: string;
  data: Buffer;
}

export interface MediaUpdate {
  id: string;
  body: unknown;
  at: number;
}

export interface FixtureOptions {
  /** Photos to serve (paths); each becomes one curated media item. */
  photos: string[];
  sidecarRoot: string;
  /** Also serve a corrupt JPEG (the first 2000 bytes of the first photo). */
  corrupt?: boolean;
  /** Scale these photos (by file name) up to about 12 MP before serving. */
  scaleTo12MP?: string[];
  /** Resize every photo so its long side is this many px (benchmarks at 1 MP). */
  longSide?: number;
  /** Serve each photo this many times (distinct ids and sidecars), for benchmarks. */
  copies?: number;
}

const MIME: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

export class MediaFixtureServer {
  readonly items: MediaItem[] = [];
  readonly updates: MediaUpdate[] = [];
  readonly requests: string[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(private readonly options: FixtureOptions) {}

  async start(port = 0): Promise<this> {
    await this.prepare();
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async prepare(): Promise<void> {
    const copies = this.options.copies ?? 1;
    for (let copy = 0; copy < copies; copy++) {
      for (const photo of this.options.photos) {
        const ext = path.extname(photo).toLowerCase();
        const base = path.basename(photo, ext);
        let data: Buffer = fs.readFileSync(photo);
        if (this.options.longSide)
          data = await sharp(data)
            .rotate()
            .resize(this.options.longSide, this.options.longSide, { fit: 'inside' })
            .toFormat(ext === '.png' ? 'png' : 'jpeg', { quality: 92 })
            .toBuffer();
        if (this.options.scaleTo12MP?.includes(path.basename(photo))) {
          const meta = await sharp(data).metadata();
          const factor = Math.sqrt(12_000_000 / (meta.width! * meta.height!));
          data = await sharp(data)
            .resize(Math.round(meta.width! * factor), Math.round(meta.height! * factor))
            .jpeg({ quality: 92 })
            .toBuffer();
        }
        const name = copies > 1 ? `${base}-${copy + 1}` : base;
        const fileExt = this.options.scaleTo12MP?.includes(path.basename(photo)) ? '.jpg' : ext;
        this.addItem(`${name}${fileExt}`, data);
      }
    }
    if (this.options.corrupt && this.options.photos.length > 0) {
      this.addItem('corrupt.jpg', fs.readFileSync(this.options.photos[0]).subarray(0, 2000));
    }
    for (const item of this.items) {
      const file = path.join(this.options.sidecarRoot, item.sidecarPath);
      if (fs.existsSync(file)) continue;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(
        file,
        `${JSON.stringify(
          {
            source: 'gdrive',
            original_path: `/originals/${item.fileName}`,
            output_path: `/media/curated/${item.fileName}`,
            processed_at: '2026-11-20T09:00:00Z',
            scores: { aesthetic: 0.82, sharpness: 231.4 },
            decisions: { kept: true, reasons: [] },
            enhancement: { backend: 'realesrgan', scale: 2 },
            faces_blurred: false,
            watermark: null,
            brand: 'vitrinealu',
          },
          null,
          2,
        )}\n`,
      );
    }
  }

  private addItem(fileName: string, data: Buffer): void {
    const id = `m${String(this.items.length + 1).padStart(3, '0')}`;
    const base = path.basename(fileName, path.extname(fileName));
    this.items.push({ id, fileName, sidecarPath: `curated/${base}.json`, status: 'curated', data });
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url!, 'http://localhost');
    this.requests.push(`${req.method} ${url.pathname}`);
    if (req.method === 'GET' && url.pathname === '/media') {
      const status = url.searchParams.get('status');
      const list = this.items
        .filter((item) => !status || item.status === status)
        .map(({ id, fileName, sidecarPath, status: s }) => ({ id, fileName, sidecarPath, status: s, imageUrl: `${this.url}/media/${id}/image` }));
      return this.send(res, 200, list);
    }
    if (req.method === 'GET' && url.pathname === '/updates') return this.send(res, 200, this.updates);
    const match = /^\/media\/([^/]+)(\/image)?$/.exec(url.pathname);
    const item = match ? this.items.find((candidate) => candidate.id === match[1]) : undefined;
    if (!match || !item) return this.send(res, 404, { error: 'not found' });
    if (req.method === 'GET' && match[2]) {
      res.writeHead(200, {
        'content-type': MIME[path.extname(item.fileName).toLowerCase()] ?? 'application/octet-stream',
        'content-disposition': `attachment; filename="${item.fileName}"`,
        'content-length': String(item.data.length),
      });
      return void res.end(item.data);
    }
    if (req.method === 'PATCH' && !match[2]) {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return this.send(res, 400, { error: 'body must be JSON' });
      }
      // Recorded only: curation status stays, the background result is extra information.
      this.updates.push({ id: item.id, body, at: Date.now() });
      return this.send(res, 200, { ok: true, id: item.id });
    }
    this.send(res, 405, { error: 'method not allowed' });
  }
}
