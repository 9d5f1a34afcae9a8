import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { configuredTemplate } from '../../scripts/batch-template';
import { MediaFixtureServer } from '../../scripts/media-fixture-server';
import { sidecarSchema } from '../../src/engine/sidecar';
import { photoPath } from '../helpers/fixtures';
import { createInstance, n8n, type N8nInstance } from './n8nHarness';

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

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Timed out waiting for ${what}`);
};

interface Process {
  child: ChildProcess;
  log: string[];
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): Process {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  return { child, log };
}

const stop = (process?: Process) => {
  if (process && process.child.exitCode === null) process.child.kill('SIGKILL');
};

// Redis comes from Debian (apt-get install redis-server; .ci/run does it). Without it the test
// is skipped with a notice, except where VBG_REQUIRE_QUEUE_TEST=1 (CI) makes that a failure.
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) {
  if (process.env.VBG_REQUIRE_QUEUE_TEST === '1') throw new Error('redis-server is not installed: apt-get install redis-server');
  console.warn('queue-mode test skipped: redis-server is not installed (apt-get install redis-server)');
}
const describeQueue = hasRedis ? describe : describe.skip;

describeQueue('the weekly batch template in n8n queue mode (Redis, main + 2 workers)', () => {
  let work: string;
  let instance: N8nInstance;
  let server: MediaFixtureServer;
  let redis: Process | undefined;
  let main: Process | undefined;
  const workers: Array<Process | undefined> = [];

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
    if (process.env.VBG_QUEUE_DEBUG) {
      console.log('MAIN', main?.log.join('').slice(-5000));
      workers.forEach((w, i) => console.log(`WORKER ${i + 1}`, w?.log.join('').slice(-5000)));
    }
    for (const worker of workers) stop(worker);
    stop(main);
    stop(redis);
    await server?.close();
  });

  test('kill the busy worker mid-run, restart it, run again: every photo processed, no sidecar damaged', async () => {
    const redisPort = await freePort();
    const n8nPort = await freePort();
    redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env);
    await until('redis', () => redis!.log.join('').includes('Ready to accept connections'), 20_000);

    const outputDir = path.join(work, 'media', 'background');
    fs.mkdirSync(outputDir, { recursive: true });
    const template = configuredTemplate({ mediaApiUrl: server.url, sidecarRoot: path.join(work, 'media'), outputDir }, WORKFLOW_ID) as { nodes: Array<{ name: string; disabled?: boolean }> };
    template.nodes.find((node) => node.name === 'Run via Webhook')!.disabled = false;
    const file = path.join(work, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template));
    for (const args of [['import:workflow', `--input=${file}`], ['publish:workflow', `--id=${WORKFLOW_ID}`]]) {
      const result = await n8n(instance, args);
      if (result.status !== 0) console.log(result.stdout.slice(-3000), result.stderr.slice(-3000));
      expect(result.status).toBe(0);
    }

    const env: NodeJS.ProcessEnv = {
      ...instance.env,
      EXECUTIONS_MODE: 'queue',
      QUEUE_BULL_REDIS_HOST: '127.0.0.1',
      QUEUE_BULL_REDIS_PORT: String(redisPort),
      N8N_PORT: String(n8nPort),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      // A killed worker's job is noticed as stalled within seconds and handed to another worker.
      QUEUE_WORKER_LOCK_DURATION: '8000',
      QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
      QUEUE_WORKER_STALLED_INTERVAL: '4000',
      QUEUE_HEALTH_CHECK_ACTIVE: 'false',
      N8N_LOG_LEVEL: 'info',
    };
    // Each process runs its own task-runner broker: give each a free port.
    main = start(instance.node, [instance.n8nBin, 'start'], { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) });
    await until('n8n main', async () => fetch(`http://127.0.0.1:${n8nPort}/healthz`).then((r) => r.ok, () => false), 180_000);
    const startWorker = async () => start(instance.node, [instance.n8nBin, 'worker', '--concurrency=2'], { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()), QUEUE_HEALTH_CHECK_PORT: String(await freePort()) });
    workers.push(await startWorker(), await startWorker());
    await until('workers', () => workers.every((w) => /worker.*ready|Worker started|n8n worker is now ready/i.test(w!.log.join(''))), 120_000).catch(() => undefined);

    // The webhook is live once main has activated the published workflow: a GET then says it
    // only takes POST (a probe that does not start a run).
    await until('the webhook', async () => {
      const probe = await fetch(`http://127.0.0.1:${n8nPort}/webhook/${WEBHOOK_PATH}`).then((r) => r.text(), () => '');
      return /POST/.test(probe) && !/is not registered\./.test(probe);
    }, 120_000);
    const trigger = async () => {
      const response = await fetch(`http://127.0.0.1:${n8nPort}/webhook/${WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!response.ok) console.log(main!.log.join('').slice(-4000));
      expect(response.status).toBe(200);
    };
    const good = server.items.filter((item) => item.fileName !== 'corrupt.jpg');
    const sidecarOf = (item: (typeof good)[number]) => path.join(work, 'media', item.sidecarPath);
    const processed = () => good.filter((item) => JSON.parse(fs.readFileSync(sidecarOf(item), 'utf8')).background).length;

    await trigger();
    await until('the first photos', () => server.updates.length >= 3, 300_000);
    // The worker that is running the execution is the one whose log shows it.
    const busy = workers.findIndex((w) => /start(ed)? (job|execution)|Execution \d+|Worker started execution/i.test(w!.log.join('')));
    const victim = busy >= 0 ? busy : 0;
    workers[victim]!.child.kill('SIGKILL');
    const doneBeforeKill = processed();
    workers[victim] = await startWorker();
    // The stalled job is picked up again (or crashes); give it time either way.
    await until('the batch to settle', async () => {
      const before = server.updates.length;
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      return server.updates.length === before;
    }, 600_000);
    const afterFirst = processed();

    await trigger();
    await until('every photo processed', () => processed() === good.length, 600_000).catch(() => undefined);
    // Let the second run reach its end (the corrupt photo, the summary).
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    console.log(`queue mode: ${good.length} photos, ${doneBeforeKill} processed when worker ${victim + 1} was killed, ${afterFirst} after the first run, ${processed()} after the second; record updates ${server.updates.length}`);

    expect(processed()).toBe(good.length);
    for (const item of good) {
      const sidecar = sidecarSchema.parse(JSON.parse(fs.readFileSync(sidecarOf(item), 'utf8')));
      expect(sidecar).toMatchObject({ brand: 'vitrinealu', background: { mode: 'replace', engine: 'studio' } });
      expect(fs.existsSync(path.join(outputDir, path.basename(sidecar.background!.outJpg!)))).toBe(true);
    }
    expect(fs.readdirSync(path.join(work, 'media', 'curated')).filter((name) => !name.endsWith('.json'))).toEqual([]);
    // Every photo's record was updated; more than once only for photos in flight at the kill.
    const perPhoto = new Map<string, number>();
    for (const update of server.updates) perPhoto.set(update.id, (perPhoto.get(update.id) ?? 0) + 1);
    expect([...perPhoto.keys()].sort()).toEqual(good.map((item) => item.id).sort());
    // (The record is updated before the sidecar, the commit marker: a photo killed in between
    // is processed again and its record updated twice, never left stale. At most the photos
    // in flight at the kill, BG_CONCURRENCY = 5.)
    expect([...perPhoto.values()].every((count) => count <= 2)).toBe(true);
    expect([...perPhoto.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(5);
  }, 2_400_000);
});
