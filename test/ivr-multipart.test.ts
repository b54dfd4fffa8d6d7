import { resultOf } from './faults/support';
import request from 'supertest';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './helpers/server';
import { expectValidVxml } from './helpers/vxml-schema';

/**
 * <submit enctype="multipart/form-data"> is legal VoiceXML: a platform may post every
 * step of a call that way, and it must work exactly as a urlencoded form does. What is
 * not a form of short text fields still ends the call politely.
 */

const DNIS = '+18005550100';
const MOBILE_ANI = '+16175551234';

let server: TestServer;
beforeEach(() => {
  server = startTestServer();
});
afterEach(() => server.close());

const BOUNDARY = 'platform-boundary-7d2';

function multipart(parts: Array<[string, string] | { name: string; filename: string; body: string }>): string {
  const written = parts.map((part) =>
    Array.isArray(part)
      ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part[0]}"\r\n\r\n${part[1]}\r\n`
      : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: audio/wav\r\n\r\n${part.body}\r\n`,
  );
  return `${written.join('')}--${BOUNDARY}--\r\n`;
}

function postMultipart(path: string, body: string) {
  return request(server.app).post(path).set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(body);
}

async function messagesSent(): Promise<Array<Record<string, string>>> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return res.body.messages as Array<Record<string, string>>;
}

describe('a call posted as multipart/form-data', () => {
  it('is offered, confirmed and texted, every step a multipart form', async () => {
    const caller = new IvrCaller(server.app, { enctype: 'multipart/form-data' });
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI, callid: 'cvp-multipart' }, { method: 'post' });
    expect(caller.prompts()).toContain('press 1');
    await caller.press('1');
    expect(caller.prompts()).toContain('ending in 1234');
    await caller.press('1');
    expect(caller.ending()).toEqual({ kind: 'disconnect', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' } });
    expect((await messagesSent()).map((m) => m.to)).toEqual([MOBILE_ANI]);
  });

  it('enters another number and gives up by multipart too', async () => {
    const caller = new IvrCaller(server.app, { enctype: 'multipart/form-data' });
    await caller.start({ dnis: DNIS, ani: MOBILE_ANI }, { method: 'post' });
    await caller.press('1');
    await caller.press('2');
    expect(caller.prompts()).toContain('mobile number');
    await caller.giveUp('noinput');
    expect(caller.ending().result).toMatchObject({ status: 'declined', reason: 'no-input' });
  });

  it('takes the first of repeated fields, and the body over the query', async () => {
    const res = await postMultipart(
      '/vxml/start?dnis=%2B18005559999',
      multipart([
        ['dnis', DNIS],
        ['dnis', '+18005559999'],
        ['ani', MOBILE_ANI],
      ]),
    );
    expect(res.status).toBe(200);
    await expectValidVxml(res.text);
    expect(res.text).toContain('press 1');
  });

  it('reads fields with names like __proto__ as plain fields', async () => {
    const res = await postMultipart('/vxml/start', multipart([['__proto__', 'x'], ['constructor', 'y'], ['dnis', DNIS], ['ani', MOBILE_ANI]]));
    expect(res.text).toContain('press 1');
  });
});

describe('a multipart body that is not a short text form', () => {
  async function expectHandBack(res: request.Response): Promise<void> {
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
    await expectValidVxml(res.text);
    expect(resultOf(res.text)).toEqual({ status: 'failed', reason: 'error', maskedNumber: '' });
  }

  it('refuses a file field, and starts no call', async () => {
    await expectHandBack(await postMultipart('/vxml/start', multipart([['dnis', DNIS], ['ani', MOBILE_ANI], { name: 'recording', filename: 'a.wav', body: 'RIFF' }])));
    const started = await server.store.searchEvents({ from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', type: 'started', limit: 10 });
    expect(started).toHaveLength(0);
  });

  it('refuses a body over 16 KB', async () => {
    await expectHandBack(await postMultipart('/vxml/start', multipart([['dnis', DNIS], ['ani', MOBILE_ANI], ['pad', 'x'.repeat(17 * 1024)]])));
  });

  it('refuses more than 50 fields', async () => {
    const fields = Array.from({ length: 51 }, (_, i): [string, string] => [`f${i}`, '1']);
    await expectHandBack(await postMultipart('/vxml/start', multipart([['dnis', DNIS], ...fields])));
    // 50 are fine.
    const res = await postMultipart('/vxml/start', multipart([['dnis', DNIS], ['ani', MOBILE_ANI], ...fields.slice(0, 48)]));
    expect(res.text).toContain('press 1');
  });

  it.each([
    ['no boundary parameter', 'multipart/form-data', multipart([['dnis', DNIS]])],
    ['a boundary that never appears', 'multipart/form-data; boundary=other', multipart([['dnis', DNIS]])],
    ['no closing boundary', `multipart/form-data; boundary=${BOUNDARY}`, `--${BOUNDARY}\r\nContent-Disposition: form-data; name="dnis"\r\n\r\n${DNIS}`],
    ['garbage', `multipart/form-data; boundary=${BOUNDARY}`, '\u0000\u0001 not a form'],
  ])('ends the call politely on %s', async (_label, type, body) => {
    for (const path of ['/vxml/start', '/vxml/offer', '/vxml/confirm', '/vxml/giveup']) {
      await expectHandBack(await request(server.app).post(path).set('Content-Type', type).send(body));
    }
  });
});
