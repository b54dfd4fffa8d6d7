import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { PHONE_BROWSER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';
import type { TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin } from './helpers';

/** The reports page: the same funnel as the API, for a signed-in admin, in the admin's zone. */

let server: TestServer;
let admin: Admin;
const NOW = new Date('2026-11-21T15:00:00Z');
beforeEach(async () => {
  server = await startConsole({ now: () => NOW });
  admin = await signIn(server.app);
});
afterEach(() => server.close());

async function call(keys: string[]): Promise<void> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: '+18005550100', ani: `+1617555${Math.floor(1000 + Math.random() * 8999)}` });
  for (const key of keys) await caller.press(key);
}

const figure = (html: string, name: string) => new RegExp(`data-figure="${name}">(\\d+)<`).exec(html)?.[1];

it('shows the last 7 days by default with the totals, both charts and a CSV of the same report', async () => {
  await call(['1', '1']);
  await call(['2']);
  const page = await admin.get('/admin/reports');
  expect(page.status).toBe(200);
  expect(page.text).toContain('value="2026-11-15"');
  expect(page.text).toContain('value="2026-11-21"');
  expect([figure(page.text, 'calls'), figure(page.text, 'offered'), figure(page.text, 'accepted'), figure(page.text, 'textsSent')]).toEqual(['2', '2', '1', '1']);
  expect(page.text.match(/<svg[^>]*role="img"/g)).toHaveLength(2);

  const csv = await admin.get('/admin/reports.csv?from=2026-11-15&to=2026-11-21&timeZone=UTC&by=day&campaign=');
  expect(csv.status).toBe(200);
  expect(csv.headers['content-disposition']).toContain('funnel-2026-11-15-2026-11-21.csv');
  const lines = csv.text.trim().split(/\r?\n/);
  expect(lines).toHaveLength(1 + 7);
  expect(lines.at(-1)).toMatch(/^2026-11-21,/);
});

it.each([
  ['from=yesterday', 'from'],
  ['from=2026-11-21&to=2026-11-01', 'to'],
  ['timeZone=Mars/Base', 'timeZone'],
  ['by=week', 'by'],
  ['by=hour&from=2026-01-01&to=2026-11-21', 'to'],
])('answers %s with the error beside the field', async (query, field) => {
  const page = await admin.get(`/admin/reports?${query}`);
  expect(page.status).toBe(400);
  expect(page.text).toMatch(new RegExp(`id="${field}-error">[^<]+<`));
  expect(page.text).not.toContain('data-figure');
});

it('needs a signed-in admin for the page and the CSV', async () => {
  expect((await request(server.app).get('/admin/reports')).status).toBe(303);
  expect((await request(server.app).get('/admin/reports.csv')).status).toBe(303);
});

describe('by channel', () => {
  const row = (html: string, channel: string) => new RegExp(`<tr data-channel="${channel}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
  const cells = (html: string) => [...html.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1]);

  /** A WhatsApp message read, and one not on WhatsApp that fell back to SMS, delivered: seeded through the store. */
  async function whatsappWithFallback(): Promise<void> {
    const base = { campaignId: 'support', to: '+16175551234', body: 'Chat: https://t.example.test/s/x', fallbackGateway: null, segments: 1, encoding: 'GSM-7' as const, createdAt: NOW.toISOString() };
    const store = server.store;
    const accept = (id: string) => store.recordAttempt(id, { status: 'sent', via: 'sandbox', vendorMessageId: `v-${id}`, vendorStatus: 'accepted' }, NOW.toISOString());
    const receipt = (id: string, status: 'delivered' | 'read') =>
      store.applyReceipt({ gateway: 'sandbox', vendorMessageId: `v-${id}`, status, vendorStatus: status }, NOW.toISOString());
    await store.createMessage({ ...base, id: 'wa-read', callId: 'c-wa-read', gateway: 'sandbox', channel: 'whatsapp' });
    await accept('wa-read');
    await receipt('wa-read', 'delivered');
    await receipt('wa-read', 'read');
    await store.createMessage({ ...base, id: 'wa-none', callId: 'c-wa-none', gateway: 'sandbox', channel: 'whatsapp' });
    await store.recordAttempt('wa-none', { status: 'failed', via: 'sandbox', errorCode: 'whatsapp-131026', errorDetail: 'not on WhatsApp' }, NOW.toISOString());
    await store.createMessage({ ...base, id: 'sms-fb', callId: 'c-sms-fb', gateway: 'sandbox', fallbackOf: 'wa-none' });
    await accept('sms-fb');
    await receipt('sms-fb', 'delivered');
  }

  it('an SMS-only campaign: one SMS row under the funnel, its read count and read rate a dash, the funnel figures as before', async () => {
    await call(['1', '1']);
    await call(['2']);
    const page = await admin.get('/admin/reports');
    expect([figure(page.text, 'calls'), figure(page.text, 'accepted'), figure(page.text, 'textsSent')]).toEqual(['2', '1', '1']);
    expect(page.text.indexOf('By channel')).toBeGreaterThan(page.text.indexOf('Download CSV'));
    expect(page.text).not.toContain('data-channel="whatsapp"');
    const sms = cells(row(page.text, 'sms'));
    expect(sms.slice(0, 3)).toEqual(['SMS', '1', '1']);
    expect(sms[4]).toBe('—');
    expect(sms.at(-1)).toBe('—');
  });

  it('WhatsApp with SMS fallback: read receipts and read rate on WhatsApp, the fallback counted under both channels', async () => {
    await whatsappWithFallback();
    const page = await admin.get('/admin/reports');
    expect(page.status).toBe(200);
    // Channel, messages, sent, delivered, read, failed, fell back, fallbacks in, delivery, read rate.
    expect(cells(row(page.text, 'whatsapp'))).toEqual(['WhatsApp', '2', '1', '1', '1', '1', '1', '0', '100.0%', '100.0%']);
    expect(cells(row(page.text, 'sms'))).toEqual(['SMS', '1', '1', '1', '—', '0', '0', '1', '100.0%', '—']);
    expect(page.text).toContain('Fallbacks: WhatsApp to SMS: 1.');
  });

  it('says so when the range has no messages, and narrows to the campaign asked for', async () => {
    await whatsappWithFallback();
    const empty = await admin.get('/admin/reports?from=2026-10-01&to=2026-10-07&timeZone=UTC');
    expect(empty.text).toContain('No messages in this range.');
    const other = await admin.get('/admin/reports?campaign=nobody');
    expect(other.status).toBe(200);
    expect(other.text).toContain('No messages in this range.');
    const support = await admin.get('/admin/reports?campaign=support');
    expect(cells(row(support.text, 'whatsapp'))[1]).toBe('2');
  });

  it('downloads the by-channel rows as CSV, for a signed-in admin only', async () => {
    await whatsappWithFallback();
    const csv = await admin.get('/admin/reports-channels.csv?from=2026-11-15&to=2026-11-21&timeZone=UTC&by=day&campaign=');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toContain('channels-2026-11-15-2026-11-21.csv');
    expect(csv.text.trim().split(/\r?\n/)).toEqual([
      'channel,created,sent,delivered,read,failed,fell_back,fallbacks_in,delivery_rate,read_rate',
      'sms,1,1,1,,0,0,1,1,',
      'whatsapp,2,1,1,1,1,1,0,1,1',
    ]);
    expect((await request(server.app).get('/admin/reports-channels.csv')).status).toBe(303);
  });
});

describe('repeat calls', () => {
  it('shows the funnel\'s repeat calls and the deflections that stuck, saying only passed windows are judged', async () => {
    // Its own server: the clock moves from the texts to the call back to the day of the report.
    let clock = new Date('2026-11-01T15:00:00Z');
    const own = await startConsole({ now: () => clock });
    try {
      const texted = async (ani: string) => {
        const caller = new IvrCaller(own.app);
        await caller.start({ dnis: '+18005550100', ani });
        await caller.press('1');
        await caller.press('1');
        expect(caller.ending().result.status).toBe('sent');
      };
      await texted('+16175551234');
      await texted('+16175550142');
      // Three days later the first caller rings again and holds.
      clock = new Date('2026-11-04T15:00:00Z');
      const back = new IvrCaller(own.app);
      await back.start({ dnis: '+18005550100', ani: '+16175551234' });
      await back.press('2');

      clock = new Date('2026-11-21T15:00:00Z');
      const signedIn = await signIn(own.app);
      const page = await signedIn.get('/admin/reports?from=2026-11-01&to=2026-11-04&timeZone=UTC&by=campaign');
      expect(page.status).toBe(200);
      expect(/data-cell="recontacts">(\d+)</.exec(page.text.split('class="total"')[1] ?? '')?.[1]).toBe('1');
      const stuck = page.text.slice(page.text.indexOf('data-section="stuck"'));
      expect(/data-cell="stuck">(\d+)</.exec(stuck)?.[1]).toBe('1');
      expect(/data-cell="pending">(\d+)</.exec(stuck)?.[1]).toBe('0');
      expect(stuck).toContain('Only texts whose recontact window has fully passed are judged');
    } finally {
      await own.close();
    }
  });
});

it('shows previews apart from clicks: a WhatsApp preview and a HEAD are previewed, the phone is clicked', async () => {
  await call(['1', '1']);
  const [message] = await server.store.listMessages({ limit: 1 });
  const path = /\/s\/[0-9A-Za-z]{7,16}$/.exec(message?.body ?? '')?.[0] ?? '/s/missing';
  expect((await request(server.app).get(path).set(WHATSAPP_PREVIEW)).status).toBe(302);
  expect((await request(server.app).head(path)).status).toBe(302);
  let page = await admin.get('/admin/reports');
  expect([figure(page.text, 'linksClicked'), figure(page.text, 'linksPreviewed')]).toEqual(['0', '1']);
  expect((await request(server.app).get(path).set(PHONE_BROWSER)).status).toBe(302);
  page = await admin.get('/admin/reports');
  expect([figure(page.text, 'linksClicked'), figure(page.text, 'linksPreviewed')]).toEqual(['1', '1']);
  // The rows' table has the column too: the total row ends "... Clicked 1, Previewed 1".
  expect(page.text).toContain('<th scope="col" class="num">Previewed</th>');
  expect(page.text).toMatch(/class="total"[\s\S]*?<td class="num">1<\/td><td class="num">1<\/td><td class="num" data-cell="recontacts">\d+<\/td>/);
});

describe('conversation outcomes', () => {
  it('shows the calls whose conversation started and was resolved in the funnel table', async () => {
    const clock = new Date('2026-11-02T15:00:00Z');
    const own = await startConsole({ now: () => clock });
    try {
      const caller = new IvrCaller(own.app);
      await caller.start({ dnis: '+18005550100', ani: '+16175551234' });
      await caller.press('1');
      await caller.press('1');
      const [message] = await own.store.listMessages({ limit: 1 });
      const outcome = { callId: message?.callId ?? '', detail: { source: 'conversations' }, source: 'conversations', receivedAt: clock.toISOString(), forgetIdsBefore: '2026-11-01T00:00:00Z' };
      expect(await own.store.recordConversationOutcome({ ...outcome, type: 'agent-engaged', notificationId: 'a' })).toBe('recorded');
      expect(await own.store.recordConversationOutcome({ ...outcome, type: 'conversation-resolved', notificationId: 'b' })).toBe('recorded');

      const page = await (await signIn(own.app)).get('/admin/reports?from=2026-11-01&to=2026-11-04&timeZone=UTC&by=campaign');
      expect(page.status).toBe(200);
      const total = page.text.split('class="total"')[1] ?? '';
      expect(/data-cell="conversations-started">(\d+)</.exec(total)?.[1]).toBe('1');
      expect(/data-cell="conversations-resolved">(\d+)</.exec(total)?.[1]).toBe('1');
      expect(page.text).toContain('<th scope="col" class="num">Resolved</th>');
    } finally {
      await own.close();
    }
  });
});
