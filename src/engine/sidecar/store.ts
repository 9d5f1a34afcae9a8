import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { EngineError, errorMessage } from '../core/errors';
import { writeFileAtomic } from '../core/atomicWrite';
import { clearStaleLock, withFileLock } from '../core/fileLock';
import { createFoldersInside, openRegularFile, type PinnedDirectory, pinDirectory } from '../core/pinnedDir';
import { type JsonEdit, MAX_SIDECAR_BYTES, parseSidecarText, setInSidecarText, type SidecarText, sizeOverLimit } from './jsonText';
import { type Sidecar, sidecarSchema } from './schema';
import { backgroundBlockFrom, cutoutEdits } from './record';
import { zodIssue } from '../core/validation';
import type { BackgroundResult, Review } from '../core/result';

/**
 * Sidecar files on disk, confined to one root folder. Reads return the file's version (the
 * sha256 of its bytes); a write can demand that the file still has that version, so an
 * edit made by someone else between our read and our write is refused instead of lost.
 * Writes are atomic (temporary file + rename in the same folder).
 */
export interface SidecarFile {
  /** Absolute path inside the root. */
  path: string;
  sidecar: Sidecar;
  /** sha256 of the bytes read; undefined when the file does not exist yet. */
  version?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The absolute path of `relative` inside `root`, refusing `..` escapes, absolute paths
 * elsewhere and symlinks (anywhere on the way) that lead out of the root.
 */
export async function resolveInRoot(root: string, relative: string): Promise<string> {
  if (!root) throw new EngineError('PATH_NOT_ALLOWED', 'No sidecar root folder is configured');
  if (!relative || relative.includes('\0')) throw new EngineError('PATH_NOT_ALLOWED', 'The sidecar path is empty');
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    throw new EngineError('PATH_NOT_ALLOWED', `The sidecar root folder ${root} does not exist`);
  }
  const target = path.resolve(realRoot, relative);
  const inside = (candidate: string) => candidate === realRoot || candidate.startsWith(realRoot + path.sep);
  if (!inside(target)) throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} leaves the root folder ${root}`);
  if (target === realRoot) throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} is the root folder itself; name a file in it`);
  // The deepest part of the path that exists must really (after symlinks) be inside the root.
  let existing = target;
  for (;;) {
    try {
      const real = await fs.realpath(existing);
      if (!inside(real)) throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} goes through a link that leaves the root folder ${root}`);
      break;
    } catch (error) {
      if (error instanceof EngineError) throw error;
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  return target;
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

/**
 * The sidecar's folder, held open and checked to really be inside the root (after any
 * symlink, and after the check: the checks and I/O that follow go through the open folder).
 */
async function sidecarFolder(root: string, relative: string, create: boolean): Promise<{ folder: PinnedDirectory; name: string }> {
  const file = await resolveInRoot(root, relative);
  const realRoot = await fs.realpath(root);
  if (create) {
    try {
      await createFoldersInside(realRoot, path.relative(realRoot, path.dirname(file)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} goes through a link; its folders are not created through links`);
      throw new EngineError('WRITE_FAILED', `Sidecar ${relative}: its folder cannot be created: ${errorMessage(error)}`);
    }
  }
  let folder: PinnedDirectory;
  try {
    folder = await pinDirectory(path.dirname(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw Object.assign(new EngineError('SIDECAR_NOT_FOUND', `Sidecar ${relative} does not exist`), { missing: true });
    throw new EngineError('PATH_NOT_ALLOWED', `Sidecar ${relative}: its folder cannot be opened: ${errorMessage(error)}`);
  }
  if (!inside(realRoot, folder.real)) {
    await folder.close();
    throw new EngineError('PATH_NOT_ALLOWED', `The sidecar path ${relative} goes through a link that leaves the root folder ${root}`);
  }
  return { folder, name: path.basename(file) };
}

/** The file's bytes, or undefined when it does not exist; never follows a symlink or waits on a FIFO. */
async function readBytes(file: string, relative: string): Promise<Buffer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await openRegularFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new EngineError('PATH_NOT_ALLOWED', `Sidecar ${relative} is a symbolic link; only regular files are read`);
    throw new EngineError('SIDECAR_INVALID', `Sidecar ${relative} cannot be read: ${errorMessage(error)}`);
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_SIDECAR_BYTES) throw new EngineError('SIDECAR_INVALID', `Sidecar ${relative} is ${sizeOverLimit(size)}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The file as the store reports it, and its text for lossless edits. */
function load(bytes: Buffer | undefined, file: string, relative: string): { file: SidecarFile; text?: SidecarText } {
  if (!bytes) return { file: { path: file, sidecar: {} } };
  const text = parseSidecarText(bytes, `Sidecar ${relative}`);
  return { file: { path: file, sidecar: parseSidecar(text.json, `Sidecar ${relative}`), version: sha256(bytes) }, text };
}

export async function readSidecar(root: string, relative: string, options: { missingOk?: boolean } = {}): Promise<SidecarFile> {
  let opened: { folder: PinnedDirectory; name: string };
  try {
    opened = await sidecarFolder(root, relative, false);
  } catch (error) {
    if ((error as { missing?: boolean }).missing && options.missingOk) return { path: await resolveInRoot(root, relative), sidecar: {} };
    throw error;
  }
  const { folder, name } = opened;
  try {
    const bytes = await readBytes(folder.path(name), relative);
    // A worker killed inside a transaction leaves its lock; a photo it had finished is never
    // written again, so the next reader clears it.
    await clearStaleLock(folder.path(name));
    if (!bytes && !options.missingOk) throw new EngineError('SIDECAR_NOT_FOUND', `Sidecar ${relative} does not exist`);
    return load(bytes, path.join(folder.real, name), relative).file;
  } finally {
    await folder.close();
  }
}

export function parseSidecar(json: unknown, what: string): Sidecar {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new EngineError('SIDECAR_INVALID', `${what} must be a JSON object`);
  const parsed = sidecarSchema.safeParse(json);
  if (!parsed.success) throw new EngineError('SIDECAR_INVALID', `${what} has a bad field: ${zodIssue(parsed.error)}`);
  return parsed.data;
}

/** A change to a sidecar: the whole new content, or values set at paths in the current text. */
export type SidecarChange = { replace: Sidecar } | { set: JsonEdit[] };

/**
 * One transaction on a sidecar, exclusive across processes and hosts (a lock file beside
 * it): read the current file, check it is still what the caller read (`expectedVersion`;
 * null: must not exist yet), compute the change from it, write atomically (temporary file +
 * rename in the held-open folder), read back. Only what the change sets is rewritten; every
 * other byte stays. Success means the change is in the file.
 */
export async function changeSidecar(
  root: string,
  relative: string,
  change: (current: SidecarFile) => SidecarChange,
  options: { expectedVersion?: string | null; lockTimeoutMs?: number } = {},
): Promise<SidecarFile> {
  const { folder, name } = await sidecarFolder(root, relative, true);
  const file = folder.path(name);
  const shown = path.join(folder.real, name);
  try {
    return await withFileLock(
      file,
      async () => {
        const { file: current, text } = load(await readBytes(file, relative), shown, relative);
        if (options.expectedVersion !== undefined && (current.version ?? null) !== options.expectedVersion) {
          throw new EngineError(
            'SIDECAR_CONFLICT',
            `Sidecar ${relative} changed on disk since it was read; not overwritten (run the item again to merge with the new content)`,
          );
        }
        if (current.version) {
          // Replacing a read-only file by rename would succeed (and root ignores permissions), so a
          // sidecar with every write bit off is treated as "do not touch", whoever runs n8n.
          const stat = await fs.stat(file);
          const writable =
            (stat.mode & 0o222) !== 0 &&
            (await fs.access(file, fs.constants.W_OK).then(
              () => true,
              () => false,
            ));
          if (!writable) throw new EngineError('WRITE_FAILED', `Sidecar ${relative} is read-only; not overwritten`);
        }
        const wanted = change(current);
        let bytes: Buffer;
        if ('replace' in wanted) bytes = Buffer.from(`${JSON.stringify(parseSidecar(wanted.replace, `The new sidecar for ${relative}`), null, 2)}\n`, 'utf8');
        else bytes = setInSidecarText(text?.raw ?? '{\n}\n', wanted.set, `Sidecar ${relative}`);
        if (bytes.length > MAX_SIDECAR_BYTES)
          throw new EngineError('SIDECAR_INVALID', `Sidecar ${relative} would be ${sizeOverLimit(bytes.length)} after this change; not changed`);
        const next = load(bytes, shown, relative).file;
        try {
          await writeFileAtomic(file, bytes);
        } catch (error) {
          throw new EngineError('WRITE_FAILED', `Sidecar ${relative} could not be written: ${errorMessage(error)}`);
        }
        const written = await readBytes(file, relative);
        if (!written || sha256(written) !== next.version)
          throw new EngineError('WRITE_FAILED', `Sidecar ${relative} does not hold what was written (changed by a writer that ignores the lock?)`);
        return next;
      },
      { what: `Sidecar ${relative}`, timeoutMs: options.lockTimeoutMs },
    );
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError('WRITE_FAILED', `Sidecar ${relative} could not be written: ${errorMessage(error)}`);
  } finally {
    await folder.close();
  }
}

/**
 * Records a Background Cleanup / Replace result in a sidecar (Media Sidecar's Update), in one
 * transaction: the old background service's `background` block, `scores.cutout` and the review reasons set in the
 * file as it is now; every other byte stays. `expectedVersion`: the version an earlier Read saw.
 */
export function recordBackground(
  root: string,
  relative: string,
  result: { metadata: BackgroundResult; sourceSha256?: string; outputPath?: string; review?: Pick<Review, 'reasons'> },
  options: { expectedVersion?: string } = {},
): Promise<SidecarFile> {
  const block = backgroundBlockFrom(result.metadata, result.sourceSha256, result.outputPath);
  return changeSidecar(
    root,
    relative,
    (current) => ({ set: [[['background'], block], ...cutoutEdits(current.sidecar, result.metadata, result.review)] }),
    options,
  );
}

/** Writes a whole sidecar (the node's Write operation) in one transaction. */
export function writeSidecar(root: string, relative: string, sidecar: Sidecar, options: { expectedVersion?: string | null } = {}): Promise<SidecarFile> {
  return changeSidecar(root, relative, () => ({ replace: sidecar }), options);
}
