import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { z } from 'zod';

/**
 * A loopback stand-in for Runway's API (https://docs.dev.runwayml.com, 2024-11-06) that
 * plays scripted faults and checks every request it receives. Its request schema is
 * written here from the docs, independently of the client's, so a mistake in one shows
 * up against the other.
 */
const RATIOS = [
  '1920:1080',
  '1080:1920',
  '1024:1024',
  '1360:768',
  '1080:1080',
  '1168:880',
  '1440:1080',
  '1080:1440',
  '1808:768',
  '2112:912',
  '1280:720',
  '720:1280',
  '720:720',
  '960:720',
  '720:960',
  '1680:720',
];
const createBody = z
  .object({
    model: z.enum(['gen4_image', 'gen4_image_turbo']),
    promptText: z.string().min(1).max(1000),
    ratio: z.string().refine((ratio) => RATIOS.includes(ratio), 'ratio not accepted'),
    seed: z.number().int().min(0).max(4294967295).optional(),
    referenceImages: z
      .array(
        z.object({
          uri: z
            .string()
            .refine(
              (uri) => /^https:\/\//.test(uri) || (/^data:image\/(png|jpeg|webp);base64,/.test(uri) && uri.length <= 5 * 1024 * 1024),
              'uri must be https or a data URI <= 5 MB',
            ),
          tag: z
            .string()
            .regex(/^[a-zA-Z][a-zA-Z0-9_]{2,15}$/)
            .optional(),
        }),
      )
      .max(3)
      .optional(),
    contentModeration: z
      .object({ publicFigureThreshold: z.enum(['auto', 'low']) })
      .partial()
      .optional(),
  })
  .strict()
  .refine((b) => b.model !== 'gen4_image_turbo' || (b.referenceImages?.length ?? 0) > 0, 'turbo needs reference images');

export type Fault = { status: number; retryAfter?: string; body?: string } | { hang: true } | { delayMs: number } | { malformed: true };

export type StatusStep = 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'CANCELLED' | { failed: string; failure?: string };

export interface TaskPlan {
  /** What successive polls report; the last step repeats. */
  steps: StatusStep[];
  /** How the output URL answers: an image, an HTML page, a huge body, expired (403) always or once, or never. */
  output?: 'image' | 'html' | 'huge' | 'expired' | 'expired-once' | 'hang';
}

export interface ServerLogEntry {
  method: string;
  path: string;
  status: number;
  at: number;
  taskId?: string;
  body?: unknown;
}

interface Task {
  id: string;
  plan: TaskPlan;
  polls: number;
  ratio: string;
  active: boolean;
  downloads: number;
}

export class RunwayTestServer {
  readonly apiKey = `key_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  readonly log: ServerLogEntry[] = [];
  readonly violations: string[] = [];
  /** Faults answered to the next creates / task reads / organization reads, in order. */
  createFaults: Fault[] = [];
  pollFaults: Fault[] = [];
  /** The plan for the n-th created task (0-based). */
  plan: (index: number) => TaskPlan = () => ({ steps: ['PENDING', 'RUNNING', 'SUCCEEDED'] });
  maxActive = 0;
  private active = 0;
  private readonly tasks = new Map<string, Task>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly hung: http.ServerResponse[] = [];
  private created = 0;
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  creates(): ServerLogEntry[] {
    return this.log.filter((entry) => entry.method === 'POST' && entry.path === '/v1/text_to_image');
  }

  cancels(): string[] {
    return this.log.filter((entry) => entry.method === 'DELETE').map((entry) => entry.taskId!);
  }

  private record(req: http.IncomingMessage, status: number, extra: Partial<ServerLogEntry> = {}): void {
    this.log.push({ method: req.method!, path: req.url!.split('?')[0], status, at: Date.now(), ...extra });
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  /** Plays a fault; true when it answered (or hung) instead of the normal handler. */
  private async fault(fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse, taskId?: string): Promise<boolean> {
    if (!fault) return false;
    if ('hang' in fault) {
      this.record(req, 0, { taskId });
      this.hung.push(res);
      return true;
    }
    if ('delayMs' in fault) {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    }
    if ('malformed' in fault) return false;
    this.record(req, fault.status, { taskId });
    this.send(res, fault.status, fault.body ?? { error: `scripted ${fault.status}` }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    return true;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url!.split('?')[0];

    if (path.startsWith('/outputs/')) return this.output(req, res, path.slice('/outputs/'.length).replace(/\.png$/, ''));

    if (req.headers['x-runway-version'] !== '2024-11-06')
      this.violations.push(`${req.method} ${path}: X-Runway-Version is ${String(req.headers['x-runway-version'])}`);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) this.violations.push(`${req.method} ${path}: malformed Authorization header`);
      this.record(req, 401);
      return this.send(res, 401, { error: 'Invalid API key' });
    }

    if (req.method === 'GET' && path === '/v1/organization') {
      this.record(req, 200);
      return this.send(res, 200, {
        creditBalance: 1234,
        tier: { maxMonthlyCreditSpend: 10000, models: { gen4_image: { maxConcurrentGenerations: 2, maxDailyGenerations: 200 } } },
        usage: { models: {} },
      });
    }

    if (req.method === 'POST' && path === '/v1/text_to_image') {
      const fault = this.createFaults.shift();
      if (await this.fault(fault, req, res)) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        this.violations.push('POST /v1/text_to_image: body is not JSON');
        this.record(req, 400);
        return this.send(res, 400, { error: 'Body must be JSON' });
      }
      const parsed = createBody.safeParse(body);
      if (!parsed.success) {
        this.violations.push(`POST /v1/text_to_image: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        this.record(req, 400, { body });
        return this.send(res, 400, { error: 'Validation of body failed' });
      }
      const id = `task-${++this.created}-${Math.random().toString(36).slice(2, 8)}`;
      this.tasks.set(id, { id, plan: this.plan(this.created - 1), polls: 0, ratio: parsed.data.ratio, active: true, downloads: 0 });
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      this.record(req, 200, { taskId: id, body });
      if (fault && 'malformed' in fault) return this.send(res, 200, `{"id": "${id}"`);
      return this.send(res, 200, { id });
    }

    const match = /^\/v1\/tasks\/([^/]+)$/.exec(path);
    if (match) {
      const task = this.tasks.get(decodeURIComponent(match[1]));
      if (req.method === 'DELETE') {
        this.record(req, task ? 204 : 404, { taskId: match[1] });
        if (task) this.finish(task);
        res.writeHead(task ? 204 : 404);
        return void res.end();
      }
      if (req.method === 'GET') {
        const fault = this.pollFaults.shift();
        if (await this.fault(fault, req, res, match[1])) return;
        if (!task) {
          this.record(req, 404, { taskId: match[1] });
          return this.send(res, 404, { error: 'Task not found' });
        }
        const step = task.plan.steps[Math.min(task.polls, task.plan.steps.length - 1)];
        task.polls++;
        this.record(req, 200, { taskId: task.id });
        if (fault && 'malformed' in fault) return this.send(res, 200, '<html>502 Bad Gateway</html>');
        if (typeof step === 'object') {
          this.finish(task);
          return this.send(res, 200, {
            id: task.id,
            status: 'FAILED',
            createdAt: new Date().toISOString(),
            failure: step.failure ?? 'The task failed',
            failureCode: step.failed,
          });
        }
        if (step === 'CANCELLED') this.finish(task);
        const body: Record<string, unknown> = { id: task.id, status: step, createdAt: new Date().toISOString() };
        if (step === 'RUNNING') body.progress = 0.5;
        if (step === 'SUCCEEDED') body.output = [`${this.url}/outputs/${task.id}-${task.polls}.png`];
        return this.send(res, 200, body);
      }
    }
    this.record(req, 404);
    this.send(res, 404, { error: 'Not found' });
  }

  private finish(task: Task): void {
    if (!task.active) return;
    task.active = false;
    this.active--;
  }

  private async output(req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> {
    if (req.headers.authorization) this.violations.push(`GET /outputs/${name}: the API key was sent to the output host`);
    const id = name.replace(/-\d+$/, '');
    const task = this.tasks.get(id);
    if (!task) {
      this.record(req, 404, { taskId: id });
      return this.send(res, 404, { error: 'gone' });
    }
    task.downloads++;
    const mode = task.plan.output ?? 'image';
    if (mode === 'hang') {
      this.record(req, 0, { taskId: id });
      this.hung.push(res);
      return;
    }
    if (mode === 'expired' || (mode === 'expired-once' && task.downloads === 1)) {
      this.record(req, 403, { taskId: id });
      res.writeHead(403, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    }
    if (mode === 'html') {
      this.record(req, 200, { taskId: id });
      this.finish(task);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<html><body>Sign in</body></html>');
    }
    if (mode === 'huge') {
      this.record(req, 200, { taskId: id });
      this.finish(task);
      res.writeHead(200, { 'content-type': 'image/png' });
      return void res.end(Buffer.alloc(4 * 1024 * 1024, 7));
    }
    const [w, h] = task.ratio.split(':').map((v) => Math.round(Number(v) / 8));
    const png = await sharp({ create: { width: w, height: h, channels: 3, background: { r: 96, g: 140, b: 88 } } })
      .png()
      .toBuffer();
    this.record(req, 200, { taskId: id });
    this.finish(task);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
    res.end(png);
  }
}
