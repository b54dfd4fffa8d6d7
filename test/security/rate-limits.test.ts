import type { Logger } from 'pino';
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

/**
 * Issue 15 part 5: sign-in as a CPU weapon. Each attempt used to cost a scrypt check
 * (~100 ms, 32 MiB) on libuv's pool, and a new user name per attempt dodged the limit.
 */
describe('console sign-in flood', () => {
  // Each attempt is a real scrypt check: generous on a loaded machine; nothing asserts time.
  jest.setTimeout(120_000);
  async function attempt(user: string, address: string, password = 'wrong password'): Promise<request.Response> {
    const form = await signInForm(server!.app);
    return request(server!.app)
      .post('/admin/sign-in')
      .set('Cookie', form.cookie)
      .set('X-Forwarded-For', address)
      .type('form')
      .send({ _csrf: form.token, user, password });
  }

  const start = async (env: Record<string, string>, log?: Logger) => {
    server = await startConsole({ env: { TRUST_PROXY: 'loopback', ...env }, log });
  };

  it('limits one address whatever user name it types: a new name per attempt gains nothing', async () => {
    await start({ SIGN_IN_MAX_FAILURES_PER_ADDRESS: '4' });
    for (let i = 0; i < 4; i += 1) expect((await attempt(`guess-${i}`, '203.0.113.5')).status).toBe(401);
    const refused = await attempt('guess-4', '203.0.113.5');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Too many failed sign-ins from your address.');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // Even the right name and password wait; another address does not.
    expect((await attempt(USER, '203.0.113.5', PASSWORD)).status).toBe(429);
    expect((await attempt(USER, '198.51.100.20', PASSWORD)).status).toBe(303);
  });

  it('limits failures from all addresses together, but a signed-in admin keeps working', async () => {
    await start({ SIGN_IN_MAX_FAILURES_TOTAL: '3' });
    const admin = await attempt(USER, '198.51.100.20', PASSWORD);
    expect(admin.status).toBe(303);
    const session = (admin.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    for (let i = 0; i < 3; i += 1) expect((await attempt(`bot-${i}`, `203.0.113.${10 + i}`)).status).toBe(401);
    const refused = await attempt('bot-3', '203.0.113.50');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Too many failed sign-ins on this console from everywhere');
    expect((await attempt(USER, '198.51.100.21', PASSWORD)).status).toBe(429);
    expect((await request(server!.app).get('/admin/campaigns').set('Cookie', session)).status).toBe(200);
  });

  it('does not let one address use up the overall budget', async () => {
    await start({ SIGN_IN_MAX_FAILURES_PER_ADDRESS: '2', SIGN_IN_MAX_FAILURES_TOTAL: '4' });
    const statuses = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await attempt(`guess-${i}`, '203.0.113.5')).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429, 429, 429, 429, 429]);
    expect((await attempt(USER, '198.51.100.20', PASSWORD)).status).toBe(303);
  });

  it('answers attempts beyond SIGN_IN_CONCURRENT_CHECKS with 429 at once, and checks nothing without the form token', async () => {
    const { log, lines } = captureLog();
    await start({ SIGN_IN_CONCURRENT_CHECKS: '1', SIGN_IN_MAX_FAILURES_PER_ADDRESS: '1000', SIGN_IN_MAX_FAILURES_TOTAL: '1000' }, log);
    // Without the double-submit token: refused before any password check.
    const forged = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        request(server!.app).post('/admin/sign-in').set('X-Forwarded-For', `203.0.113.${i}`).type('form').send({ user: `bot-${i}`, password: 'x' }),
      ),
    );
    expect(forged.map((r) => r.status)).toEqual(Array(16).fill(403));
    expect(lines.filter((l) => String(l.msg).startsWith('console sign-in refused'))).toEqual([]);

    // 16 attackers at once, a new name each: one check runs, the others are refused, not queued.
    const forms = await Promise.all(Array.from({ length: 16 }, () => signInForm(server!.app)));
    const answers = await Promise.all(
      forms.map((form, i) =>
        request(server!.app)
          .post('/admin/sign-in')
          .set('Cookie', form.cookie)
          .set('X-Forwarded-For', `198.51.100.${i}`)
          .type('form')
          .send({ _csrf: form.token, user: `bot-${i}`, password: 'wrong password' }),
      ),
    );
    const busy = answers.filter((r) => r.status === 429);
    const checked = answers.filter((r) => r.status === 401);
    expect(busy.length + checked.length).toBe(16);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]?.headers['retry-after']).toBe('1');
    expect(busy[0]?.text).toContain('The console is checking other sign-ins right now.');
    expect(lines.filter((l) => l.msg === 'console sign-in refused')).toHaveLength(checked.length);
    // The flood over, the admin signs in.
    expect((await attempt(USER, '192.0.2.7', PASSWORD)).status).toBe(303);
  });
});
