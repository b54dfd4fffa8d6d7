import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import type { TestServer } from '../helpers/server';
import { IvrCaller } from '../helpers/ivr-caller';
import { postSignIn, signIn, startConsole, USER, type Admin } from './helpers';

/**
 * The console's actions in the audit trail (who: the signed-in user; from where: the
 * address), and the Audit page that shows them, with the chain's verification.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CLOCK = new Date('2026-11-24T20:00:00.000Z');
const entries = (srv: TestServer) => srv.store.searchAudit({ limit: 100 });

const versionOf = (html: string) => /name="version" value="([^"]+)"/.exec(html)?.[1] as string;

const campaignForm = (fields: Record<string, string>) => ({
  id: 'support',
  name: 'Support chat',
  active: 'on',
  dnis: '+1 800 555 0100',
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?customer={callerId}&mobile={mobile}&call={callId}&dnis={dnis}&c={campaignId}',
  language: 'en-US',
  country: 'US',
  timeZone: '',
  linkTtlMinutes: '',
  gateway: '',
  advanced: '{}',
  ...fields,
});

describe('sign-ins in the audit trail', () => {
  it('records a refused sign-in with the name as typed (never the password), then a sign-in and a sign-out', async () => {
    server = await startConsole({ now: () => CLOCK });
    expect((await postSignIn(server.app, { user: 'root', password: 'hunter2-guess' })).status).toBe(401);
    const admin = await signIn(server.app);
    await admin.post('/admin/sign-out');
    const [out, signedIn, failed] = await entries(server);
    expect(failed).toMatchObject({ action: 'sign-in.failed', actorKind: 'user', actorName: 'root', ip: expect.stringMatching(/127\.0\.0\.1$/) });
    expect(failed!.detail).not.toContain('hunter2');
    expect(signedIn).toMatchObject({ action: 'sign-in', actorName: USER, target: `user:${USER}` });
    expect(JSON.parse(signedIn!.detail as string)).toEqual({ method: 'password', role: 'admin' });
    expect(out).toMatchObject({ action: 'sign-out', actorName: USER });
  });
});

describe('console changes in the audit trail', () => {
  let admin: Admin;
  beforeEach(async () => {
    server = await startConsole({ now: () => CLOCK });
    admin = await signIn(server.app);
  });

  it('records a campaign edit, switch and delete by the signed-in user, with the diff', async () => {
    const srv = server as TestServer;
    const version = versionOf((await admin.get('/admin/campaigns/support')).text);
    expect((await admin.post('/admin/campaigns/support', { ...campaignForm({ name: 'Support (edited)' }), version })).status).toBe(303);
    const fresh = versionOf((await admin.get('/admin/campaigns')).text);
    expect((await admin.post('/admin/campaigns/support/deactivate', { version: fresh, confirmed: 'yes' })).status).toBe(303);
    const last = versionOf((await admin.get('/admin/campaigns')).text);
    expect((await admin.post('/admin/campaigns/support/delete', { version: last, confirm: 'support' })).status).toBe(303);
    const changes = (await entries(srv)).filter((e) => e.action.startsWith('campaign.'));
    expect(changes.map((e) => e.action)).toEqual(['campaign.delete', 'campaign.deactivate', 'campaign.update']);
    for (const e of changes) expect(e).toMatchObject({ actorKind: 'user', actorName: USER, target: 'campaign:support' });
    expect(JSON.parse(changes[2]!.detail as string).changes).toContainEqual({ path: '/name', old: 'Support chat', new: 'Support (edited)' });
  });

  it('records the service switch', async () => {
    await admin.post('/admin/service', { enabled: 'false', understood: 'yes' });
    const [entry] = (await entries(server as TestServer)).filter((e) => e.action === 'service.switch');
    expect(entry).toMatchObject({ actorName: USER, detail: '{"enabled":false,"was":true}' });
  });

  it('records a reveal with its reason, and shows no whole number when it cannot be recorded', async () => {
    const srv = server as TestServer;
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: '+18005550100', ani: '+16175551234' });
    await caller.press('1');
    await caller.press('1');
    const shown = await admin.post('/admin/messages/reveal', { reason: 'complaint 9921' });
    expect(shown.text).toContain('+16175551234');
    const [entry] = (await entries(srv)).filter((e) => e.action === 'reveal.messages');
    expect(entry).toMatchObject({ actorName: USER });
    expect(JSON.parse(entry!.detail as string)).toMatchObject({ reason: 'complaint 9921' });

    srv.store.appendAudit = () => Promise.reject(new Error('database unavailable'));
    const refused = await admin.post('/admin/messages/reveal', { reason: 'complaint 9922' });
    expect(refused.status).toBe(503);
    expect(refused.text).not.toContain('+16175551234');
    expect(refused.text).toContain('the audit trail could not record this request');
  });
});

describe('the Audit page', () => {
  it('lists entries newest first with who, where, what and the diff, filters them, and says the chain verifies', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    await admin.post('/admin/service', { enabled: 'false', understood: 'yes' });
    const page = await admin.get('/admin/audit');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<a href="/admin/audit" aria-current="page">Audit</a>');
    expect(page.text).toMatch(/Chain verified: 2 entries, none changed or removed/);
    const rows = page.text.split('<tbody>')[1] ?? '';
    expect(rows.indexOf('service.switch')).toBeLessThan(rows.indexOf('sign-in'));
    expect(rows).toContain('<div>enabled: false</div><div>was: true</div>');
    const filtered = await admin.get('/admin/audit?action=sign-in&actor=&from=&to=');
    expect(filtered.text).not.toContain('service.switch');
    expect(filtered.text).toContain('href="/admin/audit.csv?action=sign-in"');
    const csv = await admin.get('/admin/audit.csv?action=sign-in');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(2);
  });

  it('says where the chain is broken after an entry was edited behind the application', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    await admin.post('/admin/service', { enabled: 'false', understood: 'yes' });
    const [, first] = await server.store.searchAudit({ limit: 2 });
    const db = new Database(path.join(server.dataDir, 'ivr-deflect.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor_name = 'someone-else' WHERE id = ?").run(first!.id);
    db.close();
    const page = await admin.get('/admin/audit');
    expect(page.text).toContain(`Chain broken at entry <strong>${first!.id}</strong>`);
    const api = await request(server.app).get('/api/audit').set('Authorization', 'Bearer test-admin-token-0123456789');
    expect(api.body.chain).toMatchObject({ ok: false, brokenAt: first!.id });
  });

  it('shows an invalid filter beside its field instead of failing', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const page = await admin.get('/admin/audit?action=%3Cscript%3E&from=yesterday');
    expect(page.status).toBe(400);
    expect(page.text).toContain('id="action-error"');
    expect(page.text).toContain('id="from-error"');
    expect(page.text).not.toContain('<script>');
  });
});
