import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { configuredTemplate } from '../../testkit/batchTemplate';
import { MediaFixtureServer } from '../../testkit/mediaFixtureServer';
import { sidecarSchema } from '../../src/engine/sidecar';
import { photoPath } from '../../testkit/fixtures';
import { createInstance, type N8nInstance, removeWorkDir } from '../../testkit/n8nHarness';
import { QueueCluster, until } from '../../testkit/queueCluster';

/**
 * n8n's queue mode, the way a team outgrows one process: Redis (Debian's redis-server on a
 * loopback port), one n8n main and two `n8n worker` processes sharing the user folder and
 * binary data on the filesystem. The template is started through its webhook (`n8n execute`
 * would run it in-process); the busy worker is killed in the middle and started again; then
 * the template runs a second time. Every good photo must end processed, with a valid sidecar,
 * and nothing half-written. Run alone: npm run test:queue.
 */
const WORKFLOW_ID = 'vbgE2eQueue0001';
const WEBHOOK_PATH = 'vitrinealu-background-batch';

// Redis comes from Debian (apt-get install redis-server; .ci/run does it). Without it the test
// is skipped with a notice, except where VBG_REQUIRE_QUEUE_TEST=1 (CI) makes that a failure.
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) {
  if (process.env.VBG_REQUIRE_QUEUE_TEST === '1') throw new Error('redis-server is not installed: apt-get install redis-server');
  // Straight to stderr: jest drops the console output of a file whose tests are all skipped.
  process.stderr.write('\nNOTICE: queue-mode test skipped: redis-server is not installed (apt-get install redis-server)\n');
}
const describeQueue = hasRedis ? describe : describe.skip;

describeQueue('the weekly batch template in n8n queue mode (Redis, main + 2 workers)', () => {
  let work: string;
  let instance: N8nInstance;
  let server: MediaFixtureServer;
  let cluster: QueueCluster | undefined;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vbg-queue-'));
    instance = createInstance(work);
    server = await new MediaFixtureServer({
      photos: [photoPath('apple.jpg'), photoPath('coffee.png'), photoPath('motorcycle_left.png'), photoPath('butterfly.jpg')],
      sidecarRoot: path.join(work, 'media'),
      corrupt: true,
      copies: 3,
      longSide: 1000,
    }).start();
  }, 1_500_000);

  afterAll(async () => {
    if (process.env.VBG_QUEUE_DEBUG) console.log(cluster?.logs());
    cluster?.stop();
    await server?.close();
    removeWorkDir(work);
  });

  test('kill the busy worker mid-run, restart it, run again: every photo processed, no sidecar damaged', async () => {
    const outputDir = path.join(work, 'media', 'background');
    fs.mkdirSync(outputDir, { recursive: true });
    // reviewBelow 0: this test is about a killed worker, not review; every photo must be processed.
    const template = configuredTemplate({ mediaApiUrl: server.url, sidecarRoot: path.join(work, 'media'), outputDir, reviewBelow: 0 }, WORKFLOW_ID) as {
      nodes: Array<{ name: string; disabled?: boolean }>;
    };
    template.nodes.find((node) => node.name === 'Run via Webhook')!.disabled = false;
    const file = path.join(work, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template));
    cluster = new QueueCluster(instance);
    await cluster.start([file], [WORKFLOW_ID], 2);

    const good = server.items.filter((item) => item.fileName !== 'corrupt.jpg');
    const sidecarOf = (item: (typeof good)[number]) => path.join(work, 'media', item.sidecarPath);
    const processed = () => good.filter((item) => JSON.parse(fs.readFileSync(sidecarOf(item), 'utf8')).background).length;

    await cluster.trigger(WEBHOOK_PATH);
    await until('the first photos', () => server.updates.length >= 3, 300_000);
    const busy = cluster.busyWorker();
    const victim = busy >= 0 ? busy : 0;
    const doneBeforeKill = processed();
    await cluster.restartWorker(victim);
    // n8n notices the stalled job; it retries it or gives it up. Wait until nothing moves.
    await until(
      'the batch to settle',
      async () => {
        const before = server.updates.length;
        await new Promise((resolve) => setTimeout(resolve, 20_000));
        return server.updates.length === before;
      },
      600_000,
      0,
    );
    const afterFirst = processed();

    const finished = cluster.finishedExecutions();
    await cluster.trigger(WEBHOOK_PATH);
    await until('the second run', () => cluster!.finishedExecutions() > finished, 600_000);
    console.log(
      `queue mode: ${good.length} photos, ${doneBeforeKill} processed when worker ${victim + 1} was killed, ${afterFirst} after the first run, ${processed()} after the second; record updates ${server.updates.length}`,
    );

    expect(processed()).toBe(good.length);
    for (const item of good) {
      const sidecar = sidecarSchema.parse(JSON.parse(fs.readFileSync(sidecarOf(item), 'utf8')));
      expect(sidecar).toMatchObject({ brand: 'vitrinealu', background: { mode: 'replace', engine: 'studio' } });
      expect(fs.existsSync(path.join(outputDir, path.basename(sidecar.background!.outJpg!)))).toBe(true);
    }
    expect(fs.readdirSync(path.join(work, 'media', 'curated')).filter((name) => !name.endsWith('.json'))).toEqual([]);
    // Every photo's record was updated. The record is updated before the sidecar (the commit
    // marker): a photo killed in between is processed again and its record updated twice,
    // never left stale; at most the photos in flight at the kill (BG_CONCURRENCY = 5).
    const perPhoto = new Map<string, number>();
    for (const update of server.updates) perPhoto.set(update.id, (perPhoto.get(update.id) ?? 0) + 1);
    expect([...perPhoto.keys()].sort()).toEqual(good.map((item) => item.id).sort());
    expect([...perPhoto.values()].every((count) => count <= 2)).toBe(true);
    expect([...perPhoto.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(5);
  }, 2_400_000);
});
