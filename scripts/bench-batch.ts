/**
 * npm run bench:batch — the weekly template in n8n queue mode over 40 photos of about 1 MP
 * (the fixture photos, 10 copies of 4), once with 1 worker and once with 2, each on a fresh
 * local n8n (Redis + main + workers, see test/e2e/queueCluster.ts) and a fresh sidecar root.
 * Prints images per minute for each and the ratio. Needs redis-server (apt-get install).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createInstance, removeWorkDir } from '../testkit/n8nHarness';
import { QueueCluster, until } from '../testkit/queueCluster';
import { photoPath } from '../testkit/fixtures';
import { configuredTemplate } from '../testkit/batchTemplate';
import { MediaFixtureServer } from '../testkit/mediaFixtureServer';

const PHOTOS = ['apple.jpg', 'coffee.png', 'motorcycle_left.png', 'butterfly.jpg'];

async function run(workers: number): Promise<{ perMinute: number; seconds: number; processed: number }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `vbg-bench-batch-${workers}-`));
  const instance = createInstance(work);
  const server = await new MediaFixtureServer({ photos: PHOTOS.map(photoPath), sidecarRoot: path.join(work, 'media'), copies: 10, longSide: 1150 }).start();
  const cluster = new QueueCluster(instance);
  try {
    const outputDir = path.join(work, 'media', 'background');
    fs.mkdirSync(outputDir, { recursive: true });
    const id = `vbgBenchBatch0${workers}`;
    const template = configuredTemplate({ mediaApiUrl: server.url, sidecarRoot: path.join(work, 'media'), outputDir, reviewBelow: 0 }, id) as {
      nodes: Array<{ name: string; disabled?: boolean }>;
    };
    template.nodes.find((node) => node.name === 'Run via Webhook')!.disabled = false;
    const file = path.join(work, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template));
    await cluster.start([file], [id], workers);
    const started = Date.now();
    await cluster.trigger('vitrinealu-background-batch');
    await until('the batch', () => cluster.finishedExecutions() > 0, 1_800_000, 250);
    const seconds = (Date.now() - started) / 1000;
    const processed = new Set(server.updates.map((update) => update.id)).size;
    return { perMinute: (processed / seconds) * 60, seconds, processed };
  } finally {
    cluster.stop();
    await server.close();
    removeWorkDir(work);
  }
}

async function main() {
  const one = await run(1);
  console.log(`1 worker : ${one.processed} photos in ${one.seconds.toFixed(1)} s = ${one.perMinute.toFixed(1)} images/minute`);
  const two = await run(2);
  console.log(`2 workers: ${two.processed} photos in ${two.seconds.toFixed(1)} s = ${two.perMinute.toFixed(1)} images/minute`);
  console.log(`ratio 2 workers / 1 worker: ${(two.perMinute / one.perMinute).toFixed(2)}x (${os.cpus().length} cores)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
