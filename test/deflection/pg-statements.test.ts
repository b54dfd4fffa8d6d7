import pino from 'pino';
import request from 'supertest';
import { composeSharedServer, type Server } from '../../src/compose';
import { loadConfig } from '../../src/config';
import { adminQuery, describePostgres, statementsOf, urlInSchema } from '../helpers/postgres';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign } from '../helpers/server';

/**
 * The statements one whole deflection sends to PostgreSQL, by kind: each costs the server
 * a round trip (and the database a statement), which is what limits deflections per second
 * on PostgreSQL. Counted from the driver (as test/bench/pg-counter.cjs does under load),
 * for one caller at a time, so each gathered read is a statement of its own here.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';

describePostgres('PostgreSQL: the statements of one deflection', () => {
  const schema = `stmts_${Math.random().toString(16).slice(2, 10)}`;
  let server: Server;

  beforeAll(async () => {
    await adminQuery(`CREATE SCHEMA ${schema}`);
    const config = loadConfig({ DATABASE_URL: urlInSchema(schema), ADMIN_TOKEN, PUBLIC_BASE_URL });
    // The outbox's background poll is left out of the count: it looks once an hour here.
    server = await composeSharedServer(config, pino({ level: 'silent' }), { outboxPollMs: 3_600_000 });
    expect((await server.campaigns.create(campaign())).kind).toBe('saved');
  });
  afterAll(async () => {
    await server.close();
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('sends these: the first attempt leased by the admission, checked by its start, the call ending with its result', async () => {
    let callId = '';
    let confirmed = '';
    const sent = await statementsOf(async () => {
      const start = await request(server.app).get(`/vxml/start?${new URLSearchParams({ dnis: DNIS, ani: ANI })}`);
      callId = /[?&]call=([^&"]+)/.exec(start.text.replace(/&amp;/g, '&'))?.[1] ?? '';
      const post = (step: string) => request(server.app).post(`/vxml/${step}?call=${callId}&mode=goto`).type('form').send('answer=1');
      expect((await post('offer')).text).toContain("We'll text the number you're calling from");
      confirmed = (await post('confirm')).text;
    });
    expect(confirmed).toContain("We've sent you a text.");
    expect(sent.map((text) => text.slice(0, 41))).toEqual([
      // The start: the campaigns' revision, the service switch, the campaign's two caps,
      // the recontact lookup, the call with its events.
      'SELECT revision FROM campaign_revision WH',
      'SELECT * FROM settings WHERE key = $1',
      'SELECT COUNT(*)::int AS n FROM messages W',
      'SELECT COUNT(*)::int AS n FROM messages W',
      'SELECT a.n, m.* FROM unnest($1::text[], $',
      'WITH started AS ( INSERT INTO calls (id, ',
      // The accept: the revision, the call, its move to "confirming".
      'SELECT revision FROM campaign_revision WH',
      'SELECT * FROM calls WHERE id = ANY($1::te',
      'WITH moved AS (UPDATE calls SET updated_a',
      // The confirm: the revision, the call, the opt-out check, the link, the admission
      // (limits, the message stored leased for its first attempt, the claim of the call),
      // the attempt's start with its opt-out check, and its result with the call's ending:
      // no statement for the lease, the attempt's opt-out check or the ending.
      'SELECT revision FROM campaign_revision WH',
      'SELECT * FROM calls WHERE id = ANY($1::te',
      'SELECT s.number, s.channel FROM suppressi',
      'INSERT INTO short_links (code, target, ca',
      'SELECT ivr_admit($1::text[], $2, $3, $4, ',
      'WITH s AS ( SELECT DISTINCT ON (id) id, h',
      'WITH attempted AS ( UPDATE messages SET s',
    ]);
    const call = await server.store.getCall(callId);
    expect(call).toMatchObject({ state: 'sent', result: { status: 'sent', reason: 'accepted' } });
    const events = (await server.store.listEvents(callId)).map((e) => e.type);
    expect(events.slice(-2)).toEqual(['sms-queued', 'sms-sent']);
  });
});
