import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * The admin API's actions in the audit trail, read back through GET /api/audit as an
 * auditor would: who (the API token), from where, what, and how.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

let clock = new Date('2026-11-24T20:00:00.000Z');
const start = () => {
  clock = new Date('2026-11-24T20:00:00.000Z');
  server = startTestServer({ now: () => clock });
  return server;
};
const api = (srv: TestServer) => ({
  get: (path: string) => request(srv.app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`),
  put: (path: string, body: object) => request(srv.app).put(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body),
  post: (path: string, body?: object) => request(srv.app).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body),
  delete: (path: string) => request(srv.app).delete(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`),
});

interface Entry {
  id: number;
  at: string;
  actor: { kind: string; name: string; ip: string | null };
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}
const audit = async (srv: TestServer, query = ''): Promise<{ entries: Entry[]; chain: { ok: boolean; checked: number } }> =>
  (await api(srv).get(`/api/audit${query}`)).body as { entries: Entry[]; chain: { ok: boolean; checked: number } };
const actions = (entries: Entry[]) => entries.map((e) => e.action);

/** Texts the test campaign's caller, so there is a message with a whole number to reveal. */
async function textACaller(srv: TestServer): Promise<void> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: '+18005550100', ani: '+16175551234' });
  await caller.press('1');
  await caller.press('1');
}

describe('campaign changes through the API', () => {
  it('records create, update, switch and delete by the API token, with the changed paths, numbers masked', async () => {
    const srv = start();
    const client = api(srv);
    expect((await client.post('/api/campaigns', campaign({ id: 'sales', name: 'Sales', dnis: ['+18005550199'] }))).status).toBe(201);
    expect((await client.put('/api/campaigns/sales', campaign({ id: 'sales', name: 'Sales chat', dnis: ['+18005550177'] }))).status).toBe(200);
    expect((await client.post('/api/campaigns/sales/deactivate')).status).toBe(200);
    expect((await client.delete('/api/campaigns/sales')).status).toBe(204);

    const { entries, chain } = await audit(srv, '?action=campaign');
    expect(actions(entries)).toEqual(['campaign.delete', 'campaign.deactivate', 'campaign.update', 'campaign.create']);
    for (const e of entries) {
      expect(e.actor).toEqual({ kind: 'token', name: 'admin', ip: expect.stringMatching(/127\.0\.0\.1$/) });
      expect(e.target).toBe('campaign:sales');
    }
    const [deleted, deactivated, updated, created] = entries;
    expect(updated!.detail!.changes).toEqual([
      { path: '/dnis', old: ['+*******0199'], new: ['+*******0177'] },
      { path: '/name', old: 'Sales', new: 'Sales chat' },
    ]);
    expect(deactivated!.detail!.changes).toEqual([{ path: '/active', new: false }]);
    expect(created!.detail!.changes).toContainEqual({ path: '/id', new: 'sales' });
    expect(JSON.stringify(entries)).not.toContain('5550199');
    expect(deleted!.detail!.changes).toContainEqual({ path: '/name', old: 'Sales chat' });
    expect(chain).toMatchObject({ ok: true });
  });

  it('records nothing for a change that was refused', async () => {
    const srv = start();
    expect((await api(srv).post('/api/campaigns', campaign({ id: 'bad', link: 'nope' }))).status).toBe(400);
    expect((await api(srv).put('/api/campaigns/support', { ...campaign({ name: 'X' }) }).set('If-Match', '"stale"')).status).toBe(412);
    expect(actions((await audit(srv)).entries)).toEqual(['token.use']);
  });
});

describe('the service switch through the API', () => {
  it('records who switched it, from what to what', async () => {
    const srv = start();
    await api(srv).put('/api/service', { enabled: false });
    const [entry] = (await audit(srv, '?action=service')).entries;
    expect(entry).toMatchObject({ action: 'service.switch', actor: { kind: 'token', name: 'admin' }, detail: { was: true, enabled: false } });
  });
});

describe('reveals of whole numbers through the API', () => {
  it('records the reason and the filters (a number filter masked) before answering', async () => {
    const srv = start();
    await textACaller(srv);
    const res = await api(srv).get('/api/messages?reveal=true&reason=ticket+4411&number=%2B16175551234');
    expect(res.status).toBe(200);
    expect(res.body.messages[0].to).toBe('+16175551234');
    const [entry] = (await audit(srv, '?action=reveal')).entries;
    expect(entry).toMatchObject({ action: 'reveal.messages', target: 'messages', detail: { reason: 'ticket 4411', filters: { number: '+*******1234' } } });
    const consent = await api(srv).get('/api/consent?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&reveal=true&reason=regulator+request');
    expect(consent.status).toBe(200);
    expect((await audit(srv, '?action=reveal.consent')).entries[0]?.detail).toMatchObject({ reason: 'regulator request' });
  });

  it('refuses the reveal (503, no number) when the audit trail cannot record it, counts the failure, and still serves masked reads', async () => {
    const srv = start();
    await textACaller(srv);
    srv.store.appendAudit = () => Promise.reject(new Error('disk full'));
    const refused = await api(srv).get('/api/messages?reveal=true&reason=ticket+4411');
    expect(refused.status).toBe(503);
    expect(refused.text).not.toContain('5551234');
    const masked = await api(srv).get('/api/messages');
    expect(masked.status).toBe(200);
    expect(masked.body.messages[0].to).toBe('+*******1234');
    // A change still goes ahead: it is made, and its missing record is counted.
    expect((await api(srv).put('/api/service', { enabled: false })).body.enabled).toBe(false);
    const metrics = (await request(srv.app).get('/metrics')).text;
    expect(metrics).toContain('ivr_deflect_audit_write_failures_total{action="reveal.messages"} 1');
    expect(metrics).toContain('ivr_deflect_audit_write_failures_total{action="service.switch"} 1');
  });
});

describe('token use', () => {
  it('is recorded once per token, address and clock hour, reads included', async () => {
    const srv = start();
    await api(srv).get('/api/service');
    await api(srv).get('/api/campaigns');
    clock = new Date('2026-11-24T20:59:59.000Z');
    await api(srv).get('/api/service');
    clock = new Date('2026-11-24T21:00:00.000Z');
    await api(srv).get('/api/service');
    const uses = (await audit(srv, '?action=token.use')).entries;
    expect(uses.map((e) => [e.at, e.detail])).toEqual([
      ['2026-11-24T21:00:00.000Z', { method: 'GET', path: '/api/service' }],
      ['2026-11-24T20:00:00.000Z', { method: 'GET', path: '/api/service' }],
    ]);
  });

  it('is not recorded for a request with a wrong token', async () => {
    const srv = start();
    expect((await request(srv.app).get('/api/service').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
    expect(await srv.store.searchAudit({ limit: 10 })).toEqual([]);
  });
});

describe('GET /api/audit', () => {
  it('filters by actor and time, pages by id, and exports every match as formula-safe CSV', async () => {
    const srv = start();
    for (let i = 0; i < 3; i++) {
      clock = new Date(Date.UTC(2026, 10, 24, 20 + i));
      await api(srv).put('/api/service', { enabled: i % 2 === 0 });
    }
    await srv.store.appendAudit({ at: '2026-11-24T23:30:00.000Z', actorKind: 'user', actorName: '=HYPERLINK("http://evil.example")', ip: '203.0.113.9', action: 'sign-in.failed', target: null, detail: null });
    const page1 = (await api(srv).get('/api/audit?action=service&limit=2')).body as { entries: Entry[]; nextBeforeId: number };
    expect(page1.entries.map((e) => e.at)).toEqual(['2026-11-24T22:00:00.000Z', '2026-11-24T21:00:00.000Z']);
    const page2 = (await api(srv).get(`/api/audit?action=service&limit=2&beforeId=${page1.nextBeforeId}`)).body as { entries: Entry[]; nextBeforeId: null };
    expect(page2.entries.map((e) => e.at)).toEqual(['2026-11-24T20:00:00.000Z']);
    expect(page2.nextBeforeId).toBeNull();
    expect((await audit(srv, '?from=2026-11-24T21:00:00Z&to=2026-11-24T22:00:00Z&action=service')).entries).toHaveLength(1);
    expect((await audit(srv, '?actor=admin&action=service')).entries).toHaveLength(3);

    const csv = await api(srv).get('/api/audit?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain('audit.csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor_kind,actor_name,ip,action,target,detail,hash');
    expect(lines).toHaveLength(1 + 3 + 3 + 1); // three switches, their token uses (one per hour), the sign-in failure
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
  });

  it('refuses a bad query with the field named, and asks for the token', async () => {
    const srv = start();
    expect((await api(srv).get('/api/audit?action=DROP%20TABLE')).status).toBe(400);
    expect((await api(srv).get('/api/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')).body.error).toMatch(/to/);
    expect((await request(srv.app).get('/api/audit')).status).toBe(401);
  });
});
