import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { captureLog, signIn, startConsole } from '../console/helpers';
import { IvrCaller } from '../helpers/ivr-caller';
import { startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * Who may fetch the IVR documents: the platform's networks (IVR_ALLOWED_CIDRS, with
 * TRUST_PROXY behind a load balancer) and a shared secret on the start URL. A refused
 * request gets 403 with a document that still hands the call back; the log says why,
 * without the secret or the caller's number.
 */

const SECRET = 'ivr-secret-5f2c9a7e1b';
const CALL = { dnis: '+18005550100', ani: '+16175551234', callid: 'platform-1' };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function start(env: Record<string, string>): { srv: TestServer; lines: Array<Record<string, unknown>> } {
  const { log, lines } = captureLog();
  server = startTestServer({ env, log });
  return { srv: server, lines };
}

/** The call events stored, of any call: a refused start records none. */
async function eventsRecorded(srv: TestServer): Promise<string[]> {
  const events = await srv.store.searchEvents({ from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z', limit: 100 });
  return events.map((e) => e.type);
}

async function expectRefused(res: request.Response, mode: 'goto' | 'subdialog' = 'goto'): Promise<void> {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-cache, no-store, private');
  expect(res.headers.expires).toBe('0');
  await expectValidVxml(res.text);
  // The hand-back: no offer, and the result says it failed.
  expect(res.text).not.toContain('<field');
  expect(res.text).toContain(`expr="'failed'"`);
  if (mode === 'subdialog') expect(res.text).toContain('<return namelist="status reason maskedNumber"/>');
}

describe('IVR_ALLOWED_CIDRS', () => {
  it('serves every document to the allowed networks (here: the test machine itself)', async () => {
    const { srv } = start({ IVR_ALLOWED_CIDRS: '192.0.2.0/24, 127.0.0.0/8, ::1' });
    const caller = new IvrCaller(srv.app);
    await caller.start(CALL);
    await caller.press('1');
    await caller.press('1');
    expect(caller.ending().result.status).toBe('sent');
  });

  it('refuses every /vxml/ URL from anywhere else with 403 and a hand-back document', async () => {
    const { srv, lines } = start({ IVR_ALLOWED_CIDRS: '192.0.2.0/24,2001:db8::/32' });
    await expectRefused(await request(srv.app).get(`/vxml/start?${new URLSearchParams(CALL)}`));
    await expectRefused(await request(srv.app).get('/vxml/start?mode=subdialog&dnis=%2B18005550100'), 'subdialog');
    await expectRefused(await request(srv.app).post('/vxml/offer?call=x').type('form').send({ answer: '1' }));
    expect((await request(srv.app).get('/vxml/root.vxml')).status).toBe(403);
    expect((await request(srv.app).get('/vxml/audio/hold.wav')).status).toBe(403);
    expect(await eventsRecorded(srv)).toEqual([]);
    const refused = lines.filter((l) => l.msg === 'IVR request refused: address not in IVR_ALLOWED_CIDRS');
    expect(refused).toHaveLength(5);
    expect(refused[0]).toMatchObject({ level: 40, path: '/start' });
    expect(JSON.stringify(refused)).not.toContain('6175551234');
  });

  it('leaves the rest of the server alone', async () => {
    const { srv } = start({ IVR_ALLOWED_CIDRS: '192.0.2.0/24' });
    expect((await request(srv.app).get('/s/AbCdEfGh')).status).toBe(404);
    expect((await request(srv.app).get('/api/openapi.json')).status).toBe(200);
  });
});

describe('behind a load balancer (TRUST_PROXY)', () => {
  it('judges the address the trusted proxy reports in X-Forwarded-For', async () => {
    const { srv } = start({ TRUST_PROXY: 'loopback', IVR_ALLOWED_CIDRS: '192.0.2.0/24' });
    const from = (address: string) => request(srv.app).get(`/vxml/start?${new URLSearchParams(CALL)}`).set('X-Forwarded-For', address);
    expect((await from('192.0.2.44')).status).toBe(200);
    await expectRefused(await from('198.51.100.9'));
    // A client that puts an allowed address in front of the chain is still judged by the
    // address the proxy saw (the last one).
    await expectRefused(await from('192.0.2.44, 198.51.100.9'));
  });

  it('ignores X-Forwarded-For when no proxy is trusted, so a client cannot claim an allowed address', async () => {
    const { srv } = start({ IVR_ALLOWED_CIDRS: '192.0.2.0/24' });
    const res = await request(srv.app).get(`/vxml/start?${new URLSearchParams(CALL)}`).set('X-Forwarded-For', '192.0.2.44');
    await expectRefused(res);
  });
});

describe('IVR_SHARED_SECRET', () => {
  it('refuses a start without it, or with a wrong one, and records no call', async () => {
    const { srv, lines } = start({ IVR_SHARED_SECRET: SECRET });
    await expectRefused(await request(srv.app).get(`/vxml/start?${new URLSearchParams(CALL)}`));
    await expectRefused(await request(srv.app).get(`/vxml/start?${new URLSearchParams({ ...CALL, key: 'ivr-secret-guess-000000' })}`));
    await expectRefused(await request(srv.app).get(`/vxml/start?${new URLSearchParams({ ...CALL, key: SECRET.slice(0, -1) })}`));
    await expectRefused(
      await request(srv.app).post('/vxml/start?mode=subdialog').type('form').send({ ...CALL, key: `${SECRET}x` }),
      'subdialog',
    );
    const messages = lines.filter((l) => String(l.msg).startsWith('IVR request refused')).map((l) => l.msg);
    expect(messages).toEqual([
      'IVR request refused: no shared secret',
      'IVR request refused: wrong shared secret',
      'IVR request refused: wrong shared secret',
      'IVR request refused: wrong shared secret',
    ]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain('ivr-secret');
    expect(logged).not.toContain('6175551234');
    expect(await eventsRecorded(srv)).toEqual([]);
  });

  it.each([
    ['the query string', (q: URLSearchParams) => request(server!.app).get(`/vxml/start?${q}&key=${SECRET}`)],
    ['a form field', (q: URLSearchParams) => request(server!.app).post('/vxml/start').type('form').send(`${q}&key=${SECRET}`)],
    ['the X-IVR-Secret header', (q: URLSearchParams) => request(server!.app).get(`/vxml/start?${q}`).set('X-IVR-Secret', SECRET)],
  ])('offers when it comes in %s', async (_where, send) => {
    start({ IVR_SHARED_SECRET: SECRET });
    const res = await send(new URLSearchParams(CALL));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<field name="answer">');
  });

  it('reads it from the parameter IVR_SECRET_PARAM names', async () => {
    const { srv } = start({ IVR_SHARED_SECRET: SECRET, IVR_SECRET_PARAM: 'ivrToken' });
    await expectRefused(await request(srv.app).get(`/vxml/start?${new URLSearchParams({ ...CALL, key: SECRET })}`));
    const res = await request(srv.app).get(`/vxml/start?${new URLSearchParams({ ...CALL, ivrToken: SECRET })}`);
    expect(res.text).toContain('<field name="answer">');
  });

  it('is asked for only at the start: the later steps follow our own URLs, which never carry it', async () => {
    const { srv } = start({ IVR_SHARED_SECRET: SECRET });
    const caller = new IvrCaller(srv.app);
    await caller.start({ ...CALL, key: SECRET });
    await caller.press('1');
    await caller.press('1');
    expect(caller.ending().result).toMatchObject({ status: 'sent', reason: 'accepted' });
    await caller.fetchRoot();
    for (const document of caller.documents) expect(document).not.toContain(SECRET);
  });
});

describe("the console's call simulator", () => {
  it('still walks calls when neither its address nor its lack of the secret would be let in', async () => {
    server = await startConsole({ env: { IVR_ALLOWED_CIDRS: '192.0.2.0/24', IVR_SHARED_SECRET: SECRET } });
    const http: HttpServer = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const admin = await signIn(server.app);
      const api = (path: string, body: object) =>
        request(base).post(`/admin/simulator${path}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).send(body);
      const call = await api('/calls', { dnis: '+18005550100', ani: '+16175551234' });
      expect(call.status).toBe(201);
      expect(call.body).toMatchObject({ state: 'listening' });
      const accepted = await api(`/calls/${call.body.id}/input`, { input: '1' });
      const confirmed = await api(`/calls/${accepted.body.id}/input`, { input: '1' });
      expect(confirmed.body).toMatchObject({ state: 'ended', messages: [{ status: 'sent' }] });
      // The page never sees the key that let it in.
      expect(JSON.stringify([call.body, accepted.body, confirmed.body])).not.toMatch(/simulator|S3cret|ivr-secret/i);
      // Anyone else from the same address is still refused.
      expect((await request(base).get('/vxml/start?dnis=%2B18005550100').set('X-IVR-Simulator', 'guess')).status).toBe(403);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
