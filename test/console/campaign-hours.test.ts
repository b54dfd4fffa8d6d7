import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ADMIN_TOKEN, type TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin, campaignFormFields, unescapeHtml } from './helpers';

/**
 * The campaign form's opening hours, holidays and time-zone picker: an admin sets them in
 * fields, not JSON, and the file saved is exactly what the same change through the API
 * saves. Errors of the schema come back beside the hours, naming the day.
 */

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(): Promise<{ srv: TestServer; admin: Admin }> {
  const srv = await startConsole();
  servers.push(srv);
  return { srv, admin: await signIn(srv.app) };
}



const fileOf = (srv: TestServer) => JSON.parse(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')) as Record<string, unknown>;

const HOURS = {
  weekly: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-12:00', '13:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'], sat: ['22:00-02:00'] },
  closed: ['2026-12-25', '2027-01-01'],
  special: { '2026-12-24': ['09:00-13:00'], '2026-12-31': [] },
};

describe('opening hours in the campaign form', () => {
  it('saves hours, holidays and a picked time zone exactly as the same change through the API does', async () => {
    const { srv, admin } = await start();
    const page = await admin.get('/admin/campaigns/support');
    expect(page.status).toBe(200);
    // The picker offers every IANA zone.
    expect(page.text).toContain('<input id="timeZone" name="timeZone" type="text" list="time-zones"');
    expect(page.text).toContain('<option value="America/New_York">');
    expect(page.text).toContain('<option value="Europe/Paris">');
    const fields = campaignFormFields(page.text);
    const saved = await admin.post('/admin/campaigns/support', {
      ...fields,
      timeZone: 'America/New_York',
      'hours.enabled': 'on',
      'hours.mon': '09:00-17:00',
      'hours.tue': '09:00-17:00',
      'hours.wed': '09:00-12:00, 13:00-17:00',
      'hours.thu': ' 09:00-17:00 ',
      'hours.fri': '09:00-17:00',
      'hours.sat': '22:00-02:00',
      'hours.sun': '',
      'hours.closed': '2026-12-25\r\n2027-01-01\r\n',
      'hours.special': '2026-12-24 09:00-13:00\n2026-12-31 closed',
    });
    expect(saved.status).toBe(303);
    const byForm = fileOf(srv);
    expect(byForm.hours).toEqual(HOURS);
    expect(byForm.timeZone).toBe('America/New_York');

    // The same change through the API, on a server with the same campaign file.
    const { srv: other } = await start();
    const current = await request(other.app).get('/api/campaigns/support').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    const put = await request(other.app)
      .put('/api/campaigns/support')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ ...current.body.document, timeZone: 'America/New_York', hours: HOURS });
    expect(put.status).toBe(200);
    expect(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')).toBe(fs.readFileSync(path.join(other.campaignsDir, 'support.json'), 'utf8'));

    // Opened again, the fields show what was saved, and the JSON box does not hold them.
    const again = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    expect(again).toMatchObject({ 'hours.enabled': 'on', 'hours.wed': '09:00-12:00, 13:00-17:00', 'hours.sun': '', 'hours.closed': '2026-12-25\n2027-01-01', 'hours.special': '2026-12-24 09:00-13:00\n2026-12-31 closed' });
    expect(again.advanced).not.toContain('weekly');
    // Saving the form unchanged writes the same file.
    expect((await admin.post('/admin/campaigns/support', again)).status).toBe(303);
    expect(fileOf(srv)).toEqual(byForm);
  });

  it('takes the hours off when the box is unticked: calls are offered at any time', async () => {
    const { srv, admin } = await start();
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    await admin.post('/admin/campaigns/support', { ...fields, timeZone: 'Europe/London', 'hours.enabled': 'on', 'hours.mon': '09:00-17:00' });
    expect(fileOf(srv).hours).toEqual({ weekly: { mon: ['09:00-17:00'] } });
    const { ['hours.enabled']: _ticked, ...unticked } = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    expect((await admin.post('/admin/campaigns/support', unticked)).status).toBe(303);
    expect(fileOf(srv)).not.toHaveProperty('hours');
  });

  it.each([
    ['a range that is not HH:MM-HH:MM', { 'hours.tue': '9-5' }, /Tuesday: /],
    ['a holiday that is not a date', { 'hours.closed': '2026-02-30' }, /Holidays: "2026-02-30" must be a real calendar date/],
    ['a special day without ranges', { 'hours.special': '2026-12-24' }, /"2026-12-24": write a date, a space, then its ranges or "closed"/],
  ])('shows %s beside the hours, keeps what was typed, and writes nothing', async (_name, change, message) => {
    const { srv, admin } = await start();
    const before = fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8');
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    const res = await admin.post('/admin/campaigns/support', { ...fields, timeZone: 'Europe/London', 'hours.enabled': 'on', 'hours.mon': '09:00-17:00', ...change });
    expect(res.status).toBe(400);
    const error = /<p class="field-error" id="hours-error">([^<]*)<\/p>/.exec(res.text)?.[1] ?? '';
    expect(unescapeHtml(error)).toMatch(message);
    for (const value of Object.values(change)) expect(res.text).toContain(value);
    expect(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')).toBe(before);
  });

  it('asks for a time zone beside its field when hours are set without one', async () => {
    const { admin } = await start();
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    const res = await admin.post('/admin/campaigns/support', { ...fields, timeZone: '', 'hours.enabled': 'on', 'hours.mon': '09:00-17:00' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<p class="field-error" id="timeZone-error">is required when hours are set<\/p>/);
  });
});
