import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A directory held open, so names in it resolve relative to that directory even if a
 * component of its path is swapped for a symlink afterwards (Linux: /proc/self/fd/N/name;
 * elsewhere the plain path, checked once). `real` is where it really is, read from the
 * open descriptor.
 */
export interface PinnedDirectory {
  real: string;
  path(name: string): string;
  close(): Promise<void>;
}

export async function pinDirectory(dir: string): Promise<PinnedDirectory> {
  if (process.platform === 'linux') {
    const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const base = `/proc/self/fd/${handle.fd}`;
      const real = await fs.realpath(base);
      return { real, path: (name) => path.join(base, name), close: () => handle.close() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  const real = await fs.realpath(dir);
  return { real, path: (name) => path.join(real, name), close: async () => undefined };
}

/** Opens a regular file for reading without following a symlink or blocking on a FIFO. */
export async function openRegularFile(file: string): Promise<fs.FileHandle> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    const error = new Error(
      `not a regular file (${stat.isFIFO() ? 'a FIFO' : stat.isDirectory() ? 'a directory' : stat.isSocket() ? 'a socket' : 'a device'})`,
    ) as NodeJS.ErrnoException;
    error.code = 'ENOTREG';
    throw error;
  }
  return handle;
}

/**
 * Creates the folders of `relative` (a folder path inside `root`, which must be a real path)
 * one level at a time, each made in its parent held open and then opened without following
 * a link: a level swapped for a symbolic link (to anywhere) is refused, never created
 * through, so no folder is ever made outside the root. Elsewhere than Linux, a plain mkdir -p.
 */
export async function createFoldersInside(root: string, relative: string): Promise<void> {
  const parts = relative.split(path.sep).filter((part) => part && part !== '.');
  if (parts.length === 0) return;
  if (process.platform !== 'linux') {
    await fs.mkdir(path.join(root, ...parts), { recursive: true });
    return;
  }
  let parent = await fs.open(root, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (const [level, part] of parts.entries()) {
      if (part === '..') throw Object.assign(new Error(`"${parts.slice(0, level + 1).join('/')}" leaves the root`), { code: 'ELOOP' });
      const inParent = `/proc/self/fd/${parent.fd}/${part}`;
      await fs.mkdir(inParent).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      // O_NOFOLLOW: a link put in its place is ELOOP, never entered.
      const child = await fs.open(inParent, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      await parent.close();
      parent = child;
    }
  } finally {
    await parent.close().catch(() => undefined);
  }
}
