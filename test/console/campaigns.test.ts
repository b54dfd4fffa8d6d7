import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import type { TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin } from './helpers';

/**
 * The campaign pages: what an admin sees and what the next call gets after each form.
 * The real app, the real campaigns folder, the real catalog.
 */

let server: TestServer;
let admin: Admin;
beforeEach(async () => {
  server = await startConsole();
  admin = await signIn(server.app);
});
afterEach(() => server.close());

const NEW_DNIS = '+1 800 555 0199';

async function offered(dnis: string): Promise<boolean> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis, ani: '+16175551234' });
  return caller.isQuestion();
}

const newCampaignForm = (fields: Record<string, string> = {}) => ({
  id: 'sales',
  name: 'Sales chat',
  active: 'on',
  dnis: NEW_DNIS,
  message: 'Sales: {link}',
  link: 'https://chat.example.com/sales?c={callId}',
  language: 'en-US',
  country: 'US',
  timeZone: '',
  linkTtlMinutes: '',
  gateway: '',
  advanced: '{}',
  ...fields,
});

const fileOf = (id: string) => path.join(server.campaignsDir, `${id}.json`);

/** The inline error text shown beside one field of the form. */
function fieldError(html: string, field: string): string | undefined {
  const match = new RegExp(`id="${field}-error">([\\s\\S]*?)</(p|ul)>`).exec(html);
  return match?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

describe('the campaigns list', () => {
  it('shows each campaign with its numbers, status and a switch that the next call obeys', async () => {
    const page = await admin.get('/admin/campaigns');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Support chat');
    expect(page.text).toContain('+1 800 555 0100');
    expect(page.text).toContain('badge-active');

    const version = /name="version" value="([^"]+)"/.exec(page.text)?.[1] as string;
    // Switching off asks first: the list's button only brings the confirm page, nothing changes.
    const ask = await admin.post('/admin/campaigns/support/deactivate', { version });
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Switch off Support chat?');
    expect(ask.text).toContain('+1 800 555 0100');
    expect(ask.text).toContain('name="confirmed" value="yes"');
    expect(ask.text).toContain('href="/admin/campaigns">Cancel, keep it on</a>');
    expect(await offered('+18005550100')).toBe(true);
    const off = await admin.post('/admin/campaigns/support/deactivate', { version: /name="version" value="([^"]+)"/.exec(ask.text)?.[1] as string, confirmed: 'yes' });
    expect(off.status).toBe(303);
    expect(await offered('+18005550100')).toBe(false);
    const after = await admin.get('/admin/campaigns');
    expect(after.text).toContain('badge-inactive');
    expect(after.text).toContain('/admin/campaigns/support/activate');

    const stale = await admin.post('/admin/campaigns/support/activate', { version });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('Someone changed this campaign');
    const fresh = /name="version" value="([^"]+)"/.exec(after.text)?.[1] as string;
    expect((await admin.post('/admin/campaigns/support/activate', { version: fresh })).status).toBe(303);
    expect(await offered('+18005550100')).toBe(true);
  });

  it('shows a file that was broken by hand, and that the last good version is still in service', async () => {
    fs.writeFileSync(fileOf('support'), '{ not json');
    fs.writeFileSync(fileOf('draft'), JSON.stringify({ id: 'draft' }));
    server.campaigns.reload();
    const page = await admin.get('/admin/campaigns');
    expect(page.text).toContain('the last good version stays in service');
    expect(page.text).toContain('draft.json');
    expect(page.text).toMatch(/draft\.json<\/strong> is invalid and has no last good version: not in service/);
    // The banner at the top names the broken file whose last good version serves, too.
    expect(page.text).toMatch(/support\.json<\/strong> is invalid: its last good version of support serves until it is fixed:\s*<ul><li>support\.json: not valid JSON/);
    expect(await offered('+18005550100')).toBe(true);
  });

  it('refuses to switch a campaign without the CSRF token', async () => {
    const res = await request(server.app).post('/admin/campaigns/support/deactivate').set('Cookie', admin.cookie).type('form').send({});
    expect(res.status).toBe(403);
    expect(server.campaigns.get('support')?.active).toBe(true);
  });
});

describe('creating a campaign', () => {
  it('writes the file and serves the new number from the next call', async () => {
    expect(await offered(NEW_DNIS)).toBe(false);
    const res = await admin.post('/admin/campaigns/new', newCampaignForm({ linkTtlMinutes: '60', 'keys.accept': '3', advanced: '{ "recontactDays": 14 }' }));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/campaigns?saved=sales');
    expect(JSON.parse(fs.readFileSync(fileOf('sales'), 'utf8'))).toEqual({
      id: 'sales',
      name: 'Sales chat',
      active: true,
      dnis: [NEW_DNIS],
      message: 'Sales: {link}',
      link: 'https://chat.example.com/sales?c={callId}',
      language: 'en-US',
      country: 'US',
      linkTtlMinutes: 60,
      keys: { accept: '3' },
      recontactDays: 14,
    });
    expect(await offered(NEW_DNIS)).toBe(true);
    expect((await admin.get('/admin/campaigns?saved=sales')).text).toContain('Saved “Sales chat”');
  });

  it.each([
    ['a missing name', { name: '' }, 'name', /characters|Too small|at least/i],
    ['a link that is not a URL', { link: 'chat.example.com' }, 'link', /absolute http/],
    ['a number already served by an active campaign', { dnis: '+1 800 555 0100' }, 'dnis', /more than one active campaign/],
    ['advanced settings that are not JSON', { advanced: '{ keys: ' }, 'advanced', /not valid JSON/],
    ['a bad value deep in the advanced settings', { advanced: '{ "expiredLink": { "url": "nope" } }' }, 'advanced', /expiredLink\.url: must be an absolute http/],
    ['a bad id', { id: 'Sales Team' }, 'id', /lowercase/],
    ['a link lifetime that is not a number', { linkTtlMinutes: 'soon' }, 'linkTtlMinutes', /whole number/],
  ])('shows %s beside the field, keeps what was typed, and writes nothing', async (_label, fields, field, message) => {
    const res = await admin.post('/admin/campaigns/new', newCampaignForm(fields));
    expect(res.status).toBe(400);
    expect(res.text).toContain('The campaign was not saved');
    expect(fieldError(res.text, field)).toMatch(message);
    expect(res.text).toContain('value="Sales chat"'.replace('Sales chat', (fields as Record<string, string>).name ?? 'Sales chat'));
    expect(fs.existsSync(fileOf('sales'))).toBe(false);
  });

  it('refuses an id that is taken, beside the id', async () => {
    const res = await admin.post('/admin/campaigns/new', newCampaignForm({ id: 'support' }));
    expect(res.status).toBe(409);
    expect(fieldError(res.text, 'id')).toMatch(/exists|already/i);
  });
});

describe('editing a campaign', () => {
  it('opens with the file as written and saves a new text, in service from the next call', async () => {
    const page = await admin.get('/admin/campaigns/support');
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="Support chat"');
    expect(page.text).toContain('Chat with us: {link}');
    const version = /name="version" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const res = await admin.post('/admin/campaigns/support', {
      ...newCampaignForm({ id: 'ignored', name: 'Support (edited)', dnis: '+1 800 555 0100', message: 'Edited {link}' }),
      version,
    });
    expect(res.status).toBe(303);
    expect(server.campaigns.get('support')?.message).toBe('Edited {link}');
    expect(server.campaigns.get('support')?.name).toBe('Support (edited)');
    expect(fs.existsSync(fileOf('ignored'))).toBe(false);
  });

  it('does not overwrite a change made since the form was opened', async () => {
    const page = await admin.get('/admin/campaigns/support');
    const version = /name="version" value="([^"]+)"/.exec(page.text)?.[1] as string;
    await server.campaigns.setActive('support', false);
    const res = await admin.post('/admin/campaigns/support', { ...newCampaignForm({ dnis: '+1 800 555 0100' }), version });
    expect(res.status).toBe(409);
    expect(res.text).toContain('Someone changed this campaign');
    expect(server.campaigns.get('support')?.active).toBe(false);
  });

  it('deletes only when the id is typed to confirm', async () => {
    const page = await admin.get('/admin/campaigns/support');
    const version = /name="version" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const unconfirmed = await admin.post('/admin/campaigns/support/delete', { version, confirm: 'yes' });
    expect(unconfirmed.status).toBe(400);
    expect(fs.existsSync(fileOf('support'))).toBe(true);
    const res = await admin.post('/admin/campaigns/support/delete', { version, confirm: 'support' });
    expect(res.status).toBe(303);
    expect(fs.existsSync(fileOf('support'))).toBe(false);
    expect(await offered('+18005550100')).toBe(false);
    expect((await admin.get('/admin/campaigns/support')).status).toBe(404);
  });
});

describe('the SMS preview', () => {
  const preview = (message: string, csrf = admin.csrf) =>
    request(server.app).post('/admin/campaigns-preview').set('Cookie', admin.cookie).set('X-CSRF-Token', csrf).send({ message });

  it('fills a link of the real length and counts characters, encoding and segments', async () => {
    const res = await preview('Chat: {link}');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ text: 'Chat: https://t.example.test/s/AbCd1234', encoding: 'GSM-7', segments: 1, characters: 39, warnings: [] });
  });

  it('warns when one character makes the text UCS-2 and it needs two segments', async () => {
    const res = await preview(`Chat with us ’now’: {link} ${'x'.repeat(40)}`);
    expect(res.body).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(res.body.warnings.join(' ')).toMatch(/UCS-2/);
    expect((await preview('no link here')).body.warnings.join(' ')).toMatch(/no \{link\}/);
  });

  it('is shown on the form without script, and refused without the CSRF token', async () => {
    const page = await admin.get('/admin/campaigns/new');
    expect(page.text).toMatch(/class="sms-bubble" data-preview-text>Chat with us: https:\/\/t\.example\.test\/s\/AbCd1234 Reply STOP to opt out\./);
    expect((await preview('x {link}', 'wrong')).status).toBe(403);
  });
});
