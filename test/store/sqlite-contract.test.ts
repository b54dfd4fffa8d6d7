import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { storeContract } from './contract';

/** The store contract against the embedded SQLite store, each test on a fresh file in its own folder. */

const folders = new Map<Store, string>();

storeContract(
  'SqliteStore',
  async (observer) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-contract-'));
    const store = SqliteStore.open(path.join(root, 'data'), observer);
    folders.set(store, root);
    return store;
  },
  async (store) => {
    await store.close();
    const root = folders.get(store);
    folders.delete(store);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  },
);
