import request from 'supertest';
import type { Role } from '../../src/auth/roles';
import { startConsole } from '../console/helpers';
import type { TestServer } from '../helpers/server';
import { apiTokensByRole, sessionAs } from './as-role';

/**
 * What each role sees: the console hides what the role cannot do (the routes refuse it all
 * the same: role-matrix.test.ts), and the API reveals whole numbers to the admin role only.
 */
describe('roles in the console and the API', () => {
  let server: TestServer;
  let tokenOf: Record<Role, string>;
  beforeAll(async () => {
    server = await startConsole();
    tokenOf = await apiTokensByRole(server.store);
  });
  afterAll(() => server?.close());

  const page = async (role: Role, path: string): Promise<string> => {
    const { cookie } = await sessionAs(server.store, role);
    const res = await request(server.app).get(path).set('Cookie', cookie);
    expect(res.status).toBe(200);
    return res.text;
  };

  it('shows a viewer the campaigns with no New, Switch off, Save or Delete, and the pages it may open in the nav only', async () => {
    const list = await page('viewer', '/admin/campaigns');
    expect(list).toContain('Support chat');
    expect(list).not.toContain('New campaign');
    expect(list).not.toContain('Switch off');
    for (const href of ['/admin/campaigns', '/admin/messages', '/admin/reports', '/admin/service']) expect(list).toContain(`href="${href}"`);
    for (const href of ['/admin/opt-outs', '/admin/audit', '/admin/simulator']) expect(list).not.toContain(`href="${href}"`);
    const form = await page('viewer', '/admin/campaigns/support');
    expect(form).toContain('Read-only: changing campaigns needs the editor role.');
    expect(form).not.toContain('Save changes');
    expect(form).not.toContain('Delete campaign');
    expect(await page('viewer', '/admin/service')).not.toContain('Switch texting off');
  });

  it('shows an editor the campaign and service buttons and the simulator, but not the admin\'s pages', async () => {
    const list = await page('editor', '/admin/campaigns');
    expect(list).toContain('New campaign');
    expect(list).toContain('Switch off');
    expect(list).toContain('href="/admin/simulator"');
    expect(list).not.toContain('href="/admin/opt-outs"');
    expect(list).not.toContain('href="/admin/audit"');
    const form = await page('editor', '/admin/campaigns/support');
    expect(form).toContain('Save changes');
    expect(form).toContain('Delete campaign');
    expect(await page('editor', '/admin/service')).toContain('Switch texting off');
  });

  it('shows an admin every page in the nav', async () => {
    const list = await page('admin', '/admin/campaigns');
    for (const href of ['/admin/opt-outs', '/admin/audit', '/admin/simulator']) expect(list).toContain(`href="${href}"`);
  });

  it('lists masked messages to a viewer\'s API token, and whole numbers only to an admin\'s', async () => {
    const get = (role: Role, query: string) => request(server.app).get(`/api/messages?${query}`).set('Authorization', `Bearer ${tokenOf[role]}`);
    expect((await get('viewer', 'limit=10')).status).toBe(200);
    const refused = await get('editor', 'reveal=true&reason=ticket%20123');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('this needs the admin role; you have editor');
    const consent = await request(server.app)
      .get('/api/consent?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&reveal=true&reason=audit')
      .set('Authorization', `Bearer ${tokenOf.viewer}`);
    expect(consent.status).toBe(403);
    const revealed = await get('admin', 'reveal=true&reason=ticket%20123');
    expect(revealed.status).toBe(200);
    expect(revealed.body.revealed).toBe(true);
  });

  it('names the API token in the audit trail when it reveals (the token, not a person)', async () => {
    await request(server.app).get('/api/messages?reveal=true&reason=vendor%20ticket').set('Authorization', `Bearer ${tokenOf.admin}`).expect(200);
    const [entry] = await server.store.searchAudit({ action: 'reveal', limit: 1 });
    expect(entry).toMatchObject({ action: 'reveal.messages', actorName: 'test-admin' });
  });
});
