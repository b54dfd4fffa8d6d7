import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, type TestServer } from '../helpers/server';
import { captureLog, signIn, startConsole, USER } from './helpers';

/**
 * The service page flips the same global switch as PUT /api/service: what the API reports
 * and what callers get must follow the form.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CLOCK = new Date('2026-11-24T20:00:00.000Z');

const apiService = async (srv: TestServer) =>
  (await request(srv.app).get('/api/service').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body as Record<string, unknown>;

/** Whether a new call to the test campaign is offered a text. */
async function offered(srv: TestServer): Promise<{ question: boolean; reason: string | undefined }> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: '+18005550100', ani: '+16175551234' });
  return { question: caller.isQuestion(), reason: caller.isQuestion() ? undefined : caller.ending().result.reason };
}

describe('the service page', () => {
  it('shows the switch on, never switched, with a switch-off form that asks for confirmation', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const page = await admin.get('/admin/service');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<span class="badge badge-active">on</span>');
    expect(page.text).toContain('Never switched: on by default.');
    expect(page.text).toContain('I understand callers will not be offered texts');
    expect(page.text).toMatch(/<input id="understood" name="understood" type="checkbox" value="yes" required/);
  });

  it('will not switch off without the confirmation ticked, and says so by the box', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const res = await admin.post('/admin/service', { enabled: 'false' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<p class="field-error" id="understood-error">Tick the box to confirm');
    expect(res.text).toContain('aria-invalid="true"');
    expect(await apiService(server)).toMatchObject({ enabled: true, changedBy: null });
    expect((await offered(server)).question).toBe(true);
  });

  it('refuses a form that is not one of its own', async () => {
    server = await startConsole({ now: () => CLOCK });
    const admin = await signIn(server.app);
    const res = await admin.post('/admin/service', { enabled: 'maybe' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('did not say whether to switch the service on or off');
    expect((await apiService(server)).enabled).toBe(true);
  });

  it('switches off and on again: the API and callers follow, and each change is logged with its user', async () => {
    const { log, lines } = captureLog();
    server = await startConsole({ now: () => CLOCK, log });
    const admin = await signIn(server.app);

    const off = await admin.post('/admin/service', { enabled: 'false', understood: 'yes' });
    expect(off.status).toBe(303);
    expect(off.headers.location).toBe('/admin/service');
    expect(await apiService(server)).toEqual({ enabled: false, changedBy: `console:${USER}`, changedAt: CLOCK.toISOString() });
    expect(await offered(server)).toEqual({ question: false, reason: 'service-off' });
    const page = await admin.get('/admin/service');
    expect(page.text).toContain('<span class="badge badge-inactive">off</span>');
    expect(page.text).toContain(`Switched off by <strong>console:${USER}</strong> at <time datetime="2026-11-24T20:00:00.000Z">2026-11-24 20:00:00 UTC</time>`);
    expect(page.text).toContain('Switch texting on');

    const on = await admin.post('/admin/service', { enabled: 'true' });
    expect(on.status).toBe(303);
    expect(await apiService(server)).toMatchObject({ enabled: true, changedBy: `console:${USER}` });
    expect((await offered(server)).question).toBe(true);

    expect(lines.filter((l) => l.msg === 'service switched in the console')).toEqual([
      expect.objectContaining({ level: 40, user: USER, enabled: false }),
      expect.objectContaining({ level: 40, user: USER, enabled: true }),
    ]);
  });
});
