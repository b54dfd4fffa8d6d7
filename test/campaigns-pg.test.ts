import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { PgCampaignCatalog } from '../src/campaigns/pg-catalog';
import { describePostgres, TEST_DATABASE_URL } from './helpers/postgres';
import { campaign } from './helpers/server';

/**
 * Campaigns in PostgreSQL, as several instances see them: two catalogs with pools of
 * their own on one schema stand for two instances. Skipped, with a notice, when no
 * PostgreSQL is reachable at TEST_DATABASE_URL (test/helpers/postgres.ts).
 */
const log = pino({ level: 'silent' });
const schema = `campaigns_${randomBytes(4).toString('hex')}`;
const pools: Pool[] = [];

function instancePool(): Pool {
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  return pool;
}

async function admin(sql: string): Promise<void> {
  const client = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function twoInstances(): Promise<[PgCampaignCatalog, PgCampaignCatalog]> {
  const open = () => PgCampaignCatalog.open({ pool: instancePool(), check: () => [], log });
  // Both start at once: the tables are created once, under the catalog's lock.
  return Promise.all([open(), open()]);
}

describePostgres('campaigns in PostgreSQL, seen by two instances', () => {
  beforeAll(() => admin(`CREATE SCHEMA ${schema}`));
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await admin(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('a campaign created through one instance is served by the other from its next call', async () => {
    const [a, b] = await twoInstances();
    const created = await a.create(campaign({ id: 'shared', dnis: ['+1 800 555 0101'] }));
    expect(created.kind).toBe('saved');
    expect(b.resolve('+18005550101').kind).toBe('unknown'); // before its next call
    await b.sync(); // what the call flow does at every start
    expect(b.resolve('+18005550101')).toMatchObject({ kind: 'found', campaign: { id: 'shared' } });
    expect(b.entry('shared')?.version).toBe(a.entry('shared')?.version);
  });

  it('a change with an old version is refused, whichever instance makes it', async () => {
    const [a, b] = await twoInstances();
    await a.create(campaign({ id: 'versioned', dnis: ['+1 800 555 0102'] }));
    await b.sync();
    const old = b.entry('versioned')?.version as string;
    const first = await a.setActive('versioned', false, { ifMatch: old });
    expect(first.kind).toBe('saved');
    // b has not synced: its copy is stale, but the stored version decides.
    const second = await b.update('versioned', campaign({ id: 'versioned', dnis: ['+1 800 555 0102'], name: 'Renamed' }), { ifMatch: old });
    expect(second).toMatchObject({ kind: 'conflict' });
    await b.sync();
    expect(b.resolve('+18005550102').kind).toBe('inactive');
  });

  it('two instances claiming one number at the same moment: exactly one wins', async () => {
    const [a, b] = await twoInstances();
    const results = await Promise.all([
      a.create(campaign({ id: 'first-claim', dnis: ['+1 800 555 0103'] })),
      b.create(campaign({ id: 'second-claim', dnis: ['+1 800 555 0103'] })),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(['invalid', 'saved']);
    await Promise.all([a.sync(), b.sync()]);
    expect(a.resolve('+18005550103')).toEqual(b.resolve('+18005550103'));
  });

  it('a removal through one instance takes the campaign out of service on the other', async () => {
    const [a, b] = await twoInstances();
    await a.create(campaign({ id: 'temporary', dnis: ['+1 800 555 0104'] }));
    await b.sync();
    expect(b.get('temporary')).toBeDefined();
    expect((await b.remove('temporary')).kind).toBe('saved');
    await a.sync();
    expect(a.get('temporary')).toBeUndefined();
    expect(await a.remove('temporary')).toEqual({ kind: 'not-found' });
  });

  it("a stored campaign this instance cannot serve is listed with its problems, not served", async () => {
    const pool = instancePool();
    const permissive = await PgCampaignCatalog.open({ pool, check: () => [], log });
    await permissive.create(campaign({ id: 'needs-twilio', dnis: ['+1 800 555 0105'] }));
    const strict = await PgCampaignCatalog.open({ pool: instancePool(), check: (c) => (c.id === 'needs-twilio' ? ['gateway: twilio is not configured'] : []), log });
    expect(strict.get('needs-twilio')).toBeUndefined();
    expect(strict.fileProblems()).toEqual([{ file: '(database) needs-twilio', problems: ['gateway: twilio is not configured'] }]);
  });

  it('refuses to save control characters, and lists a stored row like that with its problems', async () => {
    const pool = instancePool();
    const catalog = await PgCampaignCatalog.open({ pool, check: () => [], log });
    const bell = await catalog.create(campaign({ id: 'bell', dnis: ['+1 800 555 0106'], prompts: { offer: 'Press 1\u0007' } }));
    expect(bell).toMatchObject({ kind: 'invalid', fields: [{ field: 'prompts.offer', message: expect.stringContaining('U+0007') }] });
    // A row written by hand (or by an older version), nested 100,000 deep.
    const nested = JSON.stringify(campaign({ id: 'deep', dnis: ['+1 800 555 0107'] })).replace(/}$/, `,"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    await pool.query(`INSERT INTO campaigns (id, document, version, updated_at) VALUES ('deep', $1, 'hand', now()::text)`, [nested]);
    const reader = await PgCampaignCatalog.open({ pool: instancePool(), check: () => [], log });
    expect(reader.get('deep')).toBeUndefined();
    expect(reader.fileProblems()).toEqual([{ file: '(database) deep', problems: [expect.stringMatching(/^name(\.0)*: is nested too deeply/)] }]);
  });
});

describePostgres('campaigns in PostgreSQL: a stored revision that fails validation', () => {
  const lastGoodSchema = `campaigns_lg_${randomBytes(4).toString('hex')}`;
  const own: Pool[] = [];
  const poolOf = () => {
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4, options: `-c search_path=${lastGoodSchema}` });
    own.push(pool);
    return pool;
  };
  beforeAll(() => admin(`CREATE SCHEMA ${lastGoodSchema}`));
  afterAll(async () => {
    await Promise.all(own.map((p) => p.end()));
    await admin(`DROP SCHEMA ${lastGoodSchema} CASCADE`);
  });

  /** A revision written past the catalog's checks (an older version's rules, a hand edit), as the other instances see it. */
  async function storeByHand(pool: Pool, id: string, document: Record<string, unknown>): Promise<void> {
    await pool.query(
      `INSERT INTO campaigns (id, document, version, updated_at) VALUES ($1, $2, $3, now()::text)
       ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document, version = EXCLUDED.version`,
      [id, JSON.stringify(document), `hand-${randomBytes(4).toString('hex')}`],
    );
    await pool.query('UPDATE campaign_revision SET revision = revision + 1 WHERE id = 1');
  }

  it('serves its last good version after a restart, marked last-good, the others as stored; a fix clears it', async () => {
    const pool = poolOf();
    const before = await PgCampaignCatalog.open({ pool, check: () => [], log });
    await before.create(campaign({ id: 'tightened', name: 'Before the upgrade', dnis: ['+1 800 555 0108'] }));
    await before.create(campaign({ id: 'neighbour', dnis: ['+1 800 555 0109'] }));
    const goodVersion = before.entry('tightened')?.version;
    await storeByHand(pool, 'tightened', campaign({ id: 'tightened', name: 'After the upgrade', dnis: ['+1 800 555 0108'], message: 'no link any more' }));

    // A restart: a new instance on the same database.
    const after = await PgCampaignCatalog.open({ pool: poolOf(), check: () => [], log });
    expect(after.resolve('+18005550108')).toMatchObject({ kind: 'found', campaign: { id: 'tightened', name: 'Before the upgrade' } });
    expect(after.entry('tightened')).toMatchObject({ status: 'last-good', version: goodVersion, problems: ['message: must contain {link}'] });
    expect(after.resolve('+18005550109')).toMatchObject({ kind: 'found', campaign: { id: 'neighbour' } });
    expect(after.entry('neighbour')?.status).toBe('ok');
    expect(after.fileProblems()).toEqual([]);

    // The running instance sees the same at its next call.
    await before.sync();
    expect(before.entry('tightened')?.status).toBe('last-good');

    // An admin fixes it from the version shown (the last good one's ETag).
    const fixed = await after.update('tightened', campaign({ id: 'tightened', name: 'Fixed', dnis: ['+1 800 555 0108'] }), { ifMatch: goodVersion as string });
    expect(fixed).toMatchObject({ kind: 'saved', entry: { status: 'ok', problems: [] } });
    await before.sync();
    expect(before.entry('tightened')).toMatchObject({ status: 'ok', campaign: { name: 'Fixed' } });
  });

  it('with no last good copy it is listed with its problems and not served', async () => {
    const pool = poolOf();
    const catalog = await PgCampaignCatalog.open({ pool, check: () => [], log });
    await storeByHand(pool, 'never-good', campaign({ id: 'never-good', dnis: ['+1 800 555 0110'], message: 'no link' }));
    await catalog.sync();
    expect(catalog.resolve('+18005550110')).toEqual({ kind: 'unknown' });
    expect(catalog.entry('never-good')).toBeUndefined();
    expect(catalog.fileProblems()).toEqual([{ file: '(database) never-good', problems: ['message: must contain {link}'] }]);
  });

  it('a last good copy claiming a number another campaign took since is not served: that campaign keeps it', async () => {
    const pool = poolOf();
    const catalog = await PgCampaignCatalog.open({ pool, check: () => [], log });
    await catalog.create(campaign({ id: 'moved', dnis: ['+1 800 555 0111'] }));
    await storeByHand(pool, 'moved', campaign({ id: 'moved', dnis: ['+1 800 555 0112'], message: 'no link' }));
    await catalog.sync();
    // moved is invalid, serving its copy on 0111; another campaign now claims 0111.
    await storeByHand(pool, 'taker', campaign({ id: 'taker', dnis: ['+1 800 555 0111'] }));
    const restarted = await PgCampaignCatalog.open({ pool: poolOf(), check: () => [], log });
    expect(restarted.resolve('+18005550111')).toMatchObject({ kind: 'found', campaign: { id: 'taker' } });
    expect(restarted.entry('moved')).toBeUndefined();
    expect(restarted.fileProblems().filter((p) => p.file === '(database) moved')).toEqual([
      { file: '(database) moved', problems: ['message: must contain {link}', expect.stringMatching(/^last good copy: dnis \+18005550111 belongs to more than one active campaign/)] },
    ]);
  });
});
