import os from 'node:os';

/**
 * Who is writing: files in flight (temporary files, lock files) carry `pid@host`, so a later
 * writer can tell a dead writer's leftover from a live one's (on this host; a shared folder's
 * other hosts are judged by age).
 */
export const HOST = os.hostname().replace(/[^A-Za-z0-9-]/g, '-');
export const WRITER = `${process.pid}@${HOST}`;

/** Whether a process of this host is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
