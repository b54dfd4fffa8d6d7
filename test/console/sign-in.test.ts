import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import type { TestServer } from '../helpers/server';
import { startTestServer } from '../helpers/server';
import { captureLog, formToken, PASSWORD, postSignIn, setCookies, signIn, signInForm, startConsole, USER } from './helpers';

/**
 * Who gets into the console: sign-in and sign-out through the real forms, the session
 * cookie's flags, what the store keeps, CSRF on every POST, and where a sign-in may send
 * the browser afterwards.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startConsole>[0] = {}): Promise<TestServer> {
  server = await startConsole(options);
  return server;
}

function sessionRows(srv: TestServer): Array<{ id: string; user: string; csrf_token: string; expires_at: string }> {
  const db = new Database(path.join(srv.dataDir, 'ivr-deflect.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM admin_sessions').all() as Array<{ id: string; user: string; csrf_token: string; expires_at: string }>;
  } finally {
    db.close();
  }
}

const PAGES = ['/admin', '/admin/service', '/admin/messages', '/admin/campaigns', '/admin/reports'];

describe('signed out', () => {
  it.each([...PAGES, '/admin/messages?status=failed&number=1234'])('GET %s goes to the sign-in page, which will bring it back', async (page) => {
    const srv = await start();
    const res = await request(srv.app).get(page);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/sign-in?next=${encodeURIComponent(page)}`);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['/admin/service', { enabled: 'false', understood: 'yes' }],
    ['/admin/messages/reveal', { reason: 'curious' }],
    ['/admin/sign-out', {}],
  ])('POST %s goes to the sign-in page and changes nothing', async (page, fields) => {
    const srv = await start();
    const res = await request(srv.app).post(page).type('form').send(fields);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    expect((await srv.store.getServiceSwitch()).enabled).toBe(true);
  });

  it('serves the stylesheet and script to anyone, versioned and cached for a year', async () => {
    const srv = await start();
    const page = await request(srv.app).get('/admin/sign-in');
    for (const [file, type] of [
      ['console.css', 'text/css'],
      ['console.js', 'javascript'],
    ] as const) {
      const url = new RegExp(`"(/admin/assets/${file.replace('.', '\\.')}\\?v=[0-9a-f]{12})"`).exec(page.text)?.[1];
      expect(url).toBeDefined();
      const asset = await request(srv.app).get(url as string);
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toContain(type);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const missing = await request(srv.app).get('/admin/assets/nothing.css');
    expect(missing.status).toBe(404);
    expect(missing.text).not.toContain(path.resolve('templates'));
  });
});

describe('signing in', () => {
  it('refuses a wrong password or user name with the same words, 401 and no session', async () => {
    const { log, lines } = captureLog();
    const srv = await start({ log });
    for (const fields of [
      { user: USER, password: 'wrong password' },
      { user: 'admin', password: PASSWORD },
      { user: USER.toUpperCase(), password: PASSWORD },
    ]) {
      const res = await postSignIn(srv.app, fields);
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/wrong user name or password/i);
      expect(res.text).toContain(`value="${fields.user}"`);
      // What was typed fills the field, never the layout's "signed in as" or its nav.
      expect(res.text).not.toContain('/admin/sign-out');
      expect(res.text).not.toContain('signed in as');
      expect(setCookies(res).filter((c) => c.name.endsWith('ivr_console'))).toEqual([]);
    }
    expect(sessionRows(srv)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'console sign-in refused')).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain('wrong password');
  });

  it('asks for both fields without checking anything when one is empty', async () => {
    const srv = await start();
    const res = await postSignIn(srv.app, { user: USER, password: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter your user name and password.');
  });

  it('escapes what was typed when showing the form again', async () => {
    const srv = await start();
    const res = await postSignIn(srv.app, { user: '"><script>alert(1)</script>', password: 'x' });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;');
  });

  it('signs in with the right ones and goes to the campaigns; the cookie is HttpOnly, Secure, SameSite=Lax, __Host-', async () => {
    const srv = await start();
    const res = await postSignIn(srv.app, { user: USER, password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/campaigns');
    const session = setCookies(res).find((c) => c.name === '__Host-ivr_console');
    expect(session?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', `Max-Age=${8 * 3600}`]));
    expect(session?.attributes.some((a) => /^Domain=/i.test(a))).toBe(false);
  });

  it('keeps only the SHA-256 of the cookie token in the store, with the expiry from SESSION_HOURS', async () => {
    const clock = new Date('2026-11-24T20:00:00.000Z');
    const srv = await start({ env: { SESSION_HOURS: '2' }, now: () => clock });
    const res = await postSignIn(srv.app, { user: USER, password: PASSWORD });
    const token = setCookies(res).find((c) => c.name === '__Host-ivr_console')?.value ?? '';
    expect(setCookies(res).find((c) => c.name === '__Host-ivr_console')?.attributes).toContain('Max-Age=7200');
    const rows = sessionRows(srv);
    expect(rows).toEqual([
      expect.objectContaining({ id: createHash('sha256').update(token).digest('hex'), user: USER, expires_at: '2026-11-24T22:00:00.000Z' }),
    ]);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('over plain HTTP (PUBLIC_BASE_URL http, no TLS) the cookie is not Secure and has no __Host- prefix', async () => {
    const srv = await start({ env: { PUBLIC_BASE_URL: 'http://localhost:3000' } });
    const res = await postSignIn(srv.app, { user: USER, password: PASSWORD });
    expect(res.status).toBe(303);
    const session = setCookies(res).find((c) => c.name.endsWith('ivr_console'));
    expect(session?.name).toBe('ivr_console');
    expect(session?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(session?.attributes).not.toContain('Secure');
    const admin = await signIn(srv.app);
    expect((await admin.get('/admin/service')).status).toBe(200);
  });

  it('goes back to the page that sent it to sign in', async () => {
    const srv = await start();
    const bounce = await request(srv.app).get('/admin/messages?status=failed');
    const form = await signInForm(srv.app, bounce.headers.location);
    const page = await request(srv.app).get(bounce.headers.location);
    expect(page.text).toContain('name="next" value="/admin/messages?status=failed"');
    const res = await request(srv.app)
      .post('/admin/sign-in')
      .set('Cookie', form.cookie)
      .type('form')
      .send({ _csrf: form.token, user: USER, password: PASSWORD, next: '/admin/messages?status=failed' });
    expect(res.headers.location).toBe('/admin/messages?status=failed');
  });

  it.each([
    '//evil.com',
    'https://evil.com',
    'https://evil.com/admin/messages',
    '/\\evil.com',
    '\\\\evil.com',
    '/admin/..//evil.com',
    '//evil.com/admin',
    'javascript:alert(1)',
    'evil.com',
    '/admin\t/x',
    '/api/messages',
    '/admin/sign-out',
  ])('never sends the browser to next=%j: it goes to /admin/campaigns', async (next) => {
    const srv = await start();
    const res = await postSignIn(srv.app, { user: USER, password: PASSWORD, next });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/campaigns');
    const page = await request(srv.app).get(`/admin/sign-in?${new URLSearchParams({ next })}`);
    expect(page.text).toContain('name="next" value="/admin/campaigns"');
  });

  it('sends a signed-in admin on from the sign-in page', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const res = await admin.get('/admin/sign-in?next=%2Fadmin%2Fmessages');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/messages');
    expect((await admin.get('/admin')).headers.location).toBe('/admin/campaigns');
  });

  it('refuses a sign-in form without its double-submit token, or with one that does not match the cookie', async () => {
    const srv = await start();
    const form = await signInForm(srv.app);
    const fields = { user: USER, password: PASSWORD };
    const attempts = [
      request(srv.app).post('/admin/sign-in').type('form').send(fields),
      request(srv.app).post('/admin/sign-in').type('form').send({ ...fields, _csrf: form.token }),
      request(srv.app).post('/admin/sign-in').set('Cookie', form.cookie).type('form').send(fields),
      request(srv.app).post('/admin/sign-in').set('Cookie', form.cookie).type('form').send({ ...fields, _csrf: `${form.token.slice(1)}x` }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.text).toContain('did not come from this console');
      expect(setCookies(res).filter((c) => c.name.endsWith('ivr_console'))).toEqual([]);
    }
  });

  it('reuses the form token across tabs, and marks its cookie like the session one', async () => {
    const srv = await start();
    const first = await request(srv.app).get('/admin/sign-in');
    const cookie = setCookies(first)[0];
    expect(cookie?.name).toBe('__Host-ivr_console_signin');
    expect(cookie?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']));
    const second = await request(srv.app).get('/admin/sign-in').set('Cookie', `${cookie?.name}=${cookie?.value}`);
    expect(setCookies(second)).toEqual([]);
    expect(formToken(second.text)).toBe(cookie?.value);
  });
});

describe('sessions', () => {
  it('sign-out deletes the session: the old cookie no longer signs anyone in', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    expect(sessionRows(srv)).toHaveLength(1);
    const out = await admin.post('/admin/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/admin/sign-in');
    const cleared = setCookies(out).find((c) => c.name === '__Host-ivr_console');
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes).toContain('Max-Age=0');
    expect(sessionRows(srv)).toEqual([]);
    // A copy of the cookie kept by an attacker (or the browser's back button) is worthless.
    const reused = await admin.get('/admin/service');
    expect(reused.status).toBe(303);
    expect(reused.headers.location).toBe('/admin/sign-in?next=%2Fadmin%2Fservice');
  });

  it('ends after SESSION_HOURS; the next sign-in prunes expired sessions', async () => {
    let clock = new Date('2026-11-24T08:00:00.000Z');
    const srv = await start({ env: { SESSION_HOURS: '1' }, now: () => clock });
    const admin = await signIn(srv.app);
    clock = new Date('2026-11-24T08:59:59.000Z');
    expect((await admin.get('/admin/service')).status).toBe(200);
    clock = new Date('2026-11-24T09:00:00.000Z');
    expect((await admin.get('/admin/service')).status).toBe(303);
    expect(sessionRows(srv)).toHaveLength(1);
    await signIn(srv.app);
    expect(sessionRows(srv).map((r) => r.expires_at)).toEqual(['2026-11-24T10:00:00.000Z']);
  });

  it('a new sign-in from the same browser replaces its session', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const form = await signInForm(srv.app);
    const again = await request(srv.app)
      .post('/admin/sign-in')
      .set('Cookie', `${admin.cookie}; ${form.cookie}`)
      .type('form')
      .send({ _csrf: form.token, user: USER, password: PASSWORD });
    expect(again.status).toBe(303);
    expect(sessionRows(srv)).toHaveLength(1);
    expect((await admin.get('/admin/service')).status).toBe(303);
  });
});

describe('CSRF', () => {
  const POSTS: Array<[string, Record<string, string>]> = [
    ['/admin/service', { enabled: 'false', understood: 'yes' }],
    ['/admin/messages/reveal', { reason: 'checking a complaint' }],
    ['/admin/sign-out', {}],
  ];

  it.each(POSTS)('POST %s without the token, or with a wrong one, is refused with 403 and does nothing', async (page, fields) => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const wrong = `${admin.csrf.slice(0, -1)}${admin.csrf.endsWith('A') ? 'B' : 'A'}`;
    const attempts = [
      request(srv.app).post(page).set('Cookie', admin.cookie).type('form').send(fields),
      admin.post(page, { ...fields, _csrf: wrong }),
      admin.post(page, { ...fields, _csrf: '' }),
      request(srv.app).post(page).set('Cookie', admin.cookie).set('X-CSRF-Token', wrong).type('form').send(fields),
    ];
    for (const res of attempts) {
      const answer = await res;
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('did not come from this console');
    }
    expect((await srv.store.getServiceSwitch()).enabled).toBe(true);
    expect(sessionRows(srv)).toHaveLength(1);
  });

  it('takes the token from the X-CSRF-Token header too (scripts), and in a JSON body', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const byHeader = await request(srv.app)
      .post('/admin/service')
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', admin.csrf)
      .type('form')
      .send({ enabled: 'false', understood: 'yes' });
    expect(byHeader.status).toBe(303);
    const byJson = await request(srv.app).post('/admin/service').set('Cookie', admin.cookie).send({ _csrf: admin.csrf, enabled: 'true' });
    expect(byJson.status).toBe(303);
    expect((await srv.store.getServiceSwitch()).enabled).toBe(true);
  });

  it("does not accept another session's token", async () => {
    const srv = await start();
    const mine = await signIn(srv.app);
    const theirs = await signIn(srv.app);
    const res = await mine.post('/admin/service', { enabled: 'false', understood: 'yes', _csrf: theirs.csrf });
    expect(res.status).toBe(403);
  });
});

describe('every console page', () => {
  it('is no-store, not framed, and keeps its URL out of other sites’ Referer', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    for (const page of ['/admin/service', '/admin/messages', '/admin/sign-in']) {
      const res = page === '/admin/sign-in' ? await request(srv.app).get(page) : await admin.get(page);
      expect(res.status).toBe(200);
      expect(res.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin',
      });
      expect(res.text).not.toMatch(/\son[a-z]+=/i);
      expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)/);
    }
  });

  it('shows the nav with the current page marked and a sign-out form carrying the token', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const res = await admin.get('/admin/messages');
    for (const label of ['Campaigns', 'Messages', 'Reports', 'Service']) expect(res.text).toContain(`>${label}</a>`);
    expect(res.text).toContain('<a href="/admin/messages" aria-current="page">Messages</a>');
    expect(res.text).toMatch(/<form method="post" action="\/admin\/sign-out"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/);
  });

  it('refuses a form body over 64 KB with a page, not a stack trace', async () => {
    const srv = await start();
    const admin = await signIn(srv.app);
    const res = await admin.post('/admin/messages/reveal', { reason: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('Payload Too Large');
  });
});

describe('without ADMIN_PASSWORD_HASH', () => {
  it('answers every console page 503, saying how to switch it on', async () => {
    server = startTestServer();
    for (const res of [
      await request(server.app).get('/admin/sign-in'),
      await request(server.app).get('/admin/messages'),
      await request(server.app).post('/admin/sign-in').type('form').send({ user: 'admin', password: 'anything' }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.text).toContain('npm run hash-password');
      expect(res.text).toContain('ADMIN_PASSWORD_HASH');
      expect(setCookies(res)).toEqual([]);
    }
  });
});
