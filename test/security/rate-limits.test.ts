import request from 'supertest';
import { captureLog, PASSWORD, signInForm, startConsole, USER } from '../console/helpers';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Guessers are slowed down: short links per client address (SHORT_LINK_RATE_LIMIT a
 * minute) and failed console sign-ins per address and user name (SIGN_IN_MAX_FAILURES per
 * 15 minutes). The refusal is 429 with Retry-After and a page that says when to retry.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('short links', () => {
  it('answer 429 with Retry-After and a short page once a client passes the limit', async () => {
    const { log, lines } = captureLog();
    server = startTestServer({ env: { SHORT_LINK_RATE_LIMIT: '3' }, log });
    for (const code of ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC']) expect((await request(server.app).get(`/s/${code}`)).status).toBe(404);
    const refused = await request(server.app).get('/s/DDDDDDDD');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(refused.text).toContain(`Please wait ${retryAfter} seconds, then tap the link in your text message again.`);
    expect(refused.headers['content-security-policy']).toContain("default-src 'none'");
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'rate limit reached', limit: 'short links' }));
  });

  it('count each client on its own (the address a trusted proxy reports)', async () => {
    server = startTestServer({ env: { SHORT_LINK_RATE_LIMIT: '2', TRUST_PROXY: 'loopback' } });
    const from = (address: string) => request(server!.app).get('/s/AAAAAAAA').set('X-Forwarded-For', address);
    expect((await from('198.51.100.1')).status).toBe(404);
    expect((await from('198.51.100.1')).status).toBe(404);
    expect((await from('198.51.100.1')).status).toBe(429);
    expect((await from('198.51.100.2')).status).toBe(404);
  });

  it('are not limited with SHORT_LINK_RATE_LIMIT=0', async () => {
    server = startTestServer({ env: { SHORT_LINK_RATE_LIMIT: '0' } });
    for (let i = 0; i < 150; i += 1) expect((await request(server.app).get('/s/AAAAAAAA')).status).toBe(404);
  });
});

describe('console sign-in', () => {
  async function signInAs(user: string, password: string, address = '203.0.113.5'): Promise<request.Response> {
    const form = await signInForm(server!.app);
    return request(server!.app)
      .post('/admin/sign-in')
      .set('Cookie', form.cookie)
      .set('X-Forwarded-For', address)
      .type('form')
      .send({ _csrf: form.token, user, password });
  }

  const start = async (env: Record<string, string> = {}) => {
    server = await startConsole({ env: { SIGN_IN_MAX_FAILURES: '3', TRUST_PROXY: 'loopback', ...env } });
  };

  it('refuses even the right password after too many failures, saying when to try again', async () => {
    await start();
    for (let i = 0; i < 3; i += 1) expect((await signInAs(USER, 'wrong password')).status).toBe(401);
    const refused = await signInAs(USER, PASSWORD);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    expect(refused.text).toMatch(/Too many failed sign-ins for this user name from your address\. Try again in 15 minutes \(after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\./);
    expect(refused.headers['set-cookie']?.toString() ?? '').not.toMatch(/ivr_console=/);
  });

  it('counts per address and user name: the admin elsewhere, and other names, are not locked out', async () => {
    await start();
    for (let i = 0; i < 4; i += 1) await signInAs(USER, 'wrong password', '203.0.113.5');
    expect((await signInAs('someone-else', 'wrong password', '203.0.113.5')).status).toBe(401);
    expect((await signInAs(USER, PASSWORD, '198.51.100.20')).status).toBe(303);
  });

  it('does not count successful sign-ins', async () => {
    await start();
    for (let i = 0; i < 5; i += 1) expect((await signInAs(USER, PASSWORD)).status).toBe(303);
    for (let i = 0; i < 3; i += 1) expect((await signInAs(USER, 'wrong password')).status).toBe(401);
    expect((await signInAs(USER, 'wrong password')).status).toBe(429);
  });
});
