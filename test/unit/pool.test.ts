import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodeImage } from '../../src/engine/image/decode';
import { guidedUpsampleInPool } from '../../src/engine/matte/guidedTask';
import { closeWorkerPool, poolForPixelWork, getWorkerPool, WorkerPool } from '../../src/engine/runtime/pool';
import { mapWithConcurrency } from '../../src/engine/runtime/concurrency';
import { resolveModel } from '../../src/engine/segment/model';
import { segmentImage } from '../../src/engine/segment/segmenter';
import { modelCacheDir, readPhoto } from '../../testkit/fixtures';

afterAll(() => closeWorkerPool());

describe('inference runs off the main thread', () => {
  test('the event loop keeps ticking while a segmentation runs', async () => {
    const model = resolveModel({ cacheDir: modelCacheDir() });
    const { image } = await decodeImage(readPhoto('coffee.png'));
    const options = { model, device: 'cpu' as const, threads: 0, graphOptimization: 'basic' as const };
    await segmentImage(image, options); // warm: session creation happens in the worker too
    let last = performance.now();
    let longestGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 20);
    const started = performance.now();
    await segmentImage(image, options);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    console.log(`segmentation ${elapsed.toFixed(0)} ms, ${ticks} ticks, longest event-loop gap ${longestGap.toFixed(0)} ms`);
    // A blocking run() would freeze the loop for the whole inference (one gap as long as the
    // segmentation, no ticks in it). Relative bounds: a busy machine slows both alike.
    expect(longestGap).toBeLessThan(elapsed / 2);
    expect(ticks).toBeGreaterThan(elapsed / 20 / 8);
  });

  test("pixel work does not wait behind another photo's inference (a batch overlaps); with the segmentation thread free it runs there", async () => {
    const model = resolveModel({ cacheDir: modelCacheDir() });
    const { image } = await decodeImage(readPhoto('coffee.png'));
    const options = { model, device: 'cpu' as const, threads: 0, graphOptimization: 'basic' as const, upscale: 'smooth' as const };
    await segmentImage(image, options);
    expect(poolForPixelWork()).toBe(getWorkerPool());
    const finished: string[] = [];
    const inference = segmentImage(image, options).then(() => finished.push('inference'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(poolForPixelWork()).not.toBe(getWorkerPool());
    const side = 64;
    const pixels = guidedUpsampleInPool({
      width: side,
      height: side,
      channels: 3,
      image: new Uint8Array(side * side * 3).fill(128),
      matte: new Uint8Array(side * side).fill(100),
      radius: 4,
      epsilon: 1e-4,
    }).then(() => finished.push('pixels'));
    await Promise.all([inference, pixels]);
    expect(finished).toEqual(['pixels', 'inference']);
  });

  test('a worker that dies fails only its task, and the pool recovers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-'));
    const tasks = path.join(dir, 'tasks.js');
    fs.writeFileSync(
      tasks,
      `exports.tasks = {
         echo: async (request) => {
           if (request.width === 13) process.exit(3);
           return { result: { rgb: new Uint8Array([request.width]) } };
         },
       };`,
    );
    const pool = new WorkerPool(1);
    const request = (width: number) => ({ width });
    await expect(pool.run(tasks, 'echo', request(13))).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/exited with code 3/) });
    const ok = await pool.run<{ rgb: Uint8Array }>(tasks, 'echo', request(7));
    expect([...ok.rgb]).toEqual([7]);
    await expect(pool.run(tasks, 'missing', request(1))).rejects.toThrow(/has no task "missing"/);
    await pool.close();
  });

  test('a cancel answers the caller at once, queued or running; a running task sees it and stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-'));
    const tasks = path.join(dir, 'tasks.js');
    fs.writeFileSync(
      tasks,
      `exports.tasks = {
         steps: async (request, context) => {
           for (let step = 1; step <= request.steps; step++) {
             if (context.cancelled()) { globalThis.stoppedAt = step; const e = new Error('stopped at ' + step); e.code = 'CANCELLED'; throw e; }
             context.progress(step);
             await new Promise((r) => setTimeout(r, 20));
           }
           return { result: request.steps };
         },
         burst: async (request, context) => {
           for (let step = 1; step <= request.steps; step++) context.progress(step);
           return { result: request.steps };
         },
         stoppedAt: async () => ({ result: globalThis.stoppedAt }),
       };`,
    );
    const pool = new WorkerPool(1);
    const controller = new AbortController();
    const seen: unknown[] = [];
    const running = pool.run(
      tasks,
      'steps',
      { steps: 1000 },
      {
        signal: controller.signal,
        onProgress: (step) => {
          seen.push(step);
          if (step === 3) controller.abort();
        },
      },
    );
    const queuedController = new AbortController();
    const queued = pool.run(tasks, 'steps', { steps: 2 }, { signal: queuedController.signal });
    queuedController.abort();
    await expect(queued).rejects.toMatchObject({ code: 'CANCELLED', message: 'Cancelled before it started' });
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED', message: 'Cancelled while running' });
    expect(seen).toEqual([1, 2, 3]);
    // The thread is busy until the task has stopped, so this runs after it.
    expect(await pool.run<number>(tasks, 'stoppedAt', {})).toBeGreaterThanOrEqual(4);
    expect(await pool.run<number>(tasks, 'stoppedAt', {})).toBeLessThan(20);
    // A task that finishes before the thread reads the cancel still answers CANCELLED.
    const burstController = new AbortController();
    const burst = pool.run(tasks, 'burst', { steps: 50 }, { signal: burstController.signal, onProgress: (step) => step === 2 && burstController.abort() });
    await expect(burst).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await pool.run(tasks, 'steps', { steps: 2 })).toBe(2);
    await pool.close();
  });
});

describe('mapWithConcurrency', () => {
  test('keeps order and never exceeds the limit', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapWithConcurrency(12, 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5 + ((i * 7) % 11)));
      running--;
      return i * 2;
    });
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });
  test('rethrows the first failure', async () => {
    await expect(
      mapWithConcurrency(5, 2, async (i) => {
        if (i === 2) throw new Error('boom');
        return i;
      }),
    ).rejects.toThrow('boom');
  });
});
