import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { retentionContract } from './retention-contract';

const folders = new Map<Store, string>();

retentionContract(
  'SqliteStore',
  async (numberKey) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-retention-'));
    const store = SqliteStore.open(path.join(root, 'data'), undefined, numberKey);
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
