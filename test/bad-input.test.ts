import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import request from 'supertest';
import { IvrCaller } from './helpers/ivr-caller';
import { startTestServer, type TestServer } from './helpers/server';
import { expectValidVxml } from './helpers/vxml-schema';

/**
 * Whatever an IVR (or anyone) sends to an IVR endpoint, the answer is HTTP 200 with a
 * schema-valid document, request values never appear unescaped, and no stack trace leaks.
 */

const ENDPOINTS = ['/vxml/start', '/vxml/offer', '/vxml/number', '/vxml/confirm', '/vxml/giveup', '/vxml/root.vxml'];
const PARAMS = ['dnis', 'ani', 'callid', 'mode', 'call', 'answer', 'reason', 'campaign'];

const NASTY_VALUES: Record<string, string> = {
  'XML metacharacters': `<vxml>&amp;"'</vxml>]]><!--`,
  'a CDATA terminator': ']]>',
  'a 10 KB value': 'x'.repeat(10 * 1024),
  'an empty value': '',
  'control characters': '\u0000\u0001\u001b[31m\r\n',
  'a script': '<script>alert(1)</script>',
  'a JavaScript string breaker': `'; throw 'x'; '`,
  'unicode': 'ñ 📞 \u202e',
};

let server: TestServer;
let http: HttpServer;
let callId: string;
beforeAll(async () => {
  server = startTestServer();
  // A listening server, as in production: Node's own parser errors are part of the test.
  http = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: '+18005550100', ani: '+16175551234' });
  callId = /call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1] ?? '';
});
afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  await server.close();
});

async function expectPoliteDocument(res: request.Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
  expect(res.text).not.toContain('<script>');
  await expectValidVxml(res.text);
}

describe.each(ENDPOINTS)('%s', (endpoint) => {
  it.each(Object.entries(NASTY_VALUES))('answers %s in every parameter with a valid document', async (_label, value) => {
    const query = new URLSearchParams(PARAMS.map((p): [string, string] => [p, value]));
    await expectPoliteDocument(await request(http).get(`${endpoint}?${query}`));
    await expectPoliteDocument(await request(http).post(endpoint).type('form').send(query.toString()));
  });

  it('answers with no parameters at all, by GET, POST, PUT and DELETE', async () => {
    await expectPoliteDocument(await request(http).get(endpoint));
    await expectPoliteDocument(await request(http).post(endpoint));
    await expectPoliteDocument(await request(http).put(endpoint));
    await expectPoliteDocument(await request(http).delete(endpoint));
  });

  it('answers repeated parameters, taking the first value', async () => {
    const res = await request(http).get(`${endpoint}?dnis=8005550100&dnis=%3Cx%3E&ani=a&ani=b&call=${callId}&call=x`);
    await expectPoliteDocument(res);
  });

  it('answers bodies that are not form data, malformed or too large', async () => {
    const bodies: Array<[string, string | Buffer]> = [
      ['application/json', '{"dnis": "8005550100"'],
      ['application/x-www-form-urlencoded', '%%%=%ZZ&dnis=%E0%A4%A'],
      ['application/x-www-form-urlencoded; charset=latin1', 'dnis=8005550100'],
      ['application/x-www-form-urlencoded', `dnis=${'9'.repeat(40 * 1024)}`],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="dnis"\r\n\r\n8005550100\r\n--x--'],
      ['text/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
      ['application/octet-stream', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3])],
    ];
    for (const [type, body] of bodies) {
      await expectPoliteDocument(await request(http).post(endpoint).set('Content-Type', type).send(body));
    }
  });
});

describe('the start document', () => {
  it('escapes request values instead of echoing them as markup', async () => {
    const evil = '"/><goto next="http://evil.example"/><x a="';
    const res = await request(http).get(`/vxml/start?${new URLSearchParams({ dnis: evil, ani: evil, callid: evil })}`);
    await expectPoliteDocument(res);
    expect(res.text).not.toContain('evil.example');
  });

  it('does not mistake a 10 KB DNIS for a campaign, and records the hand-back', async () => {
    const res = await request(http).get(`/vxml/start?dnis=${'8005550100'.repeat(1000)}&ani=6175551234`);
    await expectPoliteDocument(res);
    expect(res.text).toContain(`expr="'unavailable'"`);
  });

  it('stores at most 64 characters of the platform call id, however long the one sent', async () => {
    const longId = `cvp-${'x'.repeat(250)}`;
    const res = await request(http).get(`/vxml/start?${new URLSearchParams({ dnis: '+18005550100', ani: '6175551234', callid: longId })}`);
    await expectPoliteDocument(res);
    const id = /[?&]call=([^&"]+)/.exec(res.text.replace(/&amp;/g, '&'))?.[1] ?? '';
    expect((await server.store.getCall(id))?.platformCallId).toBe(longId.slice(0, 64));
  });

  it('still offers when the valid values come with junk ones', async () => {
    const res = await request(http).get('/vxml/start?dnis=tel:%2B18005550100&dnis=junk&ani=%FF%FE6175551234&foo=%00');
    await expectPoliteDocument(res);
    expect(res.text).toContain('<field name="answer">');
  });
});

describe('raw bytes on the wire', () => {
  function rawRequest(head: Buffer): Promise<string> {
    const { port } = http.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(head));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
  }

  it('answers a query string with bytes that are not UTF-8', async () => {
    const head = Buffer.concat([
      Buffer.from('GET /vxml/start?dnis=8005550100&ani='),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0]),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]);
    const answer = await rawRequest(head);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    await expectValidVxml(Buffer.from(body, 'latin1').toString('utf8'));
  });

  it('answers a request line over the size limit on an IVR path, but not elsewhere', async () => {
    const long = 'x'.repeat(40 * 1024);
    const ivr = await rawRequest(Buffer.from(`GET /vxml/start?mode=subdialog&dnis=${long} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(ivr).toMatch(/^HTTP\/1\.1 200 OK/);
    const body = ivr.slice(ivr.indexOf('\r\n\r\n') + 4);
    expect(body).toContain('<return namelist="status reason maskedNumber"/>');
    await expectValidVxml(body);
    const other = await rawRequest(Buffer.from(`GET /api/messages?x=${long} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(other).toMatch(/^HTTP\/1\.1 431/);
  });

  it('answers HEAD with the headers only, parsed or not', async () => {
    const long = 'x'.repeat(40 * 1024);
    for (const line of [`HEAD /vxml/start?dnis=${long} HTTP/1.1`, 'HEAD /vxml/start?dnis=8005550100 HTTP/1.1']) {
      const answer = await rawRequest(Buffer.from(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(answer).toMatch(/content-type: application\/voicexml\+xml/i);
      expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe('');
    }
  });

  it('answers a form body with bytes that are not UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('dnis=8005550100&ani='), Buffer.from([0xff, 0xc3, 0x28])]);
    const head = Buffer.concat([
      Buffer.from(
        `POST /vxml/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]);
    const answer = await rawRequest(head);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});
