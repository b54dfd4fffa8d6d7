import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { apiTokensContract } from './api-tokens-contract';

/** Named API tokens on the embedded SQLite store, each test on a fresh file. */
const folders = new Map<Store, string>();

apiTokensContract(
  'SqliteStore',
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-tokens-'));
    const store = SqliteStore.open(path.join(root, 'data'));
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
