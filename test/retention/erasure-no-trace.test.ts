import type { Express } from 'express';
import Database from 'better-sqlite3';
import path from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import request from 'supertest';
import { composeSharedServer, type Server } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { signTimestamped } from '../../src/signing/timestamped-hmac';
import { startFakeWebhookGateway, type FakeWebhookGateway } from '../fakes/webhook';
import { IvrCaller } from '../helpers/ivr-caller';
import { describePostgres, TEST_DATABASE_URL } from '../helpers/postgres';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer } from '../helpers/server';
import { randomBytes } from 'node:crypto';

/**
 * Issue 20 part 4's test of done: "erasure leaves no trace of the number in any table".
 * Real calls through the app (texted, link clicked, STOP texted, told it opted out), then
 * POST /api/erasure; then every text column of every table is searched for the number in
 * any form (its last 10 digits are in every form: E.164, digits, national, URL-encoded),
 * on both stores. Another caller's number, searched the same way, is still found: the
 * search would see the number if it were there. And the erased number stays opted out.
 */

const SECRET = 'in-house-gateway-secret';
const ERASURE_KEY = 'an erasure key of at least 32 characters, test only';
const DNIS = '+18005550100';
const ANI = '+16175551234';
const OTHER = '+16175559876';
const PHONE_BROWSER = { 'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1', Accept: 'text/html' };

const GATEWAY_ENV = (gateway: FakeWebhookGateway) => ({
  SMS_GATEWAY: 'webhook',
  SMS_WEBHOOK_URL: `${gateway.url}/sms`,
  SMS_WEBHOOK_SECRET: SECRET,
  ERASURE_KEY,
});

/** Where the number appears: each table.column holding it, with its row count. */
type Scan = (needle: string) => Promise<string[]>;

function signed(app: Express, payload: unknown) {
  const body = JSON.stringify(payload);
  const { timestamp, signature } = signTimestamped(SECRET, body, new Date());
  return request(app).post('/webhooks/webhook/inbound').set('Content-Type', 'application/json').set('X-Signature-Timestamp', timestamp).set('X-Signature', signature).send(body);
}

async function deflect(app: Express, ani: string): Promise<IvrCaller> {
  const caller = new IvrCaller(app);
  await caller.start({ dnis: DNIS, ani });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

const admin = (app: Express) => ({
  post: (path: string, body: unknown) => request(app).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object),
});

/** The calls: texted and clicked (both callers), then the first texts STOP and calls again. */
async function history(app: Express, gateway: FakeWebhookGateway): Promise<void> {
  for (const ani of [ANI, OTHER]) {
    expect((await deflect(app, ani)).ending().result.reason).toBe('accepted');
  }
  for (const sent of gateway.accepted) {
    const code = /\/s\/([0-9A-Za-z]{7,})/.exec(sent.body ?? '')?.[1];
    expect((await request(app).get(`/s/${code}`).set(PHONE_BROWSER)).status).toBe(302);
  }
  expect((await signed(app, { id: 'in-1', from: ANI, to: '+16175550000', text: 'STOP' })).status).toBe(204);
  expect((await deflect(app, ANI)).prompts()).toContain('That number has asked us not to send it texts.');
}

async function eraseAndCheck(app: Express, scan: Scan, isSuppressed: () => Promise<boolean>): Promise<void> {
  const before = await scan('6175551234');
  expect(before.length).toBeGreaterThan(3);

  const res = await admin(app).post('/api/erasure', { number: ANI, reason: 'GDPR article 17 request #1' });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ number: '+*******1234', optOutKept: true });
  expect(res.body.removed).toMatchObject({ calls: 2, messages: 1, consent: 1, short_links: 1, suppressions: 1 });
  expect(res.body.removed.call_events).toBeGreaterThan(5);
  expect(JSON.stringify(res.body)).not.toContain('6175551234');
  // Who erased what, and why, is in the audit trail (the number masked: the scan below covers audit_log too).
  const audit = await request(app).get('/api/audit?action=erasure').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(audit.body.entries).toEqual([
    expect.objectContaining({ action: 'erasure', target: 'number:+*******1234', detail: expect.objectContaining({ reason: 'GDPR article 17 request #1' }) }),
  ]);

  for (const needle of ['6175551234', '617555123', '555-1234', '(617) 555']) expect(await scan(needle)).toEqual([]);
  // The same search finds the other caller, whose data is untouched.
  expect((await scan('6175559876')).length).toBeGreaterThan(3);
  // The opt-out holds: checked, and heard by the next call.
  expect(await isSuppressed()).toBe(true);
  expect((await deflect(app, ANI)).prompts()).toContain('That number has asked us not to send it texts.');
}

describe('erasure on SQLite', () => {
  let gateway: FakeWebhookGateway;
  beforeEach(async () => {
    gateway = await startFakeWebhookGateway(SECRET);
  });
  afterEach(async () => {
    await gateway.close();
  });

  it('leaves no trace of the number in any table, and the number stays opted out', async () => {
    const server = startTestServer({ env: GATEWAY_ENV(gateway) });
    const db = new Database(path.join(server.dataDir, 'ivr-deflect.db'), { readonly: true });
    try {
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name);
      const scan: Scan = async (needle) => {
        const found: string[] = [];
        for (const table of tables) {
          for (const { name } of db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]) {
            const { n } = db.prepare(`SELECT count(*) AS n FROM "${table}" WHERE instr(CAST("${name}" AS TEXT), ?) > 0`).get(needle) as { n: number };
            if (n) found.push(`${table}.${name}: ${n}`);
          }
        }
        return found;
      };
      await history(server.app, gateway);
      await eraseAndCheck(server.app, scan, () => server.store.isSuppressed(ANI));
    } finally {
      db.close();
      await server.close();
    }
  });

  it('refuses a number under a legal hold (409, naming it) and answers without the token 401, a bad number 400', async () => {
    const server = startTestServer({ env: GATEWAY_ENV(gateway) });
    try {
      await deflect(server.app, ANI);
      const held = await admin(server.app).post('/api/legal-holds', { number: ANI, reason: 'litigation hold 2026-17' });
      expect(held.status).toBe(201);
      const refused = await admin(server.app).post('/api/erasure', { number: ANI, reason: 'GDPR request' });
      expect(refused.status).toBe(409);
      expect(refused.body.hold).toMatchObject({ kind: 'number', value: '+*******1234', reason: 'litigation hold 2026-17' });
      expect(await server.store.listMessages({ limit: 5, number: ANI })).toHaveLength(1);

      const lifted = await request(server.app).delete(`/api/legal-holds?number=${encodeURIComponent(ANI)}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(lifted.status).toBe(204);
      expect((await admin(server.app).post('/api/erasure', { number: ANI, reason: 'GDPR request' })).status).toBe(200);

      expect((await request(server.app).post('/api/erasure').send({ number: OTHER, reason: 'no token' })).status).toBe(401);
      expect((await admin(server.app).post('/api/erasure', { number: '6175559876', reason: 'not E.164' })).status).toBe(400);
      expect(await server.store.listMessages({ limit: 5, number: OTHER })).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('answers 503 naming ERASURE_KEY when it is not set, erasing nothing', async () => {
    const { ERASURE_KEY: _unset, ...env } = GATEWAY_ENV(gateway);
    const server = startTestServer({ env });
    try {
      await deflect(server.app, ANI);
      const res = await admin(server.app).post('/api/erasure', { number: ANI, reason: 'GDPR request' });
      expect(res.status).toBe(503);
      expect(res.body.error).toContain('ERASURE_KEY');
      expect(await server.store.listMessages({ limit: 5, number: ANI })).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describePostgres('erasure on PostgreSQL', () => {
  it('leaves no trace of the number in any table, and the number stays opted out', async () => {
    const gateway = await startFakeWebhookGateway(SECRET);
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    await client.query(`CREATE SCHEMA ${schema}`);
    let server: Server | undefined;
    try {
      const config = loadConfig({ DATABASE_URL: url.href, ADMIN_TOKEN, PUBLIC_BASE_URL, IVR_ALLOWED_CIDRS: '127.0.0.0/8,::1', ...GATEWAY_ENV(gateway) });
      server = await composeSharedServer(config, pino({ level: 'silent' }), { outboxPollMs: 20 });
      expect((await server.campaigns.create(campaign())).kind).toBe('saved');
      const { rows: columns } = await client.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1`,
        [schema],
      );
      expect(columns.length).toBeGreaterThan(50);
      const scan: Scan = async (needle) => {
        const found: string[] = [];
        for (const { table_name: t, column_name: c } of columns) {
          const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}."${t}" WHERE strpos("${c}"::text, $1) > 0`, [needle]);
          if (Number(rows[0]!.n)) found.push(`${t}.${c}: ${rows[0]!.n}`);
        }
        return found;
      };
      const store = server.store;
      await history(server.app, gateway);
      await eraseAndCheck(server.app, scan, () => store.isSuppressed(ANI));
    } finally {
      await server?.close();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      await gateway.close();
    }
  });
});
