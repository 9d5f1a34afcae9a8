import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { siblingStem } from './fileNames';
import { alive, HOST } from './writer';

/** What a temporary name adds to its target's: '.', '.', a pid (at most 7 digits), '@host', '.', 8 hex digits, '.tmp'. */
const TEMP_RESERVE = 1 + 1 + 7 + 1 + Buffer.byteLength(HOST) + 1 + 8 + 4;

/** The target's name as its temporary files carry it, short enough for the file system. */
const tempStem = (base: string) => siblingStem(base, TEMP_RESERVE);

/**
 * Removes the temporary files that writers of `target` killed between writing and renaming
 * (a worker killed mid-batch) left beside it. They never replaced the target: only litter.
 */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${tempStem(base)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const writer = /^(\d+)@([A-Za-z0-9-]+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
    if (!writer || writer[2] !== HOST) continue;
    const pid = Number(writer[1]);
    if (pid !== process.pid && !alive(pid)) await fs.rm(path.join(dir, name), { force: true });
  }
}

/**
 * Writes a file so that readers only ever see the old or the whole new content: a
 * temporary file in the same directory, flushed, then renamed over the target.
 */
export async function writeFileAtomic(target: string, data: Buffer | string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  await removeStaleTemps(dir, base);
  const temp = path.join(dir, `.${tempStem(base)}.${process.pid}@${HOST}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
