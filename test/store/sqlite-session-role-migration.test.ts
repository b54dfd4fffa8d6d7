import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SqliteStore } from '../../src/store/sqlite';

/**
 * Upgrading to roles: sessions signed in before roles existed were all the local admin's,
 * and must stay admin (not be signed out, not become viewers). A file is made at the version
 * before the roles migration, with a live session in it, then opened by the store.
 */
it('reads a session from before roles as the admin\'s', async () => {
  const rolesMigration = MIGRATIONS.findIndex((sql) => sql.includes('admin_sessions ADD COLUMN role'));
  expect(rolesMigration).toBeGreaterThan(0);
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-migrate-')), 'data');
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, 'ivr-deflect.db'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  MIGRATIONS.slice(0, rolesMigration).forEach((sql, i) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, '2026-11-01T00:00:00.000Z');
  });
  db.prepare(
    `INSERT INTO admin_sessions (id, user, csrf_token, created_at, expires_at)
     VALUES ('s1', 'admin', 'csrf-s1', '2026-12-01T00:00:00.000Z', '2026-12-01T08:00:00.000Z')`,
  ).run();
  db.close();

  const store = SqliteStore.open(dir);
  try {
    expect(await store.getSession('s1', '2026-12-01T01:00:00.000Z')).toEqual({
      id: 's1',
      user: 'admin',
      role: 'admin',
      csrfToken: 'csrf-s1',
      createdAt: '2026-12-01T00:00:00.000Z',
      expiresAt: '2026-12-01T08:00:00.000Z',
    });
  } finally {
    await store.close();
  }
});
