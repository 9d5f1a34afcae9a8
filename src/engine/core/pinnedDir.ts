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
