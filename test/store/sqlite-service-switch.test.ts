import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * The SQLite store keeps the service switch in memory (every call start reads it). What
 * an operator would notice if that went wrong: a switch turned off through the console
 * or the API that calls keep being offered past, or a switch that comes back on after a
 * restart.
 */
let root: string;
let store: SqliteStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-switch-'));
  store = SqliteStore.open(root);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

it('serves the switch as last written, from the first read on, and as the file holds it after a restart', async () => {
  expect(await store.getServiceSwitch()).toEqual({ enabled: true, changedBy: null, changedAt: null });
  await store.setServiceSwitch(false, 'alice', '2026-12-05T07:00:00.000Z');
  expect(await store.getServiceSwitch()).toEqual({ enabled: false, changedBy: 'alice', changedAt: '2026-12-05T07:00:00.000Z' });
  await store.setServiceSwitch(true, 'bob', '2026-12-05T07:01:00.000Z');
  expect((await store.getServiceSwitch()).enabled).toBe(true);
  await store.setServiceSwitch(false, 'carol', '2026-12-05T07:02:00.000Z');
  await store.close();
  store = SqliteStore.open(root);
  expect(await store.getServiceSwitch()).toEqual({ enabled: false, changedBy: 'carol', changedAt: '2026-12-05T07:02:00.000Z' });
});

it('answers a copy: changing what one caller got does not change the next answer', async () => {
  const first = await store.getServiceSwitch();
  first.enabled = false;
  expect((await store.getServiceSwitch()).enabled).toBe(true);
});

it('keeps serving what the file holds when a write fails', async () => {
  await store.getServiceSwitch();
  // The database is closed under the store: the write throws, and nothing was written.
  const db = (store as unknown as { db: { close(): void } }).db;
  db.close();
  await expect(store.setServiceSwitch(false, 'mallory', '2026-12-05T07:03:00.000Z')).rejects.toThrow();
  expect((await store.getServiceSwitch()).enabled).toBe(true);
  store = SqliteStore.open(root);
  expect((await store.getServiceSwitch()).enabled).toBe(true);
});
