import request from 'supertest';
import { IvrCaller } from './helpers/ivr-caller';
import { startTestServer, type TestServer } from './helpers/server';

/**
 * What a VoiceXML browser may keep: nothing of a call (every directive browsers key on,
 * and Expires: 0), and the shared resources (root document, hold audio) for a documented
 * time, with an ETag to revalidate.
 */

const DNIS = '+18005550100';

let server: TestServer;
beforeAll(() => {
  server = startTestServer();
});
afterAll(() => server.close());

function expectPerCall(res: request.Response, what: string): void {
  expect({ what, cacheControl: res.headers['cache-control'], expires: res.headers.expires }).toEqual({
    what,
    cacheControl: 'no-cache, no-store, private',
    expires: '0',
  });
}

describe('per-call documents are never cached', () => {
  it('every step of a call: offer, number entry, read-back, the end', async () => {
    const caller = new IvrCaller(server.app);
    expectPerCall(await caller.start({ dnis: DNIS, ani: '+16175551234' }), 'offer');
    expectPerCall(await caller.press('1'), 'caller id confirmation');
    expectPerCall(await caller.press('2'), 'number entry');
    expectPerCall(await caller.press('6175550199'), 'read-back');
    expectPerCall(await caller.press('1'), 'sent');
    expectPerCall(await caller.repeat(), 'the same submit again');
  });

  it('hand-backs: not offered, given up, unknown call, bad request, unknown URL', async () => {
    expectPerCall(await request(server.app).get('/vxml/start?dnis=%2B19995550100'), 'unknown DNIS');
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '' });
    expectPerCall(await caller.giveUp('noinput'), 'no input');
    expectPerCall(await request(server.app).post('/vxml/offer').type('form').send('call=nosuchcall0000000000&answer=1'), 'unknown call');
    expectPerCall(await request(server.app).post('/vxml/start').set('Content-Type', 'multipart/form-data; boundary=x').send('garbage'), 'bad body');
    expectPerCall(await request(server.app).get('/vxml/nothing-here.vxml'), 'unknown URL');
  });
});

describe('shared resources are cached for a documented time', () => {
  it('the application root document: 5 minutes, with an ETag', async () => {
    const res = await request(server.app).get('/vxml/root.vxml?campaign=support&mode=goto');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers.expires).toBeUndefined();
    expect(res.headers.etag).toBeTruthy();
    const again = await request(server.app).get('/vxml/root.vxml?campaign=support&mode=goto').set('If-None-Match', res.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('the hold audio: a day, with an ETag', async () => {
    const res = await request(server.app).get('/vxml/audio/hold.wav');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers.expires).toBeUndefined();
    expect(res.headers.etag).toBeTruthy();
  });
});
