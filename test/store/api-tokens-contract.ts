import type { NewApiToken, Store } from '../../src/store/port';

/**
 * Named API tokens in the store, written once and run on SQLite and PostgreSQL
 * (sqlite-api-tokens.test.ts, postgres-api-tokens.test.ts).
 */

const T0 = Date.parse('2026-11-24T20:00:00.000Z');
const min = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

const token = (id: string, name: string, overrides: Partial<NewApiToken> = {}): NewApiToken => ({
  id,
  name,
  role: 'viewer',
  secretHash: `${id}`.padEnd(64, '0'),
  createdAt: min(0),
  createdBy: 'ops-lead',
  expiresAt: null,
  ...overrides,
});

export function apiTokensContract(name: string, open: () => Promise<Store>, close: (store: Store) => Promise<void>): void {
  describe(`${name}: named API tokens`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await close(store);
    });

    it('finds a token by its secret hash, with every field and nothing of the hash', async () => {
      expect(await store.createApiToken(token('a1', 'reporting', { role: 'editor', expiresAt: min(60) }))).toBe(true);
      const found = await store.findApiToken('a1'.padEnd(64, '0'));
      expect(found).toEqual({
        id: 'a1',
        name: 'reporting',
        role: 'editor',
        createdAt: min(0),
        createdBy: 'ops-lead',
        expiresAt: min(60),
        lastUsedAt: null,
        revokedAt: null,
        revokedBy: null,
      });
      expect(await store.findApiToken('b2'.padEnd(64, '0'))).toBeUndefined();
      expect(JSON.stringify(await store.listApiTokens())).not.toContain('a1'.padEnd(64, '0'));
    });

    it('refuses a second live token of the same name, and gives the name again once it is revoked', async () => {
      expect(await store.createApiToken(token('a1', 'ci'))).toBe(true);
      expect(await store.createApiToken(token('a2', 'ci'))).toBe(false);
      expect(await store.findApiToken('a2'.padEnd(64, '0'))).toBeUndefined();
      const revoked = await store.revokeApiToken('a1', 'ops-lead', min(5));
      expect(revoked).toMatchObject({ id: 'a1', revokedAt: min(5), revokedBy: 'ops-lead' });
      expect(await store.createApiToken(token('a3', 'ci', { createdAt: min(6) }))).toBe(true);
      expect((await store.listApiTokens()).map((t) => [t.id, t.revokedAt])).toEqual([
        ['a3', null],
        ['a1', min(5)],
      ]);
    });

    it('revokes a live token once: unknown or already revoked ids give nothing', async () => {
      await store.createApiToken(token('a1', 'ci'));
      expect(await store.revokeApiToken('a1', 'ops-lead', min(5))).toBeDefined();
      expect(await store.revokeApiToken('a1', 'someone-else', min(9))).toBeUndefined();
      expect(await store.revokeApiToken('nope', 'ops-lead', min(9))).toBeUndefined();
      // The first revocation stands; a revoked token is still found (the caller refuses it).
      expect(await store.findApiToken('a1'.padEnd(64, '0'))).toMatchObject({ revokedAt: min(5), revokedBy: 'ops-lead' });
    });

    it('moves last used only when the stored one is older than the bound', async () => {
      await store.createApiToken(token('a1', 'ci'));
      await store.touchApiToken('a1', min(1), min(0));
      expect((await store.findApiToken('a1'.padEnd(64, '0')))?.lastUsedAt).toBe(min(1));
      // 30 s later, with a one-minute bound: not written.
      await store.touchApiToken('a1', min(1.5), min(0.5));
      expect((await store.findApiToken('a1'.padEnd(64, '0')))?.lastUsedAt).toBe(min(1));
      await store.touchApiToken('a1', min(2.5), min(1.5));
      expect((await store.findApiToken('a1'.padEnd(64, '0')))?.lastUsedAt).toBe(min(2.5));
    });

    it('lists newest first', async () => {
      await store.createApiToken(token('a1', 'one', { createdAt: min(1) }));
      await store.createApiToken(token('a2', 'two', { createdAt: min(3) }));
      await store.createApiToken(token('a3', 'three', { createdAt: min(2) }));
      expect((await store.listApiTokens()).map((t) => t.name)).toEqual(['two', 'three', 'one']);
    });
  });
}
