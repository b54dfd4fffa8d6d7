import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomicSync } from './atomic-write';
import { versionOf } from './catalog-documents';
import { isCampaignFile } from './registry';

/**
 * The last good copy of each campaign file, kept beside the folder (by default
 * `<campaigns>/.last-good/<file>`): the exact bytes of the file's latest content that
 * loaded cleanly. A restart with a file broken in the meantime serves this copy instead of
 * losing the campaign, just as a reload keeps the version in service in memory.
 *
 * Copies are named after the file, not the campaign id: a broken file may hold no id.
 * The folder's name starts with a dot and holds no *.json at the top of the campaigns
 * folder, so neither the folder scan nor the watcher takes it for a campaign.
 *
 * Failing to keep a copy (a read-only folder) never stops the catalog: it is logged once,
 * and the copy in memory still serves until the process ends. CAMPAIGNS_LAST_GOOD_DIR
 * points the copies at a writable folder.
 */
export class LastGoodCopies {
  /** Version of each copy on disk, so an unchanged file is not written again. */
  private readonly versions = new Map<string, string>();
  private warned = false;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** The copy of file, if one is kept. */
  read(file: string): Buffer | undefined {
    try {
      const bytes = fs.readFileSync(path.join(this.dir, file));
      this.versions.set(file, versionOf(bytes));
      return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err, file }, 'cannot read the last good copy of a campaign file');
      return undefined;
    }
  }

  /** Keeps content (exactly what the file held) as file's last good copy, unless it already is. */
  keep(file: string, content: Buffer | string): void {
    const version = versionOf(content);
    if (this.versions.get(file) === version) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      writeFileAtomicSync(path.join(this.dir, file), content);
      this.versions.set(file, version);
    } catch (err) {
      this.warnOnce(err);
    }
  }

  /** The file is gone from the folder: its campaign is, so its copy must not come back. */
  forget(file: string): void {
    this.versions.delete(file);
    try {
      fs.rmSync(path.join(this.dir, file), { force: true });
    } catch (err) {
      this.warnOnce(err);
    }
  }

  /** Removes the copies of files no longer in the folder (deleted while the server was down). */
  prune(present: ReadonlySet<string>): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter(isCampaignFile);
    } catch {
      return;
    }
    for (const name of names) if (!present.has(name)) this.forget(name);
  }

  private warnOnce(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn(
      { err, dir: this.dir },
      'cannot keep last good copies of campaign files (set CAMPAIGNS_LAST_GOOD_DIR to a writable folder): after a restart a broken file will not be served',
    );
  }
}
