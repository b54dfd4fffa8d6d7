import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CallEvent, NewCall } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * Group commit (issue 21): call starts that arrive together are committed in one
 * transaction, and each is answered only once its row is on disk. What a caller's IVR
 * would notice if this went wrong: a start answered but missing after a restart, or one
 * bad start failing its neighbours.
 */

let root: string;
let dataDir: string;
let store: SqliteStore;
let announced: (readonly Omit<CallEvent, 'id'>[])[];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-group-commit-'));
  dataDir = path.join(root, 'data');
  announced = [];
  store = SqliteStore.open(dataDir, (events) => announced.push(events));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function newCall(id: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    id,
    campaignId: 'support',
    mode: 'goto',
    dnis: '+18005550100',
    ani: '+16175551234',
    platformCallId: `cvp-${id}`,
    state: 'offered',
    result: null,
    lastPage: { builder: 'offer' },
    createdAt: '2026-01-05T10:00:00.000Z',
    expiresAt: '2026-01-05T11:00:00.000Z',
    ...overrides,
  };
}

/** A second connection to the same file: what a restarted process would read. */
function otherConnection(): Database.Database {
  return new Database(path.join(dataDir, 'ivr-deflect.db'), { readonly: true });
}

const ids = Array.from({ length: 20 }, (_, i) => `call-${String(i).padStart(2, '0')}`);

it('stores every one of many concurrent starts, committed together, events announced once', async () => {
  await Promise.all(ids.map((id) => store.createCall(newCall(id), [{ type: 'started' }, { type: 'offered' }])));

  const other = otherConnection();
  const stored = other.prepare('SELECT id FROM calls ORDER BY id').all() as { id: string }[];
  const events = other.prepare('SELECT call_id, type FROM call_events ORDER BY id').all() as { call_id: string; type: string }[];
  other.close();
  expect(stored.map((r) => r.id)).toEqual(ids);
  expect(events).toHaveLength(40);
  // One commit for the twenty: the observer hears of their events in one announcement.
  expect(announced).toHaveLength(1);
  expect(announced[0]?.map((e) => `${e.callId} ${e.type}`)).toEqual(ids.flatMap((id) => [`${id} started`, `${id} offered`]));
});

it('answers a start only once another connection can read it', async () => {
  const seenAtAnswer: boolean[] = [];
  const other = otherConnection();
  const find = other.prepare('SELECT 1 FROM calls WHERE id = ?');
  await Promise.all(
    ids.map((id) => store.createCall(newCall(id), [{ type: 'started' }]).then(() => seenAtAnswer.push(find.get(id) !== undefined))),
  );
  other.close();
  expect(seenAtAnswer).toEqual(ids.map(() => true));
});

it('fails only the start whose row is refused; its neighbours in the same commit are stored', async () => {
  // Another connection adds a rule the store knows nothing of: the insert of one call fails.
  const admin = new Database(path.join(dataDir, 'ivr-deflect.db'));
  admin.exec(`CREATE TRIGGER refuse_one BEFORE INSERT ON calls WHEN NEW.id = 'call-07' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
  admin.close();

  const outcomes = await Promise.allSettled(ids.map((id) => store.createCall(newCall(id), [{ type: 'started' }])));

  expect(outcomes.map((o) => o.status)).toEqual(ids.map((id) => (id === 'call-07' ? 'rejected' : 'fulfilled')));
  for (const id of ids) expect((await store.getCall(id))?.id).toBe(id === 'call-07' ? undefined : id);
  // The failed shared attempt announced nothing; each start stored alone announced its own.
  expect(announced.flat().map((e) => e.callId)).toEqual(ids.filter((id) => id !== 'call-07'));
});

it('rejects every waiting start when nothing can be written', async () => {
  const admin = new Database(path.join(dataDir, 'ivr-deflect.db'));
  admin.exec(`CREATE TRIGGER refuse_all BEFORE INSERT ON calls BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
  admin.close();

  const outcomes = await Promise.allSettled(ids.map((id) => store.createCall(newCall(id), [{ type: 'started' }])));

  expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'rejected'));
  expect(announced).toEqual([]);
});

it('stores the starts still waiting for their commit when the store is closed', async () => {
  const pending = ids.map((id) => store.createCall(newCall(id), [{ type: 'started' }]));
  await store.close();
  await Promise.all(pending);

  store = SqliteStore.open(dataDir);
  for (const id of ids) expect((await store.getCall(id))?.id).toBe(id);
});
