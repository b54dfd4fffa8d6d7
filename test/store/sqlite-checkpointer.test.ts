import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { NewCall } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { WalCheckpointer } from '../../src/store/sqlite-checkpointer';

/**
 * The WAL's checkpoints on their own thread (issue 21, the paced submit's p99): a request
 * that commits past SQLite's 1,000-page mark no longer copies the WAL back and fsyncs on
 * its own thread. What an operator would notice if this went wrong: a WAL file that grows
 * without end, rows missing after a restart, or a store that never closes.
 */

let root: string;
let dataDir: string;
let file: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-checkpointer-'));
  dataDir = path.join(root, 'data');
  file = path.join(dataDir, 'ivr-deflect.db');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function newCall(n: number): NewCall {
  return {
    id: `call-${String(n).padStart(5, '0')}`,
    campaignId: 'support',
    mode: 'goto',
    dnis: '+18005550100',
    ani: `+1617555${String(n % 10_000).padStart(4, '0')}`,
    platformCallId: `cvp-${n}`,
    state: 'offered',
    result: null,
    // About a page of text per call, so a few hundred calls make a WAL of real size.
    offerText: `Press 1 for a text. ${'x'.repeat(3_000)} ${n}`,
    lastPage: { builder: 'offer' },
    createdAt: '2026-01-05T10:00:00.000Z',
    expiresAt: '2026-01-05T11:00:00.000Z',
  };
}

/** Each awaited start is a write transaction of its own (no neighbour to share its commit with). */
async function startCalls(store: SqliteStore, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n += 1) await store.createCall(newCall(n), [{ type: 'started' }]);
}

function walFrames(): number {
  const other = new Database(file);
  try {
    // A checkpoint that copies nothing new only reports: how many frames the WAL holds now.
    const [row] = other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    return row!.log;
  } finally {
    other.close();
  }
}

it('a store that has written a little gets the checkpoint thread, which copies the whole WAL into the database file', async () => {
  const store = SqliteStore.open(dataDir);
  try {
    await startCalls(store, 0, 150);
    expect(store.walCheckpointer).toBeUndefined();
    await startCalls(store, 150, 100);
    const checkpointer = store.walCheckpointer;
    expect(checkpointer).toBeDefined();

    const result = await checkpointer!.checkpointNow();
    expect(result.busy).toBe(0);
    expect(result.checkpointed).toBe(result.log);
    // The next write starts the WAL over from its beginning instead of growing it.
    await startCalls(store, 250, 1);
    expect(walFrames()).toBeLessThan(result.log);
  } finally {
    await store.close();
  }
});

it('closing the store stops the thread and leaves every row in the database file, no WAL beside it', async () => {
  const store = SqliteStore.open(dataDir);
  await startCalls(store, 0, 300);
  const checkpointer = store.walCheckpointer!;
  await store.close();

  await expect(checkpointer.checkpointNow()).rejects.toThrow('stopped');
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
  const reopened = new Database(file, { readonly: true });
  try {
    expect((reopened.prepare('SELECT COUNT(*) AS n FROM calls').get() as { n: number }).n).toBe(300);
  } finally {
    reopened.close();
  }
});

it('a thread that cannot open the database tells its owner why (the owner then checkpoints on its own thread again)', async () => {
  const reason = await new Promise<Error>((resolve) => new WalCheckpointer(path.join(root, 'missing.db'), resolve));
  expect(reason.message).toMatch(/does not exist|unable to open/i);
});

it('a thread closed on purpose is not a death: its owner is not told, and later checkpoints are refused at once', async () => {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x)');
  let died: Error | undefined;
  const checkpointer = new WalCheckpointer(file, (err) => (died = err));
  try {
    await expect(checkpointer.checkpointNow()).resolves.toMatchObject({ busy: 0 });
    await checkpointer.close();
    await expect(checkpointer.checkpointNow()).rejects.toThrow('stopped');
    expect(died).toBeUndefined();
  } finally {
    db.close();
  }
});
