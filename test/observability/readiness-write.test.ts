import type Database from 'better-sqlite3';
import express from 'express';
import request from 'supertest';
import { healthRoutes, Readiness } from '../../src/observability/health-routes';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * A store that can read but not write (a full disk, a read-only file or database) fails
 * every call: /readyz must say so, with the reason, instead of "ok". Readiness writes one
 * heartbeat row; here the write is made to fail behind the store's back, as the disk would.
 */

describe('SQLite: /readyz on the real app', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers 503 with the reason when the database can be read but not written', async () => {
    server = startTestServer();
    expect((await request(server.app).get('/readyz')).status).toBe(200);
    // What a read-only file or a full disk looks like to SQLite: every write refused.
    (server.store as unknown as { db: Database.Database }).db.pragma('query_only = ON');
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('failed');
    expect(res.body.checks.store).toEqual({ status: 'failed', error: expect.stringMatching(/readonly|read-only/i) });
    // Reads still work, which is why a read was not enough.
    await expect(server.store.outboxDepth()).resolves.toEqual({ queued: 0, oldestCreatedAt: null });
  });

  it('says in its answer that the IVR door is open on purpose (IVR_OPEN on a public address)', async () => {
    server = startTestServer({ env: { HOST: '0.0.0.0', IVR_ALLOWED_CIDRS: '', IVR_OPEN: 'true' } });
    const res = await request(server.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', ivr: 'open' });
    server.readiness.drain();
    expect((await request(server.app).get('/readyz')).body).toEqual({ status: 'draining', ivr: 'open' });
  });
});

describePostgres('PostgreSQL: /readyz', () => {
  const schema = new TestSchema();
  let store: PgStore;
  beforeAll(async () => {
    store = await schema.open();
  });
  afterAll(() => schema.drop());

  function app() {
    const readiness = new Readiness({
      store,
      campaigns: { all: () => [{}] } as never,
      gateways: new Map([['sandbox', {}]]),
      defaultGateway: 'sandbox',
      ivrOpen: false,
      now: () => new Date(),
    });
    return express().use(healthRoutes(readiness));
  }

  it('answers 503 with the reason when the database refuses writes, 200 again once it takes them', async () => {
    expect((await request(app()).get('/readyz')).status).toBe(200);
    const db = await schema.connect();
    // A database that stopped taking writes (disk full, read-only): the heartbeat write fails.
    await db.query(`CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$`);
    await db.query('CREATE TRIGGER no_space BEFORE INSERT OR UPDATE ON readiness_probe FOR EACH ROW EXECUTE FUNCTION refuse_write()');
    const res = await request(app()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.store).toEqual({ status: 'failed', error: expect.stringContaining('No space left on device') });
    await db.query('DROP TRIGGER no_space ON readiness_probe');
    expect((await request(app()).get('/readyz')).status).toBe(200);
  });
});
