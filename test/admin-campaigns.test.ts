import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { OPERATIONS } from '../src/http/admin/openapi';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from './helpers/server';

/**
 * Campaigns through the admin API, end to end: the real app, the real campaigns folder,
 * and the next call at /vxml/start as the proof that a change is in service.
 */

let server: TestServer;
beforeEach(() => {
  server = startTestServer();
});
afterEach(() => server.close());

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const api = (srv: TestServer = server) => ({
  get: (url: string) => request(srv.app).get(url).set(auth),
  post: (url: string, body?: unknown) => request(srv.app).post(url).set(auth).send(body as object),
  put: (url: string, body: unknown) => request(srv.app).put(url).set(auth).send(body as object),
  delete: (url: string) => request(srv.app).delete(url).set(auth),
});

const NEW_DNIS = '+18005550199';
const sales = campaign({ id: 'sales', name: 'Sales chat', dnis: [NEW_DNIS], message: 'Sales: {link}' });

async function startCall(dnis: string, srv: TestServer = server): Promise<string> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis, ani: '+16175551234', callid: `c-${Math.random()}` });
  return caller.xml;
}
const offers = (xml: string) => /press 1/i.test(xml) && !/status=unavailable/.test(xml.replace(/&amp;/g, '&'));

const readFile = (srv: TestServer, name: string) => JSON.parse(fs.readFileSync(path.join(srv.campaignsDir, name), 'utf8'));

describe('every admin route needs the bearer token', () => {
  const concrete = (p: string) => p.replace('{id}', 'support');
  it.each(OPERATIONS.map((op) => [op.method.toUpperCase(), op.path] as const))('%s %s refuses no token and a wrong one', async (method, p) => {
    const url = `/api${concrete(p)}`;
    const verb = method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    const none = await request(server.app)[verb](url);
    expect(none.status).toBe(401);
    const wrong = await request(server.app)[verb](url).set('Authorization', `Bearer ${ADMIN_TOKEN}-not`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    // Nothing changed behind the refusal.
    expect(server.campaigns.get('support')?.active).toBe(true);
  });

  it('serves the OpenAPI document without a token', async () => {
    const res = await request(server.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });
});

describe('campaigns through the API', () => {
  it('creates a campaign whose DNIS is served from the next call, and writes its file', async () => {
    expect(offers(await startCall(NEW_DNIS))).toBe(false);
    const res = await api().post('/api/campaigns', sales);
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/api/campaigns/sales');
    expect(res.headers.etag).toBe(`"${res.body.version}"`);
    expect(res.body).toMatchObject({ id: 'sales', active: true, file: 'sales.json', problems: [] });
    expect(readFile(server, 'sales.json')).toEqual(sales);
    expect(offers(await startCall(NEW_DNIS))).toBe(true);
    const list = await api().get('/api/campaigns');
    expect(list.body.campaigns.map((c: { id: string }) => c.id).sort()).toEqual(['sales', 'support']);
  });

  it('deactivates and reactivates: the next call is handed back, then offered again', async () => {
    const off = await api().post('/api/campaigns/support/deactivate');
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(readFile(server, 'support.json').active).toBe(false);
    expect(offers(await startCall('+18005550100'))).toBe(false);
    const on = await api().post('/api/campaigns/support/activate');
    expect(on.body.active).toBe(true);
    expect(offers(await startCall('+18005550100'))).toBe(true);
  });

  it('updates the text a caller is sent from the next call', async () => {
    const current = await api().get('/api/campaigns/support');
    const res = await api().put('/api/campaigns/support', { ...current.body.document, message: 'Updated text {link}' });
    expect(res.status).toBe(200);
    expect(server.campaigns.get('support')?.message).toBe('Updated text {link}');
    expect(readFile(server, 'support.json').message).toBe('Updated text {link}');
  });

  it('deletes a campaign and its file; its DNIS hands back', async () => {
    const res = await api().delete('/api/campaigns/support');
    expect(res.status).toBe(204);
    expect(fs.existsSync(path.join(server.campaignsDir, 'support.json'))).toBe(false);
    expect(offers(await startCall('+18005550100'))).toBe(false);
    expect((await api().get('/api/campaigns/support')).status).toBe(404);
  });

  it.each([
    ['a missing name', { ...sales, name: undefined }, 'name'],
    ['a bad link', { ...sales, link: 'not a url' }, 'link'],
    ['a DNIS already claimed by an active campaign', { ...sales, dnis: ['+1 800 555 0100'] }, 'dnis'],
    ['an unknown field', { ...sales, colour: 'red' }, 'colour'],
    ['a gateway the environment does not configure', { ...sales, gateway: 'twilio' }, 'gateway'],
    ['a body that is not an object', [1, 2], ''],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_label, body, field) => {
    const res = await api().post('/api/campaigns', body);
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    if (field) expect(res.body.error).toContain(field);
    expect(fs.existsSync(path.join(server.campaignsDir, 'sales.json'))).toBe(false);
  });

  it('refuses a second campaign with a taken id (409) and a changed id on update (400)', async () => {
    expect((await api().post('/api/campaigns', campaign({ dnis: [NEW_DNIS] }))).status).toBe(409);
    const res = await api().put('/api/campaigns/support', { ...campaign(), id: 'other' });
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain('id');
  });

  it('refuses a change based on an old version (If-Match) with 412 and the current ETag', async () => {
    const first = await api().get('/api/campaigns/support');
    const etag = first.headers.etag as string;
    const saved = await api().put('/api/campaigns/support', { ...first.body.document, name: 'First edit' }).set('If-Match', etag);
    expect(saved.status).toBe(200);
    const stale = await api().put('/api/campaigns/support', { ...first.body.document, name: 'Second edit' }).set('If-Match', etag);
    expect(stale.status).toBe(412);
    expect(stale.headers.etag).toBe(saved.headers.etag);
    expect(server.campaigns.get('support')?.name).toBe('First edit');
  });

  it('answers an unknown campaign with 404 for every verb', async () => {
    expect((await api().get('/api/campaigns/nope')).status).toBe(404);
    expect((await api().put('/api/campaigns/nope', campaign({ id: 'nope' }))).status).toBe(404);
    expect((await api().post('/api/campaigns/nope/activate')).status).toBe(404);
    expect((await api().delete('/api/campaigns/nope')).status).toBe(404);
    expect((await api().get('/api/campaigns/..%2F..%2Fetc')).status).toBe(404);
  });

  it('keeps the file whole under 40 concurrent updates over real sockets', async () => {
    const http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const bodies = Array.from({ length: 40 }, (_, i) => campaign({ name: `Edit ${i}`, message: `${'x'.repeat(i * 7)} {link}` }));
      const answers = await Promise.all(
        bodies.map((body) =>
          fetch(`${base}/api/campaigns/support`, {
            method: 'PUT',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
      const onDisk = readFile(server, 'support.json');
      expect(bodies).toContainEqual(onDisk);
      expect(server.campaigns.get('support')?.name).toBe(onDisk.name);
      expect(fs.readdirSync(server.campaignsDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('hand edits to campaigns/', () => {
  const waitFor = async (condition: () => boolean, ms = 4000) => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the campaign folder to be re-read');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  it('picks up a valid edit without a restart, and keeps the last good version of an invalid one', async () => {
    const file = path.join(server.campaignsDir, 'support.json');
    fs.writeFileSync(file, JSON.stringify(campaign({ name: 'Edited by hand' }), null, 2));
    await waitFor(() => server.campaigns.get('support')?.name === 'Edited by hand');

    fs.writeFileSync(file, '{ "id": "support", "name": ');
    await waitFor(() => (server.campaigns.entry('support')?.problems.length ?? 0) > 0);
    expect(server.campaigns.get('support')?.name).toBe('Edited by hand');
    expect(offers(await startCall('+18005550100'))).toBe(true);
    const listed = await api().get('/api/campaigns');
    expect(listed.body.campaigns[0].problems.join(' ')).toMatch(/JSON/);
  });
});
