import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS, SqliteStore } from '../../src/store/sqlite';

/**
 * A fresh SQLite store for a test server, migrated once per migration set instead of once
 * per server. Migrating an empty file runs every migration in a transaction of its own
 * and checkpoints on close: 30-150 ms of CPU per server on the shared test machine, and
 * the in-process tests start a server per test (call-flow alone: 47). Copying the file
 * an empty store left is about 1 ms, and the server opening the copy finds every
 * migration done, as a restarted server does.
 *
 * The template is made by the store's own migrate() (SqliteStore.open, then close: the
 * WAL is checkpointed into the one file), kept under the OS temp folder named after a
 * hash of the migrations, so a changed migration makes a new one. The store's own tests
 * (test/store/) still migrate fresh files.
 */
const TEMPLATE = path.join(
  os.tmpdir(),
  `ivr-deflect-migrated-${createHash('sha256').update(MIGRATIONS.join('\0')).digest('hex').slice(0, 16)}.db`,
);

/** The store file's name in a data folder (SqliteStore.open). */
const STORE_FILE = 'ivr-deflect.db';

function template(): string {
  if (fs.existsSync(TEMPLATE)) return TEMPLATE;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-migrating-'));
  try {
    // close() closes the database before it returns (nothing in it awaits).
    void SqliteStore.open(dir).close();
    // Two jest workers may make it at once: each renames a whole file into place.
    fs.renameSync(path.join(dir, STORE_FILE), TEMPLATE);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return TEMPLATE;
}

/** Puts an empty, migrated store in dataDir, unless the folder already holds one (a restart on the same data). */
export function seedMigratedStore(dataDir: string): void {
  const file = path.join(dataDir, STORE_FILE);
  if (fs.existsSync(file)) return;
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.copyFileSync(template(), file);
  } catch {
    // A data folder that cannot be written (a test of exactly that): the server itself
    // must meet it and say so, as it would without this copy.
  }
}
