import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import { ADMIN_TOKEN, campaign, shippedCampaigns, startTestServer, type TestServer } from '../helpers/server';
import { passwordHash, signIn, USER, type Admin, campaignFormFields, unescapeHtml } from './helpers';

/**
 * The campaign form's limits, variants and availability editors (issue 20 part 5b): every
 * shipped campaign and a hand-made one for every shape of these settings goes form →
 * browser post → file, and the file equals what the API saves for the same campaign.
 * Changes made in the fields save what the same change through the API saves, and the
 * schema's errors come back beside the field they are about.
 */

// The catalog refuses a campaign naming a secret the environment does not hold.
const SECRETS = Object.fromEntries(
  ['LP_CONSUMER_KEY', 'LP_CONSUMER_SECRET', 'LP_ACCESS_TOKEN', 'LP_ACCESS_TOKEN_SECRET', 'BRAND_KEY', 'BRAND_SECRET', 'BRAND_TOKEN', 'BRAND_TOKEN_SECRET', 'GATEWAY_KEY', 'LP_CLIENT_ID', 'LP_CLIENT_SECRET', 'BRAND_CLIENT_ID', 'QUEUE_TOKEN'].map((n) => [`CAMPAIGN_SECRET_${n}`, `test-value-of-${n}`]),
);

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(campaigns: CampaignInput[]): Promise<{ srv: TestServer; admin: Admin }> {
  const srv = startTestServer({ campaigns, env: { ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), ...SECRETS } });
  servers.push(srv);
  return { srv, admin: await signIn(srv.app) };
}



/** The error shown beside a field (its id is the field's name + "-error"). */
function errorBeside(html: string, name: string): string {
  const id = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return unescapeHtml(new RegExp(`<(?:p|ul) class="field-error" id="${id}-error">([\\s\\S]*?)</(?:p|ul)>`).exec(html)?.[1] ?? '').replace(/<\/?li>/g, ' ').trim();
}

const fileOf = (srv: TestServer, id: string) => JSON.parse(fs.readFileSync(path.join(srv.campaignsDir, `${id}.json`), 'utf8')) as Record<string, unknown>;

let number = 200;
/** A campaign of its own id and number, with the given limits, variants and availability. */
const made = (id: string, settings: Partial<CampaignInput>): CampaignInput => campaign({ id, name: `Shape ${id}`, dnis: [`+1 800 555 0${number++}`], ...settings });

/** One campaign for every shape of the three settings the form edits. */
const SHAPES: CampaignInput[] = [
  made('bare', {}),
  made('limits-empty', { limits: {} as CampaignInput['limits'] }),
  made('limits-part', { limits: { hourlyCap: 100 } as CampaignInput['limits'] }),
  made('limits-off', { limits: { perDestination: [], perCaller: [], hourlyCap: null, dailyCap: null } }),
  made('limits-units', {
    limits: { perDestination: [{ max: 2, withinMinutes: 90 }, { max: 4, withinMinutes: 120 }, { max: 9, withinMinutes: 2880 }], perCaller: [{ max: 1, withinMinutes: 1 }] } as CampaignInput['limits'],
  }),
  made('limits-defaults-written', {
    limits: { perDestination: [{ max: 1, withinMinutes: 10 }, { max: 3, withinMinutes: 1440 }], perCaller: [{ max: 3, withinMinutes: 1440 }], hourlyCap: 60, dailyCap: 600 },
  }),
  made('variants-none', { variants: [] }),
  made('variants-rows', {
    variants: [
      { id: 'control', weight: 2 },
      { id: 'short', weight: 1, offer: 'Want a text? Press 1.', message: 'Chat: {link}' },
      { id: 'recorded', weight: 0, offer: { text: 'Press 1 for a text.', audio: 'https://audio.example.com/offer.wav' } },
    ],
  }),
  made('variants-parts', { variants: [{ id: 'parts', weight: 1, offer: ['Hello.', { text: 'Press 1.', audio: 'https://audio.example.com/1.wav' }] }] }),
  made('variants-text-object', { variants: [{ id: 'obj', weight: 1, offer: { text: 'Press 1.' } }] }),
  made('static', { availability: { kind: 'static' } }),
  made('lp-minimal', { availability: { kind: 'liveperson', accountId: '12345678' } as CampaignInput['availability'] }),
  made('lp-full', {
    availability: {
      kind: 'liveperson',
      accountId: 'le-12345',
      auth: { type: 'api-key', consumerKey: '{secret:BRAND_KEY}', consumerSecret: '{secret:BRAND_SECRET}', accessToken: '{secret:BRAND_TOKEN}', accessTokenSecret: '{secret:BRAND_TOKEN_SECRET}' },
      domain: 'va.v.liveperson.net',
      baseUrl: 'https://lp-proxy.example.com',
      domainApiUrl: 'https://domain.example.com',
      sentinelUrl: 'https://sentinel.example.com',
      consumerSections: ['billing', 'vip'],
      engagementAttributes: [{ type: 'personal', personal: { language: 'en-US' } }],
      timeoutMs: 2500,
      onError: 'offer',
      cacheSeconds: 0,
      maxWaitSeconds: 300,
      headers: { 'X-Brand': 'example', 'X-Api-Key': '{secret:GATEWAY_KEY}' },
    },
  }),
  made('lp-jwt-defaults', { availability: { kind: 'liveperson', accountId: '42', auth: { type: 'app-jwt' } } as CampaignInput['availability'] }),
  made('lp-key-defaults', { availability: { kind: 'liveperson', accountId: '43', auth: { type: 'api-key' }, domain: 'va.v.liveperson.net' } as CampaignInput['availability'] }),
  made('variants-message-only', { variants: [{ id: 'sms', weight: 5, message: 'Here is your chat link: {link}' }] }),
  made('http-equals-false', { availability: { kind: 'http', url: 'https://a.example.com/', availablePath: 'closed', availableEquals: false } as CampaignInput['availability'] }),
  made('http-minimal', { availability: { kind: 'http', url: 'https://agents.example.com/open', availablePath: 'open' } as CampaignInput['availability'] }),
  made('http-full', {
    availability: {
      kind: 'http',
      url: 'https://agents.example.com/queues',
      method: 'POST',
      body: { queue: 'support', skills: ['en'] },
      availablePath: 'data.queues.0.state',
      availableEquals: 'open',
      urlPath: 'data.chatUrl',
      validForSecondsPath: 'data.validFor',
      waitSecondsPath: 'data.wait',
      timeoutMs: 1500,
      onError: 'hand-back',
      cacheSeconds: 5,
      headers: { Authorization: 'Bearer {secret:QUEUE_TOKEN}' },
    },
  }),
  made('http-equals-true', { availability: { kind: 'http', url: 'https://a.example.com/', availablePath: 'ok', availableEquals: true } as CampaignInput['availability'] }),
  made('http-equals-number', { availability: { kind: 'http', url: 'https://a.example.com/', availablePath: 'ok', availableEquals: 1 } as CampaignInput['availability'] }),
  made('http-equals-text-true', { availability: { kind: 'http', url: 'https://a.example.com/', availablePath: 'ok', availableEquals: 'true' } as CampaignInput['availability'] }),
];

describe('limits, variants and availability in the campaign form', () => {
  it('saves every shipped campaign and every shape of these settings, opened and saved unchanged, as the API saves it', async () => {
    const all = [...shippedCampaigns(), ...SHAPES];
    const { srv, admin } = await start(all);
    const { srv: api } = await start(all);
    for (const c of all) {
      const page = await admin.get(`/admin/campaigns/${c.id}`);
      expect({ id: c.id, status: page.status, problems: srv.campaigns.fileProblems() }).toEqual({ id: c.id, status: 200, problems: [] });
      const fields = campaignFormFields(page.text);
      // The settings with editors are not in the JSON box, except variants the rows cannot show.
      const advanced = JSON.parse(fields.advanced ?? '{}') as Record<string, unknown>;
      expect(advanced).not.toHaveProperty('limits');
      expect(advanced).not.toHaveProperty('availability');
      if (c.id === 'variants-parts' || c.id === 'variants-text-object') expect(advanced.variants).toEqual(c.variants);
      else expect(advanced).not.toHaveProperty('variants');

      const saved = await admin.post(`/admin/campaigns/${c.id}`, fields);
      expect({ id: c.id, status: saved.status, errors: saved.status === 303 ? '' : /<p class="notice notice-error"[\s\S]*/.exec(saved.text)?.[0].slice(0, 2000) }).toEqual({ id: c.id, status: 303, errors: '' });

      const current = await request(api.app).get(`/api/campaigns/${c.id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      const put = await request(api.app).put(`/api/campaigns/${c.id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('If-Match', current.headers.etag ?? '*').send(current.body.document);
      expect(put.status).toBe(200);
      expect({ id: c.id, file: fileOf(srv, c.id) }).toEqual({ id: c.id, file: fileOf(api, c.id) });
      // ... which is the file as it was: a save that changed nothing writes no default in.
      expect({ id: c.id, file: fileOf(srv, c.id) }).toEqual({ id: c.id, file: c });
    }
  });

  it('saves limit rows, variants and a LivePerson check entered in the fields as the same change through the API', async () => {
    const base = campaign();
    const { srv, admin } = await start([base]);
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    // The defaults are shown, each with a line of help.
    expect(fields).toMatchObject({ 'limits.perDestination.0.max': '1', 'limits.perDestination.0.within': '10', 'limits.perDestination.0.unit': 'minutes', 'limits.perDestination.1.within': '1', 'limits.perDestination.1.unit': 'days', 'limits.hourlyCap': '60', 'limits.dailyCap': '600', 'availability.kind': 'static' });
    const res = await admin.post('/admin/campaigns/support', {
      ...fields,
      // the second per-destination row emptied (removed), a per-caller row added in the spare row
      'limits.perDestination.1.max': '',
      'limits.perDestination.1.within': '',
      'limits.perCaller.1.max': '5',
      'limits.perCaller.1.within': '2',
      'limits.perCaller.1.unit': 'hours',
      'limits.dailyCap': '',
      'variants.0.id': 'short',
      'variants.0.weight': '1',
      'variants.0.offerText': 'A text? Press 1.',
      'variants.0.offerAudio': 'https://audio.example.com/short.wav',
      'variants.0.message': 'Chat now: {link}',
      'availability.kind': 'liveperson',
      'availability.accountId': '12345678',
      'availability.auth.type': 'app-jwt',
      'availability.auth.clientId': 'BRAND_CLIENT_ID',
      'availability.consumerSections': 'billing\nvip',
      'availability.onError': 'offer',
      'availability.headers': 'X-Brand: example',
    });
    expect(res.status).toBe(303);
    const expected = {
      ...base,
      availability: { kind: 'liveperson', accountId: '12345678', auth: { type: 'app-jwt', clientId: '{secret:BRAND_CLIENT_ID}' }, consumerSections: ['billing', 'vip'], onError: 'offer', headers: { 'X-Brand': 'example' } },
      limits: { perDestination: [{ max: 1, withinMinutes: 10 }], perCaller: [{ max: 3, withinMinutes: 1440 }, { max: 5, withinMinutes: 120 }], dailyCap: null },
      variants: [{ id: 'short', weight: 1, offer: { text: 'A text? Press 1.', audio: 'https://audio.example.com/short.wav' }, message: 'Chat now: {link}' }],
    };
    expect(fileOf(srv, 'support')).toEqual(expected);

    const { srv: api } = await start([base]);
    const put = await request(api.app).put('/api/campaigns/support').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(expected);
    expect(put.status).toBe(200);
    expect(fileOf(srv, 'support')).toEqual(fileOf(api, 'support'));

    // Opened again: the rows show what was saved, the share of each variant in words.
    const again = await admin.get('/admin/campaigns/support');
    expect(campaignFormFields(again.text)).toMatchObject({ 'limits.perCaller.1.within': '2', 'limits.perCaller.1.unit': 'hours', 'limits.dailyCap': '', 'variants.0.id': 'short', 'availability.kind': 'liveperson', 'availability.auth.clientId': 'BRAND_CLIENT_ID' });
    expect(again.text).toContain('every call');
  });

  it('shows each variant’s share of calls in words', async () => {
    const { admin } = await start([made('shares', { variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }, { id: 'c', weight: 0 }, { id: 'd', weight: 7 }] })]);
    const html = (await admin.get('/admin/campaigns/shares')).text.replace(/<template\b[\s\S]*?<\/template>/g, '');
    const shares = [...html.matchAll(/<p class="variant-share" data-share>([^<]*)<\/p>/g)].map((m) => m[1]);
    expect(shares).toEqual(['1 call in 10', '1 call in 5', 'paused: no calls', '7 calls in 10', '']);
  });

  it('says "about" when the share is no fraction of a small number of calls', async () => {
    const { admin } = await start([made('about', { variants: [{ id: 'rare', weight: 1 }, { id: 'most', weight: 22 }] })]);
    const html = (await admin.get('/admin/campaigns/about')).text.replace(/<template\b[\s\S]*?<\/template>/g, '');
    const shares = [...html.matchAll(/<p class="variant-share" data-share>([^<]*)<\/p>/g)].map((m) => m[1]);
    expect(shares.slice(0, 2)).toEqual(['about 1 call in 20', 'about 19 calls in 20']);
  });

  it.each([
    ['a window of 0 texts', { 'limits.perCaller.0.max': '0' }, 'limits.perCaller.0.max', /Too small|>=1|at least 1/i],
    ['a window longer than 30 days', { 'limits.perCaller.0.within': '31', 'limits.perCaller.0.unit': 'days' }, 'limits.perCaller.0.within', /^must be at most 30 days$/],
    ['a window length that is not a number', { 'limits.perDestination.0.within': 'ten' }, 'limits.perDestination.0.within', /^must be a whole number of minutes$/],
    ['a cap that is not a number', { 'limits.hourlyCap': 'lots' }, 'limits.hourlyCap', /whole number/],
    ['a variant id used twice', { 'variants.0.id': 'a', 'variants.0.weight': '1', 'variants.1.id': 'a', 'variants.1.weight': '1' }, 'variants.1.id', /"a" is used twice/],
    ['an audio URL without its text', { 'variants.0.id': 'a', 'variants.0.weight': '1', 'variants.0.offerAudio': 'https://audio.example.com/a.wav' }, 'variants.0.offerText', /is needed with an audio URL/],
    ['a variant offer with an unknown placeholder', { 'variants.0.id': 'a', 'variants.0.weight': '1', 'variants.0.offerText': 'Press {key}' }, 'variants.0.offerText', /unknown placeholder/],
    ['a LivePerson account id that is not one', { 'availability.kind': 'liveperson', 'availability.accountId': 'not an id!' }, 'availability.accountId', /must be a LivePerson account id/],
    ['an http check without a URL', { 'availability.kind': 'http', 'availability.availablePath': 'ok' }, 'availability.url', /absolute http/],
    ['a header carrying a credential', { 'availability.kind': 'http', 'availability.url': 'https://a.example.com/', 'availability.availablePath': 'ok', 'availability.headers': 'Authorization: Bearer abc123' }, 'availability.headers', /write \{secret:NAME\}/],
  ])('shows %s beside its field and writes nothing', async (_name, change, field, message) => {
    const { srv, admin } = await start([campaign()]);
    const before = fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8');
    const res = await admin.post('/admin/campaigns/support', { ...campaignFormFields((await admin.get('/admin/campaigns/support')).text), ...change });
    expect(res.status).toBe(400);
    expect(errorBeside(res.text, field)).toMatch(message);
    expect(fs.readFileSync(path.join(srv.campaignsDir, 'support.json'), 'utf8')).toBe(before);
  });

  it('refuses a credential typed where a secret name belongs, without showing it in the message', async () => {
    const { admin } = await start([campaign()]);
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    const res = await admin.post('/admin/campaigns/support', { ...fields, 'availability.kind': 'liveperson', 'availability.accountId': '1', 'availability.auth.type': 'app-jwt', 'availability.auth.clientSecret': 'sk-live/9f8e7d' });
    expect(res.status).toBe(400);
    const error = errorBeside(res.text, 'availability.auth.clientSecret');
    expect(error).toMatch(/must be the name of a secret/);
    expect(error).not.toContain('sk-live');
  });

  it.each(['limits', 'availability', 'variants'])('refuses %s typed in the advanced JSON: set them in the form above', async (key) => {
    const { admin } = await start([campaign()]);
    const fields = campaignFormFields((await admin.get('/admin/campaigns/support')).text);
    const value = key === 'limits' ? { hourlyCap: 5 } : key === 'availability' ? { kind: 'static' } : [{ id: 'a', weight: 1 }];
    const res = await admin.post('/admin/campaigns/support', { ...fields, advanced: JSON.stringify({ [key]: value }) });
    expect(res.status).toBe(400);
    expect(errorBeside(res.text, 'advanced')).toBe(`set ${key} in the form above, not here`);
  });

  it('keeps a campaign’s settings when a post carries none of these fields (a page opened before this form)', async () => {
    const c = SHAPES.find((s) => s.id === 'lp-full') as CampaignInput;
    const withAll = { ...c, limits: { hourlyCap: 7 }, variants: [{ id: 'a', weight: 1 }] } as CampaignInput;
    const { srv, admin } = await start([withAll]);
    const fields = Object.fromEntries(Object.entries(campaignFormFields((await admin.get(`/admin/campaigns/${c.id}`)).text)).filter(([k]) => !/^(limits|variants|availability)\./.test(k)));
    expect((await admin.post(`/admin/campaigns/${c.id}`, fields)).status).toBe(303);
    expect(fileOf(srv, c.id)).toEqual(withAll);
  });
});
