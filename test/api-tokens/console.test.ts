import request from 'supertest';
import type { TestServer } from '../helpers/server';
import { captureLog, signIn, startConsole, USER } from '../console/helpers';

/**
 * The API tokens page through the real app: an admin makes a token, reads its secret on
 * that one answer, the API takes it, the list never shows it again, and a revocation
 * (ticked) shuts it out; forms without the session's CSRF token change nothing.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CLOCK = new Date('2026-12-01T09:00:00.000Z');
const secretIn = (html: string): string | undefined => /value="(ivrd_[A-Za-z0-9_-]{43})"/.exec(html)?.[1];
const api = (srv: TestServer, secret: string) => request(srv.app).get('/api/messages').set('Authorization', `Bearer ${secret}`);
const idOf = (html: string, name: string): string => {
  const id = new RegExp(`<tr data-token="${name}">[\\s\\S]*?action="/admin/tokens/([^/"]+)/revoke"`).exec(html)?.[1];
  if (!id) throw new Error(`no revoke form for ${name}`);
  return id;
};

describe('the API tokens page', () => {
  it('makes a token, shows its secret once, and revokes it only when the box is ticked', async () => {
    const { log, lines } = captureLog();
    server = await startConsole({ now: () => CLOCK, log });
    const admin = await signIn(server.app);

    const empty = await admin.get('/admin/tokens');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('No API token yet.');
    expect(empty.text).toContain('<a href="/admin/tokens" aria-current="page">Tokens</a>');

    const made = await admin.post('/admin/tokens', { name: 'reporting', role: 'viewer', expires: '2027-01-31' });
    expect(made.status).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const secret = secretIn(made.text);
    expect(secret).toBeDefined();
    expect(made.text).toContain('it is shown this once');
    expect((await api(server, secret as string)).status).toBe(200);

    const list = await admin.get('/admin/tokens');
    expect(secretIn(list.text)).toBeUndefined();
    expect(list.text).not.toContain((secret as string).slice(5));
    expect(list.text).toMatch(/<tr data-token="reporting">[\s\S]*?viewer[\s\S]*?badge-active">active<\/span> <span class="muted nowrap">until <time datetime="2027-01-31T00:00:00.000Z">/);
    expect(list.text).toContain(`by ${USER}`);
    const id = idOf(list.text, 'reporting');

    // Unticked: a 400 that says why, and the token still works.
    const unticked = await admin.post(`/admin/tokens/${id}/revoke`);
    expect(unticked.status).toBe(400);
    expect(unticked.text).toContain('Tick the box to confirm');
    expect((await api(server, secret as string)).status).toBe(200);

    const revoked = await admin.post(`/admin/tokens/${id}/revoke`, { understood: 'yes' });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.location).toBe('/admin/tokens?revoked=reporting');
    expect((await admin.get('/admin/tokens?revoked=reporting')).text).toContain('The token reporting is revoked');
    expect((await api(server, secret as string)).status).toBe(401);

    const actions = (await server.store.searchAudit({ limit: 50 })).map((e) => [e.actorKind, e.actorName, e.action, e.target]);
    expect(actions).toEqual(expect.arrayContaining([
      ['user', USER, 'token.create', 'token:reporting'],
      ['user', USER, 'token.revoke', 'token:reporting'],
      ['token', 'reporting', 'token.use', 'token:reporting'],
    ]));
    expect(JSON.stringify(lines)).not.toContain((secret as string).slice(5));
  });

  it('says what is wrong with a form, and keeps what was typed', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const bad = await admin.post('/admin/tokens', { name: 'Bad Name', role: 'viewer', expires: '2026-11-30' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('use 1 to 40 lower-case letters');
    expect(bad.text).toContain('value="Bad Name"');
    expect(secretIn(bad.text)).toBeUndefined();
    const past = await admin.post('/admin/tokens', { name: 'late', role: 'viewer', expires: '2026-11-30' });
    expect(past.status).toBe(400);
    expect(past.text).toContain('Choose a day after today.');
    await admin.post('/admin/tokens', { name: 'ci', role: 'editor' });
    const twice = await admin.post('/admin/tokens', { name: 'ci', role: 'editor' });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('An active token has this name');
    expect(secretIn(twice.text)).toBeUndefined();
  });

  it('changes nothing for a form without the session’s CSRF token', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const forged = await admin.post('/admin/tokens', { _csrf: 'forged', name: 'evil', role: 'admin' });
    expect(forged.status).toBe(403);
    expect(secretIn(forged.text)).toBeUndefined();
    expect(await server.store.listApiTokens()).toEqual([]);
    await admin.post('/admin/tokens', { name: 'ci', role: 'editor' });
    const id = idOf((await admin.get('/admin/tokens')).text, 'ci');
    expect((await admin.post(`/admin/tokens/${id}/revoke`, { _csrf: 'forged', understood: 'yes' })).status).toBe(403);
    expect((await server.store.listApiTokens())[0]?.revokedAt).toBeNull();
  });
});
