import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import path from 'node:path';

/**
 * Replaces file with data so that a reader (the folder watcher, an editor, a restart
 * after a crash) sees either the old content or the new, never a part of it.
 *
 * The temporary file sits in the same folder, since rename is only atomic within one
 * file system, and is named ".<name>.<random>.tmp" so folder scans that take *.json
 * skip it.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx');
  try {
    try {
      await handle.writeFile(data, 'utf8');
      // The data must be on disk before the rename is, or a crash can leave an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncFolder(path.dirname(file));
}

/** Deletes file if it is there (the goal is its absence), and makes the deletion survive a crash. */
export async function removeFileDurably(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await syncFolder(path.dirname(file));
}

/** Codes of platforms and file systems that cannot open or fsync a folder (Windows, some network mounts). */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF']);

/** A rename or unlink is only durable once the folder entry is; fsync the folder where supported. */
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * writeFileAtomic for the catalog's synchronous folder reads (start-up, reloads): the same
 * temporary file, flush and rename, so a crash leaves the old copy or the new one.
 */
export function writeFileAtomicSync(file: string, data: Buffer | string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fsSync.openSync(temp, 'wx');
  try {
    try {
      fsSync.writeFileSync(fd, data);
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(temp, file);
  } catch (err) {
    fsSync.rmSync(temp, { force: true });
    throw err;
  }
  syncFolderSync(path.dirname(file));
}

function syncFolderSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fsSync.openSync(dir, 'r');
    fsSync.fsyncSync(fd);
  } catch (err) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fsSync.closeSync(fd);
  }
}
