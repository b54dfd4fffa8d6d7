import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startFakeServer } from '../fakes/fake-server';
import { campaign, type TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin } from './helpers';

/**
 * The call simulator's page and JSON API. The app listens on a real port: the simulated
 * calls fetch our own VoiceXML over loopback, on the port the page's request came in on.
 */

describe('console call simulator', () => {
  let server: TestServer;
  let http: HttpServer;
  let base: string;
  let admin: Admin;

  beforeAll(async () => {
    server = await startConsole();
    await server.campaigns.create(campaign({ id: 'off', name: 'Switched off', dnis: ['+1 800 555 0111'], active: false }));
    http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    // Sessions live in the store, so a sign-in through the app holds on the listening port too.
    admin = await signIn(server.app);
  });
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await server?.close();
  });

  const api = (method: 'post' | 'delete', path: string, body?: object) => {
    const req = request(base)[method](`/admin/simulator${path}`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
    return body ? req.send(body) : req;
  };
  const prompts = (entries: Array<{ kind: string; text?: string }>) => entries.filter((e) => e.kind === 'prompt').map((e) => e.text).join(' ');

  describe('access', () => {
    it('sends a signed-out browser to the sign-in page, and refuses signed-out calls', async () => {
      const page = await request(base).get('/admin/simulator');
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/admin/sign-in?next=%2Fadmin%2Fsimulator');
      const call = await request(base).post('/admin/simulator/calls').send({ dnis: '+18005550100', ani: '' });
      expect(call.status).toBe(303);
      expect(call.headers.location).toBe('/admin/sign-in');
    });

    it('refuses calls and inputs without the CSRF token', async () => {
      const signedIn = (method: 'post' | 'delete', path: string) => request(base)[method](`/admin/simulator${path}`).set('Cookie', admin.cookie);
      expect((await signedIn('post', '/calls').send({ dnis: '+18005550100', ani: '' })).status).toBe(403);
      expect((await signedIn('post', '/calls/x/input').send({ input: '1' })).status).toBe(403);
      expect((await signedIn('delete', '/calls/x')).status).toBe(403);
      expect((await signedIn('post', '/calls').set('X-CSRF-Token', 'not-the-token').send({ dnis: '+18005550100' })).status).toBe(403);
    });
  });

  describe('the page', () => {
    it('offers the active campaigns’ numbers, the caller presets, the keypad and its script', async () => {
      const res = await admin.get('/admin/simulator');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('<option value="+1 800 555 0100">+1 800 555 0100 · Support chat</option>');
      expect(res.text).not.toContain('Switched off');
      expect(res.text).toMatch(/<a href="\/admin\/simulator" aria-current="page">Simulator<\/a>/);
      expect(res.text).toContain('data-ani="+16175551234"');
      expect(res.text).toContain('data-ani=""');
      for (const key of ['1', '5', '9', '*', '0', '#']) expect(res.text).toContain(`data-key="${key}"`);
      expect(res.text).toMatch(/<script src="\/admin\/assets\/simulator\.js\?v=\w+" defer><\/script>/);
      expect(res.text).toContain('role="log"');
      // No inline scripts or styles.
      expect(res.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son\w+=/);
      expect((await request(base).get(/src="([^"]*simulator\.js[^"]*)"/.exec(res.text)![1]!)).status).toBe(200);
    });
  });

  describe('bad requests', () => {
    it('answers 400 naming the field', async () => {
      const noDnis = await api('post', '/calls', { ani: '+16175551234' });
      expect(noDnis.status).toBe(400);
      expect(noDnis.body.error).toMatch(/^invalid body: dnis: /);
      expect(noDnis.body.fields).toEqual([expect.objectContaining({ field: 'dnis' })]);

      const emptyDnis = await api('post', '/calls', { dnis: '  ', ani: '' });
      expect(emptyDnis.body.error).toBe('invalid body: dnis: choose or type the number the caller dials');

      const longAni = await api('post', '/calls', { dnis: '+18005550100', ani: '1'.repeat(101) });
      expect(longAni.status).toBe(400);
      expect(longAni.body.error).toBe('invalid body: ani: must be at most 100 characters');

      const control = await api('post', '/calls', { dnis: '+1800\u0000', ani: '' });
      expect(control.body.error).toBe('invalid body: dnis: must not contain control characters');

      const badInput = await api('post', '/calls/whatever/input', { input: 'press one' });
      expect(badInput.status).toBe(400);
      expect(badInput.body.error).toBe('invalid body: input: input "press one" is neither keys (0-9 * # A-D) nor noinput, help or hangup');

      const noInput = await api('post', '/calls/whatever/input', {});
      expect(noInput.status).toBe(400);
      expect(noInput.body.fields[0].field).toBe('input');
    });

    it('answers 404 for a call it does not know', async () => {
      const input = await api('post', '/calls/no-such-call/input', { input: '1' });
      expect(input.status).toBe(404);
      expect(input.body.error).toMatch(/no such call/);
      expect((await api('delete', '/calls/no-such-call')).status).toBe(404);
    });
  });

  describe('calls', () => {
    it('walks the offer and the number confirmation to a text, shown whole because the tester typed the number', async () => {
      const offer = await api('post', '/calls', { dnis: '+1 800 555 0100', ani: '+16175551234' });
      expect(offer.status).toBe(201);
      expect(offer.body).toMatchObject({ state: 'listening', listening: { expecting: expect.any(Array) } });
      expect(prompts(offer.body.entries)).toMatch(/To get a text message .* press 1/);
      // The start went to our own server, over loopback, with a platform call id of its own.
      expect(offer.body.entries[0]).toMatchObject({ kind: 'fetch', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/vxml\/start\?dnis=.*&callid=sim-\w+/) });

      const confirm = await api('post', `/calls/${offer.body.id}/input`, { input: '1' });
      expect(confirm.status).toBe(200);
      expect(confirm.body.state).toBe('listening');
      expect(prompts(confirm.body.entries)).toMatch(/ending in 1 ?2 ?3 ?4/);

      const end = await api('post', `/calls/${offer.body.id}/input`, { input: '1' });
      expect(end.body.state).toBe('ended');
      expect(prompts(end.body.entries)).toMatch(/We've sent you a text/);
      expect(end.body.outcome).toMatchObject({ normal: true, values: { status: 'sent', reason: 'accepted' } });
      expect(end.body.outcome.transcript).toBeUndefined();
      expect(end.body.messages).toEqual([
        { to: '+16175551234', masked: false, body: expect.stringMatching(/^Chat with us: https:\/\/t\.example\.test\/s\/\w{8}$/), status: 'sent', gateway: 'sandbox' },
      ]);
      // The call is over: the server has forgotten it.
      expect((await api('post', `/calls/${offer.body.id}/input`, { input: '1' })).status).toBe(404);
    });

    it('masks a text of the call to a number the tester did not type', async () => {
      const offer = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175550006' });
      const confirm = await api('post', `/calls/${offer.body.id}/input`, { input: '1' });
      // Our call id is in the URL of the step the call fetched; a text filed under it to
      // another number (none of the call flow's doing) must not be shown whole.
      const ourCallId = new URL(confirm.body.entries.find((e: { kind: string }) => e.kind === 'fetch').url).searchParams.get('call')!;
      await server.store.createMessage({
        id: 'planted',
        callId: ourCallId,
        campaignId: 'support',
        to: '+16175559876',
        body: 'Not from this call',
        gateway: 'sandbox',
        fallbackGateway: null,
        segments: 1,
        encoding: 'GSM-7',
        createdAt: new Date().toISOString(),
      });
      const end = await api('post', `/calls/${offer.body.id}/input`, { input: '1' });
      expect(end.body.messages).toHaveLength(2);
      expect(end.body.messages).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ to: '+*******9876', masked: true, body: 'Not from this call' }),
          expect.objectContaining({ to: '+16175550006', masked: false }),
        ]),
      );
    });

    it('walks a withheld caller keying in a mobile number', async () => {
      const ask = await api('post', '/calls', { dnis: '+18005550100', ani: '' });
      expect(prompts(ask.body.entries)).toMatch(/press 1/);
      const enter = await api('post', `/calls/${ask.body.id}/input`, { input: '1' });
      expect(prompts(enter.body.entries)).toMatch(/enter your 10-digit mobile number/);
      const readBack = await api('post', `/calls/${ask.body.id}/input`, { input: '617-555-0123#' });
      expect(prompts(readBack.body.entries)).toMatch(/You entered 6 ?1 ?7 ?5 ?5 ?5 ?0 ?1 ?2 ?3/);
      const end = await api('post', `/calls/${ask.body.id}/input`, { input: '1' });
      expect(end.body.messages).toEqual([expect.objectContaining({ to: '+16175550123', masked: false, status: 'sent' })]);
    });

    it('walks a decline: no text', async () => {
      const offer = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175550002' });
      const end = await api('post', `/calls/${offer.body.id}/input`, { input: '2' });
      expect(end.body).toMatchObject({ state: 'ended', outcome: { values: { status: 'declined', reason: 'caller-declined' } }, messages: [] });
    });

    it('stops at a return URL outside this server and shows it, without fetching it', async () => {
      // The return URL points at a host only the server can reach (an internal service here).
      const internal = await startFakeServer(() => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: '<vxml version="2.1"><form><block>internal-secret-4417</block></form></vxml>' }));
      try {
        const returnUrl = `${internal.url}/latest/meta-data/?from=ivr`;
        await server.campaigns.create(campaign({ id: 'handback', name: 'Hand back', dnis: ['+1 800 555 0122'], onHandBack: { action: 'goto', url: returnUrl } }));
        const offer = await api('post', '/calls', { dnis: '+18005550122', ani: '+16175550005' });
        const end = await api('post', `/calls/${offer.body.id}/input`, { input: '2' });

        expect(end.body).toMatchObject({ state: 'ended', outcome: { reason: 'left-origin', normal: true, message: expect.stringContaining(returnUrl) } });
        expect(end.body.entries).toContainEqual(expect.objectContaining({ kind: 'fetch', method: 'GET', url: expect.stringContaining(returnUrl), error: 'not fetched: outside this server' }));
        expect(internal.requests).toHaveLength(0);
        expect(JSON.stringify(end.body)).not.toContain('internal-secret-4417');
      } finally {
        await internal.close();
      }
    });

    it('hands back an unknown number at once', async () => {
      const res = await api('post', '/calls', { dnis: '+18005550999', ani: '+16175550003' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ state: 'ended', outcome: { values: { status: 'unavailable', reason: 'unknown-dnis' } }, messages: [] });
    });

    it('hangs up on DELETE, and on a "hangup" input', async () => {
      const one = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175550004' });
      expect((await api('delete', `/calls/${one.body.id}`)).status).toBe(204);
      expect((await api('post', `/calls/${one.body.id}/input`, { input: '1' })).status).toBe(404);

      const two = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175550005' });
      const end = await api('post', `/calls/${two.body.id}/input`, { input: 'hangup' });
      expect(end.body).toMatchObject({ state: 'ended', outcome: { normal: true } });
      expect(end.body.entries).toContainEqual({ kind: 'input', input: { kind: 'hangup' } });
    });

    it('holds at most 20 calls at once: the 21st is refused with 429 until one ends', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await api('post', '/calls', { dnis: '+18005550100', ani: `+1617555${String(1000 + i)}` });
        expect(res.body.state).toBe('listening');
        ids.push(res.body.id);
      }
      const refused = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175552000' });
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatch(/20 simulated calls are already in progress; try again when one has ended \(a call left idle is hung up after 2 minutes\)/);
      await api('delete', `/calls/${ids.pop()}`);
      const accepted = await api('post', '/calls', { dnis: '+18005550100', ani: '+16175552000' });
      expect(accepted.status).toBe(201);
      for (const id of [...ids, accepted.body.id]) await api('delete', `/calls/${id}`);
    });
  });
});
