import type { Server as HttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * Every way into the server is bounded: IVR form bodies (16 KB, 50 fields), the console's
 * (64 KB), the admin API's JSON (256 KB), vendor callbacks (64 KB), and Node's 16 KB of
 * request headers. Past a bound an IVR request still gets a document that ends the call
 * politely; others get a plain 4xx; the server keeps answering.
 */

let server: TestServer;
let http: HttpServer;
let base: string;
beforeAll(async () => {
  server = startTestServer();
  http = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  await server.close();
});

async function expectHandBack(res: request.Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/voicexml+xml; charset=utf-8');
  await expectValidVxml(res.text);
  expect(res.text).not.toContain('<field');
}

/** Sends bytes as they are and reads the whole answer (the server closes the connection). */
function rawRequest(head: string): Promise<string> {
  const { port } = http.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(head));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('IVR requests', () => {
  it('ends the call politely when a form has more than 50 fields', async () => {
    const fields = new URLSearchParams({ dnis: '+18005550100', ani: '+16175551234' });
    for (let i = 0; i < 60; i += 1) fields.append(`f${i}`, 'x');
    await expectHandBack(await request(base).post('/vxml/start').type('form').send(fields.toString()));
  });

  it('ends the call politely when the body is over 16 KB', async () => {
    const res = await request(base).post('/vxml/start').type('form').send(`dnis=%2B18005550100&ani=${'1'.repeat(17 * 1024)}`);
    await expectHandBack(res);
  });

  it('takes the first of a thousand repeated parameters', async () => {
    const query = `dnis=%2B18005550100&ani=%2B16175551234${'&ani=x'.repeat(1000)}`;
    const res = await request(base).get(`/vxml/start?${query}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<field name="answer">');
  });

  it('ends the call politely when the headers are over 16 KB, and keeps serving', async () => {
    const answer = await rawRequest(`GET /vxml/start?dnis=%2B18005550100 HTTP/1.1\r\nHost: x\r\nCookie: c=${'x'.repeat(20 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    await expectValidVxml(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect((await request(base).get('/vxml/start?dnis=%2B18005550100&ani=%2B16175551234')).status).toBe(200);
  });
});

describe('everything else', () => {
  it('answers 431 to headers over 16 KB, and keeps serving', async () => {
    const answer = await rawRequest(`GET /admin/sign-in HTTP/1.1\r\nHost: x\r\nCookie: c=${'x'.repeat(20 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect((await request(base).get('/api/openapi.json')).status).toBe(200);
  });

  it('refuses an admin API body over 256 KB with 413 and a one-line error', async () => {
    const res = await request(base)
      .post('/api/campaigns')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .type('json')
      .send(JSON.stringify({ id: 'big', name: 'x'.repeat(300 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'request entity too large' });
  });

  it('refuses a vendor callback over 64 KB with 413', async () => {
    const res = await request(base).post('/webhooks/sandbox/status').type('form').send(`MessageSid=${'x'.repeat(70 * 1024)}`);
    expect(res.status).toBe(413);
  });
});
