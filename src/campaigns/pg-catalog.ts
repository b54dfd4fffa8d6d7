import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { CampaignCatalog, CampaignCheck, CampaignEntry, ChangeOptions, FileProblem, SaveResult } from './catalog';
import { invalid, prepareDocument, registryOf, type Good, type Prepared } from './catalog-documents';
import { CampaignRegistry, type CampaignLookup } from './registry';
import { documentProblems } from './document-limits';
import { CampaignSchema, type Campaign } from './schema';
import { FreshRead } from '../fresh-read';

export interface PgCampaignCatalogOptions {
  pool: Pool;
  /** Checks that need this instance's environment (its gateways, its secrets). */
  check: CampaignCheck;
  log: Logger;
}

/** A stored campaign that does not pass this instance's checks (say, a gateway it lacks). */
interface Refused {
  id: string;
  problems: string[];
}

type Action = 'created' | 'updated' | 'activated' | 'deactivated' | 'removed';

/** Serialises catalog changes across instances, and guards the table's creation. */
const CATALOG_LOCK = 0x1d_ca_7a_10;

/**
 * The campaigns in PostgreSQL, shared by every instance. Each instance keeps the read side
 * (resolve, get, all) in memory as a CampaignRegistry, replaced as a whole, and before
 * each call (sync) compares the catalog's revision with one small query: a change made
 * through any instance is in service on every instance from its next call on.
 *
 * Changes are validated as in the folder catalog, then made in one transaction holding
 * an advisory lock (so two instances cannot put clashing numbers in service at once),
 * checked against the stored campaigns rather than this instance's copy, and If-Match is
 * compared with the stored version.
 */
export class PgCampaignCatalog implements CampaignCatalog {
  private registry = new CampaignRegistry([]);
  private goods = new Map<string, Good>();
  private refused: Refused[] = [];
  /** Campaigns whose stored revision this instance refuses, served from their last good copy: why. */
  private lastGoodProblems = new Map<string, string[]>();
  private revision = -1;
  /** Concurrent requests share one revision read that began after they came in (fresh-read.ts). */
  private readonly revisionCheck = new FreshRead(() => this.checkRevision());

  private constructor(
    private readonly pool: Pool,
    private readonly check: CampaignCheck,
    private readonly log: Logger,
  ) {}

  static async open(options: PgCampaignCatalogOptions): Promise<PgCampaignCatalog> {
    const catalog = new PgCampaignCatalog(options.pool, options.check, options.log);
    await catalog.transaction(async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS campaigns (
        id TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        version TEXT NOT NULL,
        updated_at TEXT NOT NULL)`);
      await client.query('CREATE TABLE IF NOT EXISTS campaign_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL)');
      await client.query('INSERT INTO campaign_revision (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
      // The last revision of each campaign that some instance loaded cleanly: what serves
      // while the stored revision fails validation (say, after an upgrade tightened a rule).
      await client.query(`CREATE TABLE IF NOT EXISTS campaign_last_good (
        id TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        version TEXT NOT NULL)`);
    });
    await catalog.sync();
    options.log.info({ campaigns: catalog.all().map((c) => c.id) }, 'campaigns loaded from PostgreSQL');
    return catalog;
  }

  /**
   * Loads the stored campaigns again when another instance (or this one) changed them.
   * Every change committed before this call is in service when it resolves; requests
   * arriving together share the query (and the load) instead of sending one each.
   */
  sync(): Promise<void> {
    return this.revisionCheck.get();
  }

  private async checkRevision(): Promise<void> {
    const { rows } = await this.pool.query<{ revision: string }>('SELECT revision FROM campaign_revision WHERE id = 1');
    const revision = Number(rows[0]?.revision ?? 0);
    if (revision !== this.revision) await this.load();
  }

  resolve(rawDnis: string): CampaignLookup {
    return this.registry.resolve(rawDnis);
  }

  get(id: string): Campaign | undefined {
    return this.registry.get(id);
  }

  all(): readonly Campaign[] {
    return this.registry.all();
  }

  entries(): CampaignEntry[] {
    return [...this.goods.values()].sort(byId).map((good) => entryOf(good, this.lastGoodProblems.get(good.campaign.id)));
  }

  entry(id: string): CampaignEntry | undefined {
    const good = this.goods.get(id);
    return good && entryOf(good, this.lastGoodProblems.get(id));
  }

  /** Stored campaigns this instance cannot serve, as "files" named after the database row. */
  fileProblems(): FileProblem[] {
    return this.refused.map((r) => ({ file: `(database) ${r.id}`, problems: [...r.problems] }));
  }

  create(document: unknown): Promise<SaveResult> {
    const prepared = prepareDocument(document, this.check);
    if (prepared.kind === 'invalid') return Promise.resolve(prepared);
    const { id } = prepared.good.campaign;
    return this.change(id, {}, false, async (stored) => {
      if (stored.has(id)) return { kind: 'conflict', message: `a campaign with id ${id} already exists` };
      return { write: prepared, action: 'created', clashField: 'dnis' };
    });
  }

  update(id: string, document: unknown, options: ChangeOptions = {}): Promise<SaveResult> {
    const prepared = prepareDocument(document, this.check, id);
    if (prepared.kind === 'invalid') return Promise.resolve(prepared);
    return this.change(id, options, true, async () => ({ write: prepared, action: 'updated', clashField: 'dnis' }));
  }

  setActive(id: string, active: boolean, options: ChangeOptions = {}): Promise<SaveResult> {
    return this.change(id, options, true, async (_stored, current) => {
      // Only "active" changes: the rest stays as its author wrote it.
      const prepared = prepareDocument({ ...(current as Good).document, active }, this.check, id);
      if (prepared.kind === 'invalid') return prepared;
      return { write: prepared, action: active ? 'activated' : 'deactivated', clashField: 'active' };
    });
  }

  remove(id: string, options: ChangeOptions = {}): Promise<SaveResult> {
    return this.change(id, options, true, async () => ({ action: 'removed' }));
  }

  reload(): void {
    void this.load().catch((err: unknown) => this.log.error({ err }, 'cannot read the campaigns from PostgreSQL; the campaigns in service stay'));
  }

  /** The pool belongs to the store: nothing of the catalog's own to close. */
  close(): void {}

  /**
   * One change, in one transaction under the catalog lock: `decide` sees the stored
   * campaigns (and the one named by id), and says what to write; clashes are checked
   * against what is stored, so a change through another instance is never overwritten.
   */
  private async change(
    id: string,
    options: ChangeOptions,
    mustExist: boolean,
    decide: (
      stored: Map<string, Good>,
      current: Good | undefined,
    ) => Promise<SaveResult | { write?: Prepared; action: Action; clashField?: 'dnis' | 'active' }>,
  ): Promise<SaveResult> {
    const result = await this.transaction(async (client) => {
      const stored = await storedGoods(client);
      // A stored revision that fails validation is changed from the version that serves
      // for it, its last good copy: an admin fixing it sends that copy's ETag.
      const current = stored.get(id) ?? (await lastGoodOfInvalid(client, id));
      if (!current && mustExist) return { kind: 'not-found' } as SaveResult;
      if (current && options.ifMatch !== undefined && options.ifMatch !== current.version) {
        return {
          kind: 'conflict',
          message: `campaign ${id} has changed: the version in service is ${current.version}, not ${options.ifMatch}`,
          currentVersion: current.version,
        } as SaveResult;
      }
      const decision = await decide(stored, current);
      if ('kind' in decision) return decision;
      const now = new Date().toISOString();
      if (decision.write) {
        const next = new Map(stored).set(id, decision.write.good);
        const registry = registryOf([...next.values()].sort(byId).map((g) => g.campaign));
        if (Array.isArray(registry)) return invalid(registry.map((message) => ({ field: decision.clashField ?? 'dnis', message })));
        await client.query(
          `INSERT INTO campaigns (id, document, version, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
          [id, decision.write.text, decision.write.good.version, now],
        );
      } else {
        await client.query('DELETE FROM campaigns WHERE id = $1', [id]);
        await client.query('DELETE FROM campaign_last_good WHERE id = $1', [id]);
      }
      await client.query('UPDATE campaign_revision SET revision = revision + 1 WHERE id = 1');
      this.log.info({ campaign: id, action: decision.action, source: 'catalog' }, `campaign ${decision.action}`);
      return { kind: 'saved', entry: entryOf(decision.write?.good ?? (current as Good)) } as SaveResult;
    });
    if (result.kind === 'saved') await this.load();
    return result;
  }

  /**
   * Reads every stored campaign and puts those this instance can serve in service. A stored
   * revision this instance refuses serves its last good copy, when one passes and fits with
   * the others (marked last-good), else nothing; each revision that loads cleanly becomes
   * its campaign's last good copy.
   */
  private async load(): Promise<void> {
    const { revision, goods, fallbacks, refused } = await this.transaction(async (client) => {
      const { rows } = await client.query<{ revision: string }>('SELECT revision FROM campaign_revision WHERE id = 1');
      const stored = await client.query<StoredRow>('SELECT id, document, version FROM campaigns ORDER BY id');
      const copies = await client.query<StoredRow>('SELECT id, document, version FROM campaign_last_good');
      const lastGood = new Map(copies.rows.map((row) => [row.id, row]));
      const loaded = new Map<string, Good>();
      const substitutes: Array<{ good: Good; problems: string[] }> = [];
      const problems: Refused[] = [];
      for (const row of stored.rows) {
        const prepared = prepareStored(row, this.check);
        if (!('problems' in prepared)) {
          loaded.set(row.id, prepared);
          if (lastGood.get(row.id)?.version !== row.version) {
            await client.query(
              `INSERT INTO campaign_last_good (id, document, version) VALUES ($1, $2, $3)
               ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document, version = EXCLUDED.version`,
              [row.id, row.document, row.version],
            );
          }
          continue;
        }
        const copy = lastGood.get(row.id);
        const fallback = copy && copy.version !== row.version ? prepareStored(copy, this.check) : undefined;
        if (fallback && !('problems' in fallback)) substitutes.push({ good: fallback, problems: prepared.problems });
        else problems.push({ id: row.id, problems: prepared.problems });
      }
      return { revision: Number(rows[0]?.revision ?? 0), goods: loaded, fallbacks: substitutes, refused: problems };
    });
    const registry = registryOf([...goods.values()].sort(byId).map((g) => g.campaign));
    // Stored campaigns were checked together when they were saved; a clash here can only
    // come from this instance refusing one of them, which cannot add a clash.
    if (Array.isArray(registry)) throw new Error(`stored campaigns clash: ${registry.join('; ')}`);
    // A last good copy may claim a number another campaign has taken since: that one keeps it.
    let served = registry;
    const lastGoodProblems = new Map<string, string[]>();
    for (const { good, problems } of fallbacks) {
      const next = new Map(goods).set(good.campaign.id, good);
      const fits = registryOf([...next.values()].sort(byId).map((g) => g.campaign));
      if (Array.isArray(fits)) {
        refused.push({ id: good.campaign.id, problems: [...problems, ...fits.map((p) => `last good copy: ${p}`)] });
        continue;
      }
      goods.set(good.campaign.id, good);
      lastGoodProblems.set(good.campaign.id, problems);
      served = fits;
    }
    refused.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of refused) if (!this.refused.some((old) => old.id === r.id)) this.log.error({ campaign: r.id, status: 'broken', problems: r.problems }, 'stored campaign cannot be served by this instance');
    for (const [id, problems] of lastGoodProblems) {
      if (!this.lastGoodProblems.has(id)) this.log.error({ campaign: id, status: 'last-good', problems }, 'stored campaign is invalid: its last good version serves until it is fixed');
    }
    this.goods = goods;
    this.refused = refused;
    this.lastGoodProblems = lastGoodProblems;
    this.registry = served;
    this.revision = revision;
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [CATALOG_LOCK]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

/** The stored campaigns as validated versions (without this instance's checks: they were checked when saved). */
async function storedGoods(client: PoolClient): Promise<Map<string, Good>> {
  const { rows } = await client.query<{ id: string; document: string; version: string }>('SELECT id, document, version FROM campaigns ORDER BY id');
  const goods = new Map<string, Good>();
  for (const row of rows) {
    const prepared = prepareStored(row, () => []);
    if (!('problems' in prepared)) goods.set(row.id, prepared);
  }
  return goods;
}

/** The last good copy of campaign id, when its stored revision is there but invalid. */
async function lastGoodOfInvalid(client: PoolClient, id: string): Promise<Good | undefined> {
  const { rows } = await client.query<StoredRow>(
    'SELECT l.id, l.document, l.version FROM campaign_last_good l JOIN campaigns c ON c.id = l.id WHERE l.id = $1',
    [id],
  );
  const prepared = rows[0] && prepareStored(rows[0], () => []);
  return prepared && !('problems' in prepared) ? prepared : undefined;
}

interface StoredRow {
  id: string;
  document: string;
  version: string;
}

function prepareStored(row: StoredRow, check: CampaignCheck): Good | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(row.document);
  } catch (err) {
    return { problems: [`not valid JSON (${(err as Error).message})`] };
  }
  const unsafe = documentProblems(json);
  if (unsafe.length) return { problems: unsafe.map((p) => `${p.path.join('.') || '(campaign)'}: ${p.message}`) };
  const parsed = CampaignSchema.safeParse(json);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(campaign)'}: ${i.message}`) };
  const problems = check(parsed.data);
  if (problems.length) return { problems };
  return { document: json as Record<string, unknown>, campaign: parsed.data, version: row.version };
}

function byId(a: Good, b: Good): number {
  return a.campaign.id < b.campaign.id ? -1 : a.campaign.id > b.campaign.id ? 1 : 0;
}

function entryOf(good: Good, lastGoodProblems?: string[]): CampaignEntry {
  return {
    id: good.campaign.id,
    file: `(database) ${good.campaign.id}`,
    document: structuredClone(good.document),
    campaign: good.campaign,
    version: good.version,
    status: lastGoodProblems ? 'last-good' : 'ok',
    problems: [...(lastGoodProblems ?? [])],
  };
}
