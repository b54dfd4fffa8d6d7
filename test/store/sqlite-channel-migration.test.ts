import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SqliteStore } from '../../src/store/sqlite';

/**
 * Upgrading a SQLite file written before opt-outs and messages were per channel: the last
 * migration rebuilds three tables, and nothing in them may be lost or changed. A file is
 * made at the version before it, with an opt-out and a sent message in it, then opened by
 * the store.
 */

const NUMBER = '+16175551234';

it('keeps every opt-out (as SMS) and every message, which may then get a fallback beside it', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-migrate-')), 'data');
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, 'ivr-deflect.db'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  MIGRATIONS.slice(0, -1).forEach((sql, i) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, '2026-11-01T00:00:00.000Z');
  });
  db.prepare(`INSERT INTO suppressions (number, keyword, source, created_at) VALUES (?, 'STOP', 'twilio', '2026-11-02T00:00:00.000Z')`).run(NUMBER);
  db.prepare(`INSERT INTO opt_out_changes (number, changed_at) VALUES (?, '2026-11-02T00:00:00.000Z')`).run(NUMBER);
  db.prepare(
    `INSERT INTO messages (id, call_id, campaign_id, "to", body, status, gateway, vendor_message_id, created_at, updated_at,
                           sent_via, segments, encoding, attempts, caller)
     VALUES ('m1', 'c1', 'support', ?, 'Chat: https://t.example.test/s/x', 'sent', 'twilio', 'SM1',
             '2026-11-03T00:00:00.000Z', '2026-11-03T00:00:01.000Z', 'twilio', 2, 'UCS-2', 1, '+16175559876')`,
  ).run(NUMBER);
  db.close();

  const store = SqliteStore.open(dir);
  try {
    expect(await store.isSuppressed(NUMBER)).toBe(true);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(false);
    // The STOP's time was kept: an older START is still older.
    const start = { number: NUMBER, change: 'start' as const, keyword: 'START', source: 'twilio', receivedAt: '2026-11-05T00:00:00.000Z', forgetIdsBefore: '2026-01-01T00:00:00.000Z' };
    expect(await store.applyOptOutChange({ ...start, at: '2026-11-01T00:00:00.000Z' })).toBe('older');
    expect(await store.getMessage('m1')).toMatchObject({
      id: 'm1',
      callId: 'c1',
      to: NUMBER,
      caller: '+16175559876',
      status: 'sent',
      sentVia: 'twilio',
      vendorMessageId: 'SM1',
      segments: 2,
      encoding: 'UCS-2',
      attempts: 1,
      channel: 'sms',
      fallback: null,
      createdAt: '2026-11-03T00:00:00.000Z',
    });
    // Receipts still find it by its vendor id.
    expect(await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'SM1', status: 'delivered', vendorStatus: 'delivered' }, '2026-11-03T00:01:00.000Z')).toMatchObject({ changed: true });
    // The call's message is still the one a repeated submit finds; another channel fits beside it.
    const again = await store.createMessage({ id: 'm2', callId: 'c1', campaignId: 'support', to: NUMBER, body: 'x', gateway: 'twilio', fallbackGateway: null, segments: 1, encoding: 'GSM-7', createdAt: '2026-11-04T00:00:00.000Z' });
    expect(again).toMatchObject({ created: false, message: { id: 'm1' } });
    const beside = await store.createMessage({ id: 'm3', callId: 'c1', campaignId: 'support', to: NUMBER, body: 'x', channel: 'whatsapp', fallbackOf: 'm1', gateway: 'wa', fallbackGateway: null, segments: 1, encoding: 'GSM-7', createdAt: '2026-11-04T00:00:00.000Z' });
    expect(beside).toMatchObject({ created: true, message: { id: 'm3', channel: 'whatsapp' } });
  } finally {
    await store.close();
  }
});
