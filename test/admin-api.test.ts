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
      expect(messages.map((m) => m.to)).toEqual(['+16172531234', '+16175551234']);
      for (const m of messages) {
        expect(Object.keys(m)).toEqual(
          expect.arrayContaining(['id', 'to', 'body', 'status', 'campaignId', 'callId', 'createdAt']),
        );
        expect(m.status).toBe('sent');
        expect(m.campaignId).toBe('support');
      }
      const page = await request(srv.app)
        .get('/api/messages')
        .query({ limit: 1, before: messages[0]?.createdAt as string })
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
