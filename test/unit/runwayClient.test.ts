import { EngineError } from '../../src/engine/core/errors';
import { MAX_API_ANSWER_BYTES, RunwayClient, type RunwayClientOptions } from '../../src/engine/generate/runway/client';
import { nearestRatio, type TextToImageRequest } from '../../src/engine/generate/runway/protocol';
import { mulberry32 } from '../../testkit/windowScene';
import { LoopbackProxy } from '../../testkit/loopbackProxy';
import { RunwayTestServer, type StatusStep } from '../../testkit/runwayServer';

const request: TextToImageRequest = { model: 'gen4_image', promptText: 'an empty bright studio with a soft grey floor', ratio: '1440:1080', seed: 7 };

describe('Runway client against the loopback server', () => {
  let server: RunwayTestServer;
  const logs: string[] = [];
  const errors: unknown[] = [];
  const client = (overrides: Partial<RunwayClientOptions> = {}) =>
    new RunwayClient({
      apiKey: server.apiKey,
      baseUrl: server.url,
      timeoutMs: 8000,
      retryAttempts: 3,
      retryDelayMs: 20,
      pollIntervalMs: 15,
      concurrency: 2,
      requestTimeoutMs: 1500,
      maxOutputBytes: 1024 * 1024,
      log: (line) => logs.push(line),
      ...overrides,
    });
  const failure = async (work: Promise<unknown>): Promise<EngineError> => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    errors.push(error);
    return error as EngineError;
  };

  beforeEach(async () => {
    server = await new RunwayTestServer().start();
  });
  afterEach(async () => {
    // Every request the client sent matched the documented protocol, and the key never leaked.
    expect(server.violations).toEqual([]);
    for (const error of errors) {
      const e = error as EngineError;
      expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain(server.apiKey);
    }
    for (const line of logs) expect(line).not.toContain(server.apiKey);
    errors.length = 0;
    logs.length = 0;
    await server.close();
  });

  test('PENDING -> RUNNING -> SUCCEEDED: one create, the image downloaded without the key', async () => {
    const result = await client().textToImage(request);
    expect(result.mimeType).toBe('image/png');
    expect(result.data.subarray(1, 4).toString()).toBe('PNG');
    expect(result.createAttempts).toBe(1);
    expect(result.polls).toBe(3);
    expect(server.creates()).toHaveLength(1);
    expect(server.creates()[0].body).toEqual(request);
  });

  test('THROTTLED phases are waited out', async () => {
    server.plan = () => ({ steps: ['PENDING', 'THROTTLED', 'THROTTLED', 'THROTTLED', 'RUNNING', 'SUCCEEDED'] });
    const result = await client().textToImage(request);
    expect(result.polls).toBe(6);
    expect(server.creates()).toHaveLength(1);
  });

  test.each([
    ['SAFETY.INPUT.TEXT', 'API_MODERATION', /content moderation refused the prompt/],
    ['SAFETY.OUTPUT.IMAGE', 'API_MODERATION', /withheld the generated image/],
    ['INTERNAL.BAD_OUTPUT.CODE01', 'API_FAILED', /could not produce a usable image/],
  ])('FAILED with %s: %s, never retried', async (code, expected, message) => {
    server.plan = () => ({ steps: ['RUNNING', { failed: code }] });
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe(expected);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(code);
    expect(server.creates()).toHaveLength(1);
    expect(server.cancels()).toEqual([]);
  });

  test('429 with Retry-After on create: waits as told, then succeeds', async () => {
    server.createFaults = [{ status: 429, retryAfter: '1', body: JSON.stringify({ error: 'You have exceeded your daily generation limit' }) }];
    const started = Date.now();
    const result = await client().textToImage(request);
    expect(result.createAttempts).toBe(2);
    const [first, second] = server.creates();
    expect(first.status).toBe(429);
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test('429 on every create: a quota error after the configured attempts', async () => {
    server.createFaults = [{ status: 429 }, { status: 429 }, { status: 429 }, { status: 429 }];
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_QUOTA');
    expect(error.httpCode).toBe(429);
    expect(server.creates()).toHaveLength(3);
  });

  test('a Retry-After beyond the deadline fails at once instead of sleeping past it', async () => {
    server.createFaults = [{ status: 429, retryAfter: '3600' }];
    const started = Date.now();
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_QUOTA');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.creates()).toHaveLength(1);
  });

  test('502 and 503 on create are retried; the third try succeeds', async () => {
    server.createFaults = [{ status: 502 }, { status: 503 }];
    const result = await client().textToImage(request);
    expect(result.createAttempts).toBe(3);
    expect(server.creates().map((entry) => entry.status)).toEqual([502, 503, 200]);
  });

  test('500 on create is not retried (the task may exist): a clear error', async () => {
    server.createFaults = [{ status: 500 }];
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_FAILED');
    expect(error.message).toMatch(/status 500/);
    expect(server.creates()).toHaveLength(1);
  });

  test('400 from Runway is reported with its message and not retried', async () => {
    server.createFaults = [{ status: 400, body: JSON.stringify({ error: 'promptText: too long' }) }];
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_REJECTED');
    expect(error.message).toContain('promptText: too long');
    expect(server.creates()).toHaveLength(1);
  });

  test('a hung create times out and is NOT retried (it may have billed)', async () => {
    server.createFaults = [{ hang: true }];
    const error = await failure(client({ requestTimeoutMs: 300 }).textToImage(request));
    expect(error.code).toBe('API_TIMEOUT');
    expect(error.message).toMatch(/not retried/);
    expect(server.creates()).toHaveLength(1);
  });

  test('a slow create within the request timeout succeeds', async () => {
    server.createFaults = [{ delayMs: 400 }];
    const result = await client({ requestTimeoutMs: 2000 }).textToImage(request);
    expect(result.createAttempts).toBe(1);
  });

  test('malformed JSON on create: an error, no second create', async () => {
    server.createFaults = [{ malformed: true }];
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_FAILED');
    expect(error.message).toMatch(/not valid JSON; not retried/);
    expect(server.creates()).toHaveLength(1);
  });

  test('500/502/503 and malformed answers while polling are retried (reads are safe)', async () => {
    server.pollFaults = [{ status: 500 }, { status: 502 }, { malformed: true }, { status: 503, retryAfter: '0' }];
    const result = await client({ retryAttempts: 5 }).textToImage(request);
    expect(result.createAttempts).toBe(1);
    expect(server.creates()).toHaveLength(1);
  });

  test('a hung poll that never recovers: timeout error and the task is cancelled', async () => {
    server.pollFaults = [{ hang: true }, { hang: true }, { hang: true }];
    const error = await failure(client({ requestTimeoutMs: 200 }).textToImage(request));
    expect(error.code).toBe('API_TIMEOUT');
    expect(server.cancels()).toHaveLength(1);
    expect(server.creates()).toHaveLength(1);
  });

  test('throttled past the deadline: a timeout that says so, and the task is cancelled', async () => {
    server.plan = () => ({ steps: ['THROTTLED'] });
    const error = await failure(client({ timeoutMs: 600 }).textToImage(request));
    expect(error.code).toBe('API_TIMEOUT');
    expect(error.message).toMatch(/throttled by Runway/);
    expect(server.cancels()).toHaveLength(1);
  });

  test('throttled, then the deadline runs out during a poll: the same timeout that says so, and the task is cancelled', async () => {
    server.plan = () => ({ steps: ['THROTTLED'] });
    server.pollFaults = [{ delayMs: 0 }, { hang: true }, { hang: true }, { hang: true }];
    const error = await failure(client({ timeoutMs: 1000 }).textToImage(request));
    expect(error.code).toBe('API_TIMEOUT');
    expect(error.message).toMatch(/did not finish within 1000 ms \(last status THROTTLED; throttled by Runway/);
    expect(server.cancels()).toHaveLength(1);
  });

  test('an output URL that answers HTML is refused', async () => {
    server.plan = () => ({ steps: ['SUCCEEDED'], output: 'html' });
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_OUTPUT');
    expect(error.message).toMatch(/text\/html instead of an image/);
  });

  test('an output larger than the cap is refused', async () => {
    server.plan = () => ({ steps: ['SUCCEEDED'], output: 'huge' });
    const error = await failure(client({ maxOutputBytes: 256 * 1024 }).textToImage(request));
    expect(error.code).toBe('API_OUTPUT');
    expect(error.message).toMatch(/larger than allowed/);
  });

  test('an expired output URL: the task is read again for a fresh URL', async () => {
    server.plan = () => ({ steps: ['SUCCEEDED'], output: 'expired-once' });
    const result = await client().textToImage(request);
    expect(result.data.length).toBeGreaterThan(0);
    expect(server.log.filter((e) => e.path.startsWith('/outputs/')).map((e) => e.status)).toEqual([403, 200]);
  });

  test('an output that stays expired: a clear error', async () => {
    server.plan = () => ({ steps: ['SUCCEEDED'], output: 'expired' });
    const error = await failure(client().textToImage(request));
    expect(error.code).toBe('API_OUTPUT');
    expect(error.message).toMatch(/expired/);
    expect(server.creates()).toHaveLength(1);
  });

  test('a wrong key: an auth error that does not echo the key', async () => {
    const wrong = new RunwayClient({
      apiKey: 'key_wrong_secret_value',
      baseUrl: server.url,
      timeoutMs: 3000,
      retryAttempts: 3,
      retryDelayMs: 10,
      pollIntervalMs: 10,
      concurrency: 1,
    });
    const error = await failure(wrong.textToImage(request));
    expect(error.code).toBe('API_AUTH');
    expect(error.message).not.toContain('key_wrong_secret_value');
    expect(server.creates()).toHaveLength(1);
  });

  test('cancelling the execution cancels the Runway task', async () => {
    server.plan = () => ({ steps: ['RUNNING'] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await failure(client().textToImage(request, controller.signal));
    expect(error.code).toBe('CANCELLED');
    expect(server.cancels()).toHaveLength(1);
  });

  test('requests are checked before anything is sent', async () => {
    const c = client();
    expect((await failure(c.textToImage({ ...request, model: 'gen4_image_turbo' }))).message).toMatch(
      /referenceImages: gen4_image_turbo needs 1 to 3 reference images/,
    );
    expect((await failure(c.textToImage({ ...request, promptText: 'x'.repeat(1001) }))).message).toMatch(/promptText/);
    expect((await failure(c.textToImage({ ...request, ratio: '1000:1000' as never }))).message).toMatch(/ratio/);
    expect(
      (await failure(c.textToImage({ ...request, model: 'gen4_image_turbo', referenceImages: [{ uri: 'data:image/png;base64,AAAA', tag: '1x' }] }))).message,
    ).toMatch(/tag/);
    expect(server.log).toEqual([]);
  });

  test('organization: the credential test call', async () => {
    const organization = await client().organization();
    expect(organization.creditBalance).toBe(1234);
  });

  test('the real API is https and polled no faster than every 5 s', () => {
    expect(
      () =>
        new RunwayClient({
          apiKey: 'k',
          baseUrl: 'http://api.example.com',
          timeoutMs: 1000,
          retryAttempts: 1,
          retryDelayMs: 0,
          pollIntervalMs: 10,
          concurrency: 1,
        }),
    ).toThrow(/must use https/);
  });

  test('20 items, concurrency 2, random THROTTLED phases: 20 results, never more than 2 in flight', async () => {
    const random = mulberry32(42);
    server.plan = () => {
      const steps: StatusStep[] = ['PENDING'];
      const throttled = Math.floor(random() * 4);
      for (let i = 0; i < throttled; i++) steps.push('THROTTLED');
      steps.push('RUNNING', 'SUCCEEDED');
      return { steps };
    };
    const shared = client({ concurrency: 2 });
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const result = await shared.textToImage({ ...request, seed: i });
        peak = Math.max(peak, shared.inFlight);
        return result;
      }),
    );
    expect(results).toHaveLength(20);
    expect(new Set(results.map((r) => r.taskId)).size).toBe(20);
    expect(server.creates()).toHaveLength(20);
    expect(server.maxActive).toBeLessThanOrEqual(2);
    expect(server.maxActive).toBe(2);
    expect(peak).toBeLessThanOrEqual(2);
  });

  test('a poll answer over the size cap is refused without buffering it whole', async () => {
    const huge = JSON.stringify({ id: 'x', status: 'RUNNING', padding: 'x'.repeat(MAX_API_ANSWER_BYTES + 1) });
    server.pollFaults = Array.from({ length: 10 }, () => ({ status: 200, body: huge }));
    const before = process.memoryUsage().rss;
    const error = await failure(client({ retryAttempts: 2 }).textToImage(request));
    expect(error.message).toMatch(/larger than allowed/);
    // The whole answer is a few MB here; the cap stops reading at 1 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  describe('through an HTTP proxy (HTTP_PROXY / NO_PROXY, as n8n honours them)', () => {
    const saved = {
      HTTP_PROXY: process.env.HTTP_PROXY,
      http_proxy: process.env.http_proxy,
      HTTPS_PROXY: process.env.HTTPS_PROXY,
      https_proxy: process.env.https_proxy,
      NO_PROXY: process.env.NO_PROXY,
      no_proxy: process.env.no_proxy,
    };
    let proxy: LoopbackProxy;
    beforeEach(async () => {
      proxy = await LoopbackProxy.start();
      for (const key of Object.keys(saved)) delete process.env[key];
    });
    afterEach(async () => {
      await proxy.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    test('API calls and the output download go through the proxy', async () => {
      process.env.HTTP_PROXY = proxy.url;
      const result = await client().textToImage(request);
      expect(result.data.subarray(1, 4).toString()).toBe('PNG');
      const host = new URL(server.url).host;
      expect(proxy.seen.filter((line) => line.startsWith(`POST http://${host}/v1/text_to_image`))).toHaveLength(1);
      expect(proxy.seen.some((line) => line.startsWith(`GET http://${host}/v1/tasks/`))).toBe(true);
      expect(proxy.seen.some((line) => line.startsWith(`GET http://${host}/outputs/`))).toBe(true);
    });

    test('an https API goes through a CONNECT tunnel: TLS runs end to end, the proxy sees no request', async () => {
      process.env.HTTPS_PROXY = proxy.url;
      const port = new URL(server.url).port;
      // The test server speaks plain HTTP, so the TLS handshake inside the tunnel fails: what
      // matters is that the proxy was asked for a tunnel and never saw the request itself.
      await failure(client({ baseUrl: `https://127.0.0.1:${port}`, retryAttempts: 1 }).textToImage(request));
      delete process.env.HTTPS_PROXY;
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
    });

    test('NO_PROXY names hosts that are reached directly', async () => {
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = '127.0.0.1';
      await client().textToImage(request);
      expect(proxy.seen).toEqual([]);
    });

    test('a proxy that refuses is an error naming the cause, not a hang', async () => {
      process.env.HTTP_PROXY = proxy.url;
      proxy.refuse = true;
      const error = await failure(client({ retryAttempts: 1 }).textToImage(request));
      expect(error.message).toMatch(/502|proxy/i);
      expect(server.creates()).toHaveLength(0);
    });
  });

  test('the ratio follows the photo: nearest accepted ratio on a log scale', () => {
    expect(nearestRatio(4000, 3000)).toBe('1440:1080');
    expect(nearestRatio(3000, 4000)).toBe('1080:1440');
    expect(nearestRatio(1000, 1000)).toBe('1080:1080');
    expect(nearestRatio(1920, 1080)).toBe('1920:1080');
    expect(nearestRatio(3000, 1000)).toBe('1808:768');
  });
});
