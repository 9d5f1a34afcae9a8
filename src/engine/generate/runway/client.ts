import { createHash } from 'node:crypto';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';

import { EngineError, type EngineErrorCode } from '../../core/errors';
import type { RunwayConnection } from '../../core/context';
import { Semaphore } from '../../runtime/concurrency';
import { proxyAgentsFor } from './proxy';
import { zodIssue } from '../../core/validation';
import {
  createTaskResponseSchema,
  organizationSchema,
  RUNWAY_DEFAULT_API_VERSION,
  RUNWAY_DEFAULT_BASE_URL,
  type RunwayOrganization,
  type RunwayTask,
  taskSchema,
  type TextToImageRequest,
  textToImageRequestSchema,
} from './protocol';

/**
 * Runway's task API: create, poll, download, cancel. Paid calls must never be repeated by
 * accident: a create is retried only when Runway answered 429/502/503/504 (or the request
 * never left this machine); a create that timed out or got an unreadable answer may have
 * made (and billed) a task, so it fails instead. Reads (polls, downloads) retry freely.
 * The API key lives in the request headers only: no message, log line or result carries it.
 */
export type { RunwayConnection };

export interface RunwayClientOptions extends RunwayConnection {
  /** The deadline for one whole generation (create + polls + download), from when it gets a slot. */
  timeoutMs: number;
  /** Tries per request (the old background service's BACKGROUND_RETRY_ATTEMPTS) and the first backoff. */
  retryAttempts: number;
  retryDelayMs: number;
  /** Runway asks for no more than one poll per 5 s; only a loopback test server may go faster. */
  pollIntervalMs: number;
  /** Generations in flight at once for this key (Runway's tier limit). */
  concurrency: number;
  /** One HTTP request's limit (capped by what is left of the deadline). */
  requestTimeoutMs?: number;
  maxOutputBytes?: number;
  log?: (message: string) => void;
}

export interface GeneratedImage {
  taskId: string;
  data: Buffer;
  mimeType: string;
  createAttempts: number;
  polls: number;
  ms: number;
}

const RETRYABLE_CREATE = new Set([429, 502, 503, 504]);
const MIN_POLL_MS = 5000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 40 * 1024 * 1024;
// API answers are small JSON (a task is well under 64 KiB); a larger one is refused, never buffered whole.
export const MAX_API_ANSWER_BYTES = 1024 * 1024;
// Errors from a socket that never connected: the request cannot have reached Runway.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isLoopbackUrl(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

type Outcome = { kind: 'response'; response: AxiosResponse } | { kind: 'network'; sent: boolean; reason: string } | { kind: 'aborted' };

export class RunwayClient {
  private readonly http: AxiosInstance;
  private readonly limiter: Semaphore;
  private readonly baseUrl: string;
  private readonly loopback: boolean;
  private readonly pollMs: number;
  private readonly secrets: string[];

  constructor(private readonly options: RunwayClientOptions) {
    if (!options.apiKey) throw new EngineError('API_AUTH', 'The Runway API key is empty');
    this.baseUrl = (options.baseUrl || RUNWAY_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.loopback = isLoopbackUrl(this.baseUrl);
    if (!this.baseUrl.startsWith('https://') && !this.loopback) {
      throw new EngineError('INVALID_OPTION', `The Runway base URL must use https (got ${this.baseUrl})`);
    }
    this.pollMs = Math.max(options.pollIntervalMs, this.loopback ? 0 : MIN_POLL_MS);
    this.limiter = new Semaphore(options.concurrency);
    this.secrets = [options.apiKey];
    this.http = axios.create({
      baseURL: this.baseUrl,
      headers: { Authorization: `Bearer ${options.apiKey}`, 'X-Runway-Version': options.apiVersion || RUNWAY_DEFAULT_API_VERSION },
      // We read status codes and bodies ourselves: malformed JSON is a case to handle, not a crash.
      validateStatus: () => true,
      transformResponse: [(body: unknown) => body],
      responseType: 'text',
      maxRedirects: 0,
      maxContentLength: MAX_API_ANSWER_BYTES,
      ...proxyAgentsFor(this.baseUrl),
    });
  }

  /** Generations running right now (for tests and health). */
  get inFlight(): number {
    return this.limiter.inUse;
  }

  /** GET /v1/organization: credit balance and tier; free, used by the credential test and health. */
  async organization(signal?: AbortSignal): Promise<RunwayOrganization> {
    const deadline = Date.now() + Math.min(this.options.timeoutMs, this.requestTimeout());
    const answer = await this.read('GET', '/v1/organization', deadline, signal, 'reading the organization');
    return this.validate(answer, organizationSchema, 'the organization');
  }

  /** POST /v1/text_to_image, then poll and download: the generated image's bytes. */
  async textToImage(request: TextToImageRequest, signal?: AbortSignal): Promise<GeneratedImage> {
    const body = textToImageRequestSchema.safeParse(request);
    if (!body.success) {
      throw new EngineError('INVALID_OPTION', `Runway request: ${zodIssue(body.error)}`);
    }
    return this.limiter.use(async () => {
      const start = Date.now();
      const deadline = start + this.options.timeoutMs;
      const { taskId, attempts } = await this.create(body.data, deadline, signal);
      let finished: { task: RunwayTask; polls: number };
      try {
        finished = await this.waitFor(taskId, deadline, signal);
      } catch (error) {
        // Given up on a task that is still queued or running: stop it so it is not billed.
        await this.cancel(taskId);
        throw error;
      }
      const { task, polls } = finished;
      if (task.status === 'FAILED') throw failureError(task, this.secrets);
      if (task.status === 'CANCELLED') throw this.error('CANCELLED', `Runway task ${taskId} was cancelled outside this workflow`);
      const image = await this.download(task, deadline, signal);
      return { taskId, ...image, createAttempts: attempts, polls, ms: Date.now() - start };
    });
  }

  /** DELETE /v1/tasks/{id}: best effort, never throws (the job is failing already). */
  async cancel(taskId: string): Promise<void> {
    const outcome = await this.send('DELETE', `/v1/tasks/${encodeURIComponent(taskId)}`, undefined, Date.now() + 5000);
    const status = outcome.kind === 'response' ? String(outcome.response.status) : outcome.kind;
    this.options.log?.(`Runway task ${taskId} cancelled (${status})`);
  }

  private async create(body: TextToImageRequest, deadline: number, signal?: AbortSignal): Promise<{ taskId: string; attempts: number }> {
    return this.withRetries<{ taskId: string; attempts: number }>('Runway create: ', deadline, signal, async (attempt) => {
      const outcome = await this.send('POST', '/v1/text_to_image', body, this.requestDeadline(deadline), signal);
      if (outcome.kind === 'aborted') throw new EngineError('CANCELLED', 'The execution was cancelled before Runway answered');
      if (outcome.kind === 'network') {
        // The one rule: a create that may have reached Runway is never sent again.
        if (outcome.sent) {
          throw this.error(
            'API_TIMEOUT',
            `Runway did not answer the generation request (${outcome.reason}); not retried, because it may already have created (and billed) a task`,
          );
        }
        return { failure: this.error('API_FAILED', `Runway could not be reached (${outcome.reason})`) };
      }
      const { status } = outcome.response;
      if (status >= 200 && status < 300) {
        const created = this.parse(outcome.response, createTaskResponseSchema, 'the new task', 'not retried, because the task may exist and be billed');
        return { done: { taskId: created.id, attempts: attempt } };
      }
      const failure = this.statusError(outcome.response, 'starting the generation');
      if (!RETRYABLE_CREATE.has(status)) throw failure;
      return { failure, retryAfterMs: retryAfter(outcome.response) };
    });
  }

  /**
   * Runs `tryOnce` until it is done, throws, or has failed retryAttempts times; waits the
   * backoff between tries (a server's Retry-After when longer) and gives up early when the
   * wait would pass the deadline. `again` retries at once (a fresh copy of the task, not a
   * failure); `logPrefix` names the request in the log (none: not logged).
   */
  private async withRetries<T>(
    logPrefix: string | undefined,
    deadline: number,
    signal: AbortSignal | undefined,
    tryOnce: (attempt: number) => Promise<{ done: T } | { again: true } | { failure: EngineError; retryAfterMs?: number }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const result = await tryOnce(attempt);
      if ('done' in result) return result.done;
      if ('again' in result) continue;
      const wait = this.backoff(attempt, result.retryAfterMs ?? 0);
      if (attempt >= this.options.retryAttempts || Date.now() + wait >= deadline) throw result.failure;
      if (logPrefix !== undefined)
        this.options.log?.(`${logPrefix}${result.failure.message}; retry ${attempt + 1}/${this.options.retryAttempts} in ${wait} ms`);
      await sleep(wait, signal);
    }
  }

  /** Polls until the task ends (SUCCEEDED, FAILED or CANCELLED); throws on timeout, abort or a dead API. */
  private async waitFor(taskId: string, deadline: number, signal?: AbortSignal): Promise<{ task: RunwayTask; polls: number }> {
    let polls = 0;
    let lastStatus = 'PENDING';
    let throttledSince: number | undefined;
    await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())), signal);
    const timedOut = () => {
      const throttled =
        throttledSince !== undefined
          ? `; throttled by Runway for the last ${Math.round((Date.now() - throttledSince) / 1000)} s (more tasks than your tier runs at once)`
          : '';
      return this.error(
        'API_TIMEOUT',
        `Runway task ${taskId} did not finish within ${this.options.timeoutMs} ms (last status ${lastStatus}${throttled}); it was cancelled`,
      );
    };
    for (;;) {
      if (signal?.aborted) throw new EngineError('CANCELLED', `The execution was cancelled while Runway task ${taskId} was ${lastStatus}`);
      if (Date.now() >= deadline) throw timedOut();
      let task: RunwayTask;
      try {
        task = await this.readTask(taskId, deadline, signal);
      } catch (error) {
        // The deadline ran out during a poll rather than between two: the same answer, with
        // what the task was last seen doing (throttled, most often).
        if (error instanceof EngineError && error.code === 'API_TIMEOUT' && Date.now() >= deadline) throw timedOut();
        throw error;
      }
      polls++;
      lastStatus = task.status;
      if (task.status === 'THROTTLED') throttledSince ??= Date.now();
      else throttledSince = undefined;
      if (task.status === 'SUCCEEDED' || task.status === 'FAILED' || task.status === 'CANCELLED') return { task, polls };
      await sleep(Math.min(Math.round(this.pollMs * (1 + Math.random() * 0.2)), Math.max(0, deadline - Date.now())), signal);
    }
  }

  private async readTask(taskId: string, deadline: number, signal?: AbortSignal): Promise<RunwayTask> {
    const answer = await this.read('GET', `/v1/tasks/${encodeURIComponent(taskId)}`, deadline, signal, `reading task ${taskId}`);
    return this.validate(answer, taskSchema, `task ${taskId}`);
  }

  /**
   * A request that is safe to repeat: transient failures (network, 429, 5xx, a body that is
   * not JSON) are retried within the attempts. Returns the parsed JSON body.
   */
  private async read(method: 'GET', path: string, deadline: number, signal: AbortSignal | undefined, what: string): Promise<JsonAnswer> {
    return this.withRetries<JsonAnswer>('Runway: ', deadline, signal, async () => {
      const outcome = await this.send(method, path, undefined, this.requestDeadline(deadline), signal);
      if (outcome.kind === 'aborted') throw new EngineError('CANCELLED', `The execution was cancelled while ${what}`);
      if (outcome.kind === 'network') {
        return { failure: this.error(outcome.sent ? 'API_TIMEOUT' : 'API_FAILED', `Runway did not answer ${what} (${outcome.reason})`) };
      }
      const { status } = outcome.response;
      if (status >= 200 && status < 300) {
        const json = jsonBody(outcome.response);
        if (json !== NOT_JSON) return { done: { json, status } };
        return { failure: this.error('API_FAILED', `Runway sent an unreadable answer ${what} (status ${status})`, status) };
      }
      const failure = this.statusError(outcome.response, what);
      if (status !== 429 && status < 500) throw failure;
      return { failure, retryAfterMs: retryAfter(outcome.response) };
    });
  }

  /**
   * Fetches the first output at once (Runway's URLs expire after 24-48 h). An expired or
   * missing URL gets one fresh copy of the task; what comes back must be an image.
   */
  private async download(task: RunwayTask, deadline: number, signal?: AbortSignal): Promise<{ data: Buffer; mimeType: string }> {
    const maxBytes = this.options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    let current = task;
    let refreshed = false;
    return this.withRetries<{ data: Buffer; mimeType: string }>(undefined, deadline, signal, async () => {
      const url = current.output?.[0];
      if (!url) throw this.error('API_OUTPUT', `Runway task ${task.id} succeeded without an output URL`);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw this.error('API_OUTPUT', `Runway task ${task.id} returned an invalid output URL`);
      }
      // https only; plain http is accepted from a loopback test double of the API and nowhere else.
      if (parsed.protocol !== 'https:' && !(this.loopback && parsed.protocol === 'http:' && isLoopbackUrl(url))) {
        throw this.error('API_OUTPUT', `Runway task ${task.id} returned a non-https output URL (${parsed.protocol}//${parsed.host})`);
      }
      const outcome = await this.fetchOutput(url, maxBytes, this.requestDeadline(deadline), signal);
      if (outcome.kind === 'aborted') throw new EngineError('CANCELLED', `The execution was cancelled while downloading task ${task.id}'s output`);
      if (outcome.kind === 'network') {
        if (outcome.reason.startsWith('larger than'))
          throw this.error('API_OUTPUT', `Runway task ${task.id}'s output is ${outcome.reason} (the limit is ${maxBytes} bytes)`);
        return { failure: this.error('API_OUTPUT', `Downloading task ${task.id}'s output failed (${outcome.reason})`) };
      }
      const { status } = outcome.response;
      const type = String(outcome.response.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (status === 200) {
        if (!type.startsWith('image/'))
          throw this.error('API_OUTPUT', `Runway task ${task.id}'s output URL returned ${type || 'no content type'} instead of an image`);
        return { done: { data: Buffer.from(outcome.response.data as ArrayBuffer), mimeType: type } };
      }
      if ([401, 403, 404, 410].includes(status)) {
        if (refreshed)
          throw this.error(
            'API_OUTPUT',
            `Runway task ${task.id}'s output has expired or is gone (status ${status}, also after fetching the task again)`,
            status,
          );
        refreshed = true;
        current = await this.readTask(task.id, deadline, signal);
        return { again: true as const };
      }
      return { failure: this.error('API_OUTPUT', `Downloading task ${task.id}'s output failed (status ${status})`, status) };
    });
  }

  private async fetchOutput(url: string, maxBytes: number, deadline: number, signal?: AbortSignal): Promise<Outcome> {
    // A plain client: the output host is not Runway's API and must not see the key.
    return exchange(
      () =>
        axios.get(url, {
          responseType: 'arraybuffer',
          validateStatus: () => true,
          maxContentLength: maxBytes,
          maxRedirects: 3,
          ...proxyAgentsFor(url),
          timeout: Math.max(1, deadline - Date.now()),
          signal,
        }),
      signal,
    );
  }

  private send(method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, deadline: number, signal?: AbortSignal): Promise<Outcome> {
    return exchange(() => this.http.request({ method, url: path, data: body, timeout: Math.max(1, deadline - Date.now()), signal }), signal);
  }

  private parse<T extends z.ZodTypeAny>(response: AxiosResponse, schema: T, what: string, consequence?: string): z.output<T> {
    const json = jsonBody(response);
    if (json === NOT_JSON)
      throw this.error('API_FAILED', `Runway's answer for ${what} is not valid JSON${consequence ? `; ${consequence}` : ''}`, response.status);
    return this.validate({ json, status: response.status }, schema, what, consequence);
  }

  private validate<T extends z.ZodTypeAny>(answer: JsonAnswer, schema: T, what: string, consequence?: string): z.output<T> {
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success) {
      throw this.error(
        'API_FAILED',
        `Runway's answer for ${what} has an unexpected shape (${zodIssue(parsed.error)})${consequence ? `; ${consequence}` : ''}`,
        answer.status,
      );
    }
    return parsed.data;
  }

  private statusError(response: AxiosResponse, what: string): EngineError {
    const { status } = response;
    const detail = apiMessage(response);
    const suffix = detail ? `: ${detail}` : '';
    if (status === 401 || status === 403) return this.error('API_AUTH', `Runway refused the API key while ${what} (status ${status})${suffix}`, status);
    if (status === 429) return this.error('API_QUOTA', `Runway's rate limit or daily generation cap is reached while ${what} (status 429)${suffix}`, status);
    if (status === 400 || status === 422) return this.error('API_REJECTED', `Runway rejected the request while ${what} (status ${status})${suffix}`, status);
    if (status === 404) return this.error('API_FAILED', `Runway does not know this resource while ${what} (status 404)${suffix}`, status);
    return this.error('API_FAILED', `Runway failed while ${what} (status ${status})${suffix}`, status);
  }

  private error(code: EngineErrorCode, message: string, httpCode?: number): EngineError {
    return new EngineError(code, redact(message, this.secrets), { httpCode });
  }

  private requestTimeout(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private requestDeadline(deadline: number): number {
    return Math.min(deadline, Date.now() + this.requestTimeout());
  }

  /** Exponential backoff with jitter; a server's Retry-After wins when it asks for longer. */
  private backoff(attempt: number, retryAfterMs: number): number {
    const base = this.options.retryDelayMs * 2 ** (attempt - 1);
    return Math.max(retryAfterMs, Math.round(base * (0.75 + Math.random() * 0.5)));
  }
}

async function exchange(call: () => Promise<AxiosResponse>, signal?: AbortSignal): Promise<Outcome> {
  try {
    return { kind: 'response', response: await call() };
  } catch (error) {
    if (signal?.aborted) return { kind: 'aborted' };
    const code = (error as { code?: string }).code ?? '';
    const message = error instanceof Error ? error.message : '';
    if (/maxContentLength/.test(message)) return { kind: 'network', sent: true, reason: 'larger than allowed' };
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message)) return { kind: 'network', sent: true, reason: 'no answer in time' };
    return { kind: 'network', sent: !NOT_SENT.has(code), reason: code || 'network error' };
  }
}

/** A JSON body, parsed once. */
interface JsonAnswer {
  json: unknown;
  status: number;
}

const NOT_JSON = Symbol('not JSON');

function jsonBody(response: AxiosResponse): unknown {
  try {
    return JSON.parse(String(response.data));
  } catch {
    return NOT_JSON;
  }
}

/** Runway's own error text, if the body has one (JSON {error} or a short plain text). */
function apiMessage(response: AxiosResponse): string {
  const text = String(response.data ?? '');
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    const value = json.error ?? json.message;
    if (typeof value === 'string') return value.slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.length > 0 && text.length <= 200 && !text.trimStart().startsWith('<') ? text.trim() : '';
}

/** Retry-After in seconds or as an HTTP date, in ms (0 when absent or unreadable). */
function retryAfter(response: AxiosResponse): number {
  const value = response.headers['retry-after'];
  if (value === undefined) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(value));
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 0;
}

/** Runway's failure codes, in words a marketing team can act on. */
function failureError(task: RunwayTask, secrets: string[]): EngineError {
  const code = task.failureCode ?? '';
  const reason = task.failure ? `: ${task.failure}` : '';
  let error: EngineError;
  if (code.startsWith('SAFETY.INPUT'))
    error = new EngineError(
      'API_MODERATION',
      `Runway's content moderation refused the prompt or reference image (${code})${reason}; change the prompt, it is not retried`,
    );
  else if (code.startsWith('SAFETY.OUTPUT'))
    error = new EngineError('API_MODERATION', `Runway's content moderation withheld the generated image (${code})${reason}; try another seed or prompt`);
  else if (code.startsWith('INTERNAL.BAD_OUTPUT'))
    error = new EngineError('API_FAILED', `Runway could not produce a usable image (${code})${reason}; running the item again usually works`);
  else error = new EngineError('API_FAILED', `Runway task ${task.id} failed${code ? ` (${code})` : ''}${reason}`);
  return new EngineError(error.code, redact(error.message, secrets));
}

function redact(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => (secret ? text.split(secret).join('***') : text), message);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One client (and so one concurrency limit) per base URL, key and limit, shared by every item in this process. */
const clients = new Map<string, RunwayClient>();

export function sharedRunwayClient(options: RunwayClientOptions): RunwayClient {
  const key = [
    options.baseUrl ?? RUNWAY_DEFAULT_BASE_URL,
    createHash('sha256').update(options.apiKey).digest('hex'),
    options.apiVersion ?? '',
    options.concurrency,
    options.timeoutMs,
    options.retryAttempts,
    options.retryDelayMs,
    options.pollIntervalMs,
  ].join('|');
  let client = clients.get(key);
  if (!client) {
    client = new RunwayClient(options);
    clients.set(key, client);
  }
  return client;
}
