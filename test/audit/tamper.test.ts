import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { verifyAuditChain } from '../../src/audit/chain';
import type { NewAuditEntry, Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { describePostgres, TestSchema } from '../helpers/postgres';

/**
 * Tamper evidence, behind the store's back: the database refuses edits and deletes of
 * audit entries, and an edit or delete made anyway (triggers dropped, as someone with the
 * database file or owner rights could) is found by verifyAuditChain at the entry it broke.
 */

const entry = (i: number): NewAuditEntry => ({
  at: new Date(Date.UTC(2026, 10, 24, 20, i)).toISOString(),
  actorKind: 'user',
  actorName: 'admin',
  ip: '203.0.113.7',
  action: 'reveal.messages',
  target: 'messages',
  detail: `{"reason":"ticket ${i}"}`,
});

async function appendFive(store: Store): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push((await store.appendAudit(entry(i))).id);
  return ids;
}

describe('SQLite: the audit_log table behind the store', () => {
  let root: string;
  let store: SqliteStore;
  let db: Database.Database;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-audit-'));
    store = SqliteStore.open(root);
    db = new Database(path.join(root, 'ivr-deflect.db'));
  });
  afterEach(async () => {
    db.close();
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses UPDATE and DELETE of entries', async () => {
    const [first] = await appendFive(store);
    expect(() => db.prepare("UPDATE audit_log SET detail = '{\"reason\":\"nothing\"}' WHERE id = ?").run(first)).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE id = ?').run(first)).toThrow(/append-only/);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 5 });
  });

  it('finds an entry edited with the triggers dropped', async () => {
    const ids = await appendFive(store);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET detail = '{\"reason\":\"routine\"}' WHERE id = ?").run(ids[2]);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: ids[2], checked: 2 });
  });

  it('finds an entry deleted from the middle with the triggers dropped', async () => {
    const ids = await appendFive(store);
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE id = ?').run(ids[1]);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: ids[2] });
  });
});

describePostgres('PostgreSQL: the audit_log table behind the store', () => {
  let schema: TestSchema;
  let store: Store;

  beforeEach(async () => {
    schema = new TestSchema();
    store = await schema.open();
  });
  afterEach(() => schema.drop());

  it('refuses UPDATE, DELETE and TRUNCATE of entries', async () => {
    const [first] = await appendFive(store);
    const client = await schema.connect();
    await expect(client.query("UPDATE audit_log SET detail = 'x' WHERE id = $1", [first])).rejects.toThrow(/append-only \(UPDATE refused\)/);
    await expect(client.query('DELETE FROM audit_log WHERE id = $1', [first])).rejects.toThrow(/append-only \(DELETE refused\)/);
    await expect(client.query('TRUNCATE audit_log')).rejects.toThrow(/append-only \(TRUNCATE refused\)/);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 5 });
  });

  it('finds an entry edited, and one deleted, with the trigger disabled by the table owner', async () => {
    const ids = await appendFive(store);
    const client = await schema.connect();
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await client.query("UPDATE audit_log SET actor_name = 'someone-else' WHERE id = $1", [ids[3]]);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: ids[3], checked: 3 });
    await client.query('DELETE FROM audit_log WHERE id = $1', [ids[1]]);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: ids[2], checked: 1 });
  });
});
