import pino from 'pino';
import request from 'supertest';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
beforeEach(() => {
  server = startTestServer();
});
afterEach(() => server.close());

async function deflect(srv: TestServer, ani: string, callid: string): Promise<void> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: '+18005550100', ani, callid });
  await caller.press('1');
  await caller.press('1');
}

describe('GET /api/messages', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${ADMIN_TOKEN}x`],
    ['a prefix of the token', `Bearer ${ADMIN_TOKEN.slice(0, 10)}`],
    ['the token without the Bearer scheme', ADMIN_TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
  ])('refuses %s with 401', async (_label, header) => {
    const req = request(server.app).get('/api/messages');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.error).toMatch(/bearer token/);
  });

  it('is switched off, not open, when no ADMIN_TOKEN is configured', async () => {
    const srv = startTestServer({ env: { ADMIN_TOKEN: '' } });
    try {
      const res = await request(srv.app).get('/api/messages').set('Authorization', 'Bearer anything-at-all-here');
      expect(res.status).toBe(503);
      expect(res.body.error).toContain('ADMIN_TOKEN');
    } finally {
      await srv.close();
    }
  });

  it('lists messages newest first with the documented fields', async () => {
    let clock = Date.parse('2026-11-21T09:00:00Z');
    const srv = startTestServer({ now: () => new Date((clock += 1000)) });
    try {
      await deflect(srv, '+16175551234', 'first');
      await deflect(srv, '+16172531234', 'second');
      const res = await request(srv.app).get('/api/messages').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const messages = res.body.messages as Array<Record<string, unknown>>;
      // Masked unless whole numbers are asked for with a reason.
      expect(messages.map((m) => m.to)).toEqual(['+*******1234', '+*******1234']);
      expect(JSON.stringify(res.body)).not.toContain('6172531234');
      for (const m of messages) {
        expect(Object.keys(m)).toEqual(
          expect.arrayContaining(['id', 'to', 'body', 'status', 'campaignId', 'callId', 'createdAt']),
        );
        expect(m.status).toBe('sent');
        expect(m.campaignId).toBe('support');
      }
      const page = await request(srv.app)
        .get('/api/messages')
        .query({ limit: 1, before: messages[0]?.createdAt as string, reveal: 'true', reason: 'paging check' })
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect((page.body.messages as Array<{ to: string }>).map((m) => m.to)).toEqual(['+16175551234']);
    } finally {
      await srv.close();
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=100000', 'limit'],
    ['before=yesterday', 'before'],
    ['sort=asc', 'sort'],
    ['reveal=true', 'reason'],
    ['reveal=true&reason=x', 'reason'],
    ['status=lost', 'status'],
    ['number=1', 'number'],
    ['number=%2B1abc', 'number'],
    ['since=tomorrow', 'since'],
  ])('answers %s with 400 naming the field', async (query, field) => {
    const res = await request(server.app).get(`/api/messages?${query}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(field);
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('answers unknown admin routes with a JSON 404 (after authentication)', async () => {
    const anonymous = await request(server.app).get('/api/nothing');
    expect(anonymous.status).toBe(401);
    const res = await request(server.app).get('/api/nothing').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBeTruthy();
  });
});

describe('GET /api/messages filters and reveal', () => {
  it('filters by status, campaign and number (whole or last digits), and logs who revealed numbers why', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const srv = startTestServer({ log, env: { SANDBOX_FAIL_NUMBERS: '+16175550000' } });
    try {
      await deflect(srv, '+16175551234', 'ok');
      await deflect(srv, '+16175550000', 'refused');
      const get = (query: Record<string, string>) =>
        request(srv.app).get('/api/messages').query(query).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      const failed = await get({ status: 'failed' });
      expect(failed.body.messages.map((m: { to: string }) => m.to)).toEqual(['+*******0000']);
      expect((await get({ number: '1234' })).body.messages).toHaveLength(1);
      expect((await get({ number: '+16175551234' })).body.messages).toHaveLength(1);
      expect((await get({ number: '9999' })).body.messages).toHaveLength(0);
      expect((await get({ campaign: 'other' })).body.messages).toHaveLength(0);
      const revealed = await get({ reveal: 'true', reason: 'customer complaint 4711' });
      expect(revealed.body.revealed).toBe(true);
      expect(revealed.body.messages.map((m: { to: string }) => m.to).sort()).toEqual(['+16175550000', '+16175551234']);
      const audit = lines.map((l) => JSON.parse(l)).find((l) => l.reason === 'customer complaint 4711');
      expect(audit).toMatchObject({ level: 40, by: 'admin-api' });
    } finally {
      await srv.close();
    }
  });
});

describe('call events', () => {
  it('shows one call with its events, numbers masked, and pages events by time', async () => {
    await deflect(server, '+16175551234', 'evt');
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const all = await request(server.app).get('/api/events').query({ from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }).set(auth);
    expect(all.status).toBe(200);
    const types = all.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['started', 'offered', 'accepted', 'number-confirmed', 'sms-queued', 'sms-sent']));
    const callId = all.body.events[0].callId as string;
    const call = await request(server.app).get(`/api/calls/${callId}`).set(auth);
    expect(call.body.call).toMatchObject({ id: callId, campaignId: 'support', ani: '+*******1234', destination: '+*******1234' });
    expect(call.body.events.map((e: { type: string }) => e.type)).toEqual(types);

    const page1 = await request(server.app).get('/api/events').query({ from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', limit: 2 }).set(auth);
    expect(page1.body.events).toHaveLength(2);
    const page2 = await request(server.app)
      .get('/api/events')
      .query({ from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', limit: 100, afterId: page1.body.nextAfterId })
      .set(auth);
    expect([...page1.body.events, ...page2.body.events].map((e: { id: number }) => e.id)).toEqual(all.body.events.map((e: { id: number }) => e.id));
    expect(page2.body.nextAfterId).toBeNull();
    expect((await request(server.app).get('/api/calls/nope').set(auth)).status).toBe(404);
    const onlySent = await request(server.app).get('/api/events').query({ from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', type: 'sms-sent' }).set(auth);
    expect(onlySent.body.events.map((e: { type: string }) => e.type)).toEqual(['sms-sent']);
  });
});
