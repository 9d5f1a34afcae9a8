import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

import { n8n, type N8nInstance } from './n8nHarness';

/**
 * n8n in queue mode on this machine: Redis (Debian's redis-server) on a loopback port, one
 * `n8n start` main and N `n8n worker` processes sharing the instance's user folder (and so
 * its SQLite database, encryption key and filesystem binary data). Used by the queue-mode
 * test and by bench:batch.
 */
export interface Process {
  child: ChildProcess;
  log: string[];
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 500): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): Process {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  return { child, log };
}

const kill = (process?: Process) => {
  if (process && process.child.exitCode === null) process.child.kill('SIGKILL');
};

export class QueueCluster {
  readonly workers: Process[] = [];
  private redis?: Process;
  private main?: Process;
  private env: NodeJS.ProcessEnv = {};
  port = 0;

  constructor(private readonly instance: N8nInstance) {}

  /** Imports and publishes the workflows first (main activates published ones at start). */
  async start(workflowFiles: string[], workflowIds: string[], workers: number): Promise<void> {
    for (const file of workflowFiles) await this.cli(['import:workflow', `--input=${file}`]);
    for (const id of workflowIds) await this.cli(['publish:workflow', `--id=${id}`]);
    const redisPort = await freePort();
    this.port = await freePort();
    this.redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env);
    await until('redis', () => this.redis!.log.join('').includes('Ready to accept connections'), 20_000);
    this.env = {
      ...this.instance.env,
      EXECUTIONS_MODE: 'queue',
      QUEUE_BULL_REDIS_HOST: '127.0.0.1',
      QUEUE_BULL_REDIS_PORT: String(redisPort),
      N8N_PORT: String(this.port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      // A killed worker's job is noticed as stalled within seconds.
      QUEUE_WORKER_LOCK_DURATION: '8000',
      QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
      QUEUE_WORKER_STALLED_INTERVAL: '4000',
      QUEUE_HEALTH_CHECK_ACTIVE: 'false',
      N8N_LOG_LEVEL: 'info',
    };
    // Each process runs its own task-runner broker: each gets a free port.
    this.main = start(this.instance.node, [this.instance.n8nBin, 'start'], { ...this.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) });
    await until(
      'n8n main',
      async () =>
        fetch(`http://127.0.0.1:${this.port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      180_000,
    );
    for (let i = 0; i < workers; i++) this.workers.push(await this.startWorker());
    await until('the workers', () => this.workers.every((w) => w.log.join('').includes('n8n worker is now ready')), 120_000);
  }

  async startWorker(): Promise<Process> {
    return start(this.instance.node, [this.instance.n8nBin, 'worker', '--concurrency=2'], {
      ...this.env,
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
    });
  }

  async restartWorker(index: number): Promise<void> {
    kill(this.workers[index]);
    this.workers[index] = await this.startWorker();
  }

  /** The index of the worker whose log shows it running an execution, or -1. */
  busyWorker(): number {
    return this.workers.findIndex((w) => /Worker started execution/.test(w.log.join('')));
  }

  /** Waits until main serves the webhook (a GET answers "POST only": a probe that starts nothing), then POSTs it. */
  async trigger(path: string): Promise<void> {
    const url = `http://127.0.0.1:${this.port}/webhook/${path}`;
    await until(
      `the webhook ${path}`,
      async () => {
        const probe = await fetch(url).then(
          (r) => r.text(),
          () => '',
        );
        return /POST/.test(probe) && !/is not registered\./.test(probe);
      },
      120_000,
    );
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!response.ok) throw new Error(`webhook ${path}: ${response.status} ${await response.text()}`);
  }

  /** Executions main reports finished (from its log). */
  finishedExecutions(): number {
    return (this.main?.log.join('').match(/Execution \d+ \(job \d+\) finished/g) ?? []).length;
  }

  logs(): string {
    return [`MAIN\n${this.main?.log.join('').slice(-5000)}`, ...this.workers.map((w, i) => `WORKER ${i + 1}\n${w.log.join('').slice(-5000)}`)].join('\n');
  }

  stop(): void {
    for (const worker of this.workers) kill(worker);
    kill(this.main);
    kill(this.redis);
  }

  private async cli(args: string[]): Promise<void> {
    const result = await n8n(this.instance, args);
    if (result.status !== 0) throw new Error(`n8n ${args[0]} failed:\n${result.stdout.slice(-3000)}${result.stderr.slice(-3000)}`);
  }
}
