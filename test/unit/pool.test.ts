import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodeImage } from '../../src/engine/image/decode';
import { closeWorkerPool, WorkerPool } from '../../src/engine/runtime/pool';
import { mapWithConcurrency } from '../../src/engine/runtime/concurrency';
import { resolveModel } from '../../src/engine/segment/model';
import { segmentImage } from '../../src/engine/segment/segmenter';
import { modelCacheDir, readPhoto } from '../helpers/fixtures';

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
    // A blocking run() would freeze the loop for the whole inference (seconds).
    expect(longestGap).toBeLessThan(Math.max(400, elapsed / 3));
    expect(ticks).toBeGreaterThan(elapsed / 20 / 4);
  });

  test('a worker that dies fails only its task, and the pool recovers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-'));
    const script = path.join(dir, 'worker.js');
    fs.writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', ({ id, request }) => {
         if (request.width === 13) process.exit(3);
         parentPort.postMessage({ id, ok: true, result: { rgb: new Uint8Array([request.width]), ms: 0 } });
       });`,
    );
    const pool = new WorkerPool(script, 1);
    const request = (width: number) => ({ kind: 'foreground' as const, width, height: 1, rgb: new Uint8Array(3), alpha: new Uint8Array(1) });
    await expect(pool.foreground(request(13))).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/exited with code 3/) });
    const ok = await pool.foreground(request(7));
    expect([...ok.rgb]).toEqual([7]);
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
    await expect(mapWithConcurrency(5, 2, async (i) => { if (i === 2) throw new Error('boom'); return i; })).rejects.toThrow('boom');
  });
});
