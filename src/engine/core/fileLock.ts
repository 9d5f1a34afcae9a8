import fs from 'node:fs/promises';

import { EngineError } from './errors';
import { siblingPath } from './fileNames';
import { alive, HOST, WRITER } from './writer';

/**
 * An exclusive lock on one file, for read-modify-write transactions between processes and
 * hosts: `<file>.lock` (its name shortened with a hash near the 255-byte limit: fileNames.ts), created with O_EXCL, holding its writer (pid@host) and the time.
 * A lock whose writer is a dead process on this host is taken over at once; one from another
 * host (a shared folder) only once it is older than `staleMs` (locks are held for
 * milliseconds). Waiting is bounded: past `timeoutMs` a clear error names the holder.
 * Written here rather than taken from proper-lockfile: that one tells stale locks by age
 * alone (a killed worker would block its sidecars for the whole stale period) and does not
 * name the holder.
 */
const OWNER = WRITER;

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
  /** For messages: what is locked ("Sidecar curated/a.json"). */
  what?: string;
}

async function holder(lockPath: string): Promise<{ owner: string; since?: string; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    const [owner = '', since] = text.trim().split(' ');
    return { owner, since, mtimeMs: stat.mtimeMs };
  } catch {
    return undefined; // released meanwhile
  }
}

function isStale(found: { owner: string; mtimeMs: number }, staleMs: number): boolean {
  const match = /^(\d+)@([A-Za-z0-9-]+)$/.exec(found.owner);
  if (match && match[2] === HOST) return Number(match[1]) !== process.pid && !alive(Number(match[1]));
  return Date.now() - found.mtimeMs > staleMs;
}

/**
 * Removes a stale lock by renaming it away: of several that saw the same stale lock, one wins
 * the rename; one that renamed a fresh lock instead (taken meanwhile) puts it back.
 */
async function removeStale(lockPath: string, found: { owner: string; since?: string }): Promise<void> {
  const aside = siblingPath(lockPath, `.stale-${OWNER}-${Math.random().toString(36).slice(2)}`);
  const moved = await fs.rename(lockPath, aside).then(
    () => true,
    () => false,
  );
  if (!moved) return;
  const taken = await holder(aside);
  if (taken && taken.owner === found.owner && taken.since === found.since) await fs.rm(aside, { force: true });
  else await fs.rename(aside, lockPath).catch(() => fs.rm(aside, { force: true }));
}

/**
 * Clears `<file>.lock` when it is stale (its writer killed mid-transaction); a reader calls it
 * so a file nobody writes again keeps no lock beside it. A live writer's lock stays.
 */
export async function clearStaleLock(file: string, options: Pick<LockOptions, 'staleMs'> = {}): Promise<boolean> {
  const lockPath = siblingPath(file, '.lock');
  const found = await holder(lockPath);
  if (!found || !isStale(found, options.staleMs ?? 30_000)) return false;
  await removeStale(lockPath, found);
  return true;
}

export async function withFileLock<T>(file: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lockPath = siblingPath(file, '.lock');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const started = Date.now();
  const token = `${OWNER} ${new Date().toISOString()} ${Math.random().toString(36).slice(2)}\n`;
  let delay = 2;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = await holder(lockPath);
    if (found && isStale(found, staleMs)) {
      await removeStale(lockPath, found);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const by = found ? `${found.owner}${found.since ? ` since ${found.since}` : ''}` : 'another writer';
      throw new EngineError(
        'SIDECAR_CONFLICT',
        `${options.what ?? file} is locked by ${by}; gave up after ${Math.round(timeoutMs / 1000)} s (run the item again)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(100, delay * 2);
  }
  try {
    return await work();
  } finally {
    // Only our own lock: compare the token before removing.
    const current = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
    if (current === token) await fs.rm(lockPath, { force: true });
  }
}
