import fs from 'node:fs';
import express, { type Express } from 'express';
import request from 'supertest';
import { reportRoutes } from '../../src/http/report-routes';
import { asApiToken } from '../auth/as-role';
import type { NewMessage, Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { tempDir } from '../helpers/server';

/**
 * GET /api/reports/channels over a real store seeded through the port: a WhatsApp
 * campaign with SMS fallback (read, delivered, not on WhatsApp and texted instead) and
 * an SMS-only campaign; the JSON and CSV answers, by channel and by campaign, the range
 * in a time zone, and refused queries.
 */

// Tuesday 24 November 2026, 15:00 in New York (EST, UTC-5).
const T0 = Date.parse('2026-11-24T20:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

let dir: string;
let store: Store;
let app: Express;

function message(id: string, campaignId: string, createdAt: string, more: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId,
    to: '+16175551234',
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'sandbox',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt,
    ...more,
  };
}

/** Creates the message, has the vendor accept it and applies the receipts in order. */
async function seed(draft: NewMessage, ...receipts: ('delivered' | 'read' | 'failed')[]): Promise<void> {
  await store.createMessage(draft);
  const at = draft.createdAt;
  await store.recordAttempt(draft.id, { status: 'sent', via: 'sandbox', vendorMessageId: `v-${draft.id}`, vendorStatus: 'accepted' }, at);
  for (const status of receipts) {
    await store.applyReceipt({ gateway: 'sandbox', vendorMessageId: `v-${draft.id}`, status, vendorStatus: status }, at);
  }
}

beforeAll(async () => {
  dir = tempDir('channel-report');
  store = SqliteStore.open(dir);
  // WhatsApp first, SMS when it does not get through.
  await seed(message('w1', 'support', at(0), { channel: 'whatsapp' }), 'delivered', 'read');
  await seed(message('w2', 'support', at(1), { channel: 'whatsapp' }), 'read'); // read receipt before any delivered one
  await seed(message('w3', 'support', at(2), { channel: 'whatsapp' }), 'delivered');
  await store.createMessage(message('w4', 'support', at(3), { channel: 'whatsapp' }));
  await store.recordAttempt('w4', { status: 'failed', via: 'sandbox', errorCode: 'whatsapp-131026', errorDetail: 'not on WhatsApp' }, at(3));
  await seed(message('s4', 'support', at(3), { callId: 'call-w4-fallback', fallbackOf: 'w4' }), 'delivered');
  // An SMS-only campaign.
  await seed(message('b1', 'billing', at(5)), 'delivered');
  await seed(message('b2', 'billing', at(6)), 'failed');
  // Wednesday 00:30 in New York: the next local day.
  await seed(message('late', 'billing', '2026-11-25T05:30:00.000Z'), 'delivered');

  app = express();
  app.use('/api', asApiToken('viewer'), reportRoutes(store, () => new Date('2026-11-26T12:00:00Z')));
});

afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (query: string) => request(app).get(`/api/reports/channels?${query}`);
const TUESDAY = 'from=2026-11-24&to=2026-11-24&timeZone=America/New_York';

describe('GET /api/reports/channels', () => {
  it('answers each channel\'s messages of the local days asked for: read where WhatsApp says so, null for SMS, fallbacks both ways', async () => {
    const res = await get(TUESDAY).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      by: 'channel',
      timeZone: 'America/New_York',
      from: '2026-11-24T05:00:00.000Z',
      to: '2026-11-25T05:00:00.000Z',
      generatedAt: '2026-11-26T12:00:00.000Z',
    });
    const rows = res.body.rows as { channel: string }[];
    expect(rows).toEqual([
      {
        campaign: null,
        channel: 'sms',
        label: 'SMS',
        created: 3,
        sent: 3,
        delivered: 2,
        read: null,
        failed: 1,
        fellBack: 0,
        fallbacksIn: 1,
        rates: { delivery: 0.6667, read: null },
      },
      {
        campaign: null,
        channel: 'whatsapp',
        label: 'WhatsApp',
        created: 4,
        sent: 3,
        delivered: 3,
        read: 2,
        failed: 1,
        fellBack: 1,
        fallbacksIn: 0,
        rates: { delivery: 1, read: 0.6667 },
      },
    ]);
    expect(res.body.fallbacks).toEqual([{ campaign: null, from: 'whatsapp', to: 'sms', messages: 1 }]);
  });

  it('by campaign: the SMS-only campaign has one SMS row; one campaign alone with campaign=', async () => {
    const res = await get(`${TUESDAY}&by=campaign`).expect(200);
    expect(res.body.rows.map((r: { campaign: string; channel: string; created: number }) => [r.campaign, r.channel, r.created])).toEqual([
      ['billing', 'sms', 2],
      ['support', 'sms', 1],
      ['support', 'whatsapp', 4],
    ]);
    const billing = await get(`${TUESDAY}&campaign=billing`).expect(200);
    expect(billing.body.rows).toEqual([expect.objectContaining({ channel: 'sms', created: 2, delivered: 1, read: null, failed: 1 })]);
    expect(billing.body.fallbacks).toEqual([]);
  });

  it('counts the message after local midnight on the next local day', async () => {
    const res = await get('from=2026-11-25&to=2026-11-25&timeZone=America/New_York').expect(200);
    expect(res.body.rows).toEqual([expect.objectContaining({ channel: 'sms', created: 1, delivered: 1 })]);
    const utc = await get('from=2026-11-24&to=2026-11-25').expect(200);
    expect(utc.body.rows.map((r: { created: number }) => r.created)).toEqual([4, 4]);
  });

  it('downloads the same rows as CSV, the read cells of SMS empty', async () => {
    const res = await get(`${TUESDAY}&format=csv`).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename=channels-2026-11-24-2026-11-24.csv');
    expect(res.text.split('\r\n')).toEqual([
      'channel,created,sent,delivered,read,failed,fell_back,fallbacks_in,delivery_rate,read_rate',
      'sms,3,3,2,,1,0,1,0.6667,',
      'whatsapp,4,3,3,2,1,1,0,1,0.6667',
      '',
    ]);
  });

  it.each([
    ['an unknown parameter', `${TUESDAY}&chart=funnel`],
    ['a range past 366 days', 'from=2025-01-01&to=2026-12-31'],
    ['a backwards range', 'from=2026-11-25&to=2026-11-24'],
    ['a made-up time zone', 'from=2026-11-24&to=2026-11-24&timeZone=Mars/Olympus'],
    ['an unknown grouping', `${TUESDAY}&by=dnis`],
    ['an overlong campaign id', `${TUESDAY}&campaign=${'x'.repeat(64)}`],
    ['repeated parameters', `${TUESDAY}&from=2026-11-23`],
  ])('refuses %s with a 400 naming the problem', async (_what, query) => {
    const res = await get(query).expect(400);
    expect(res.type).toBe('application/json');
    expect(res.body.error).toMatch(/^invalid query: /);
  });

  it('names the limit of a too long range', async () => {
    const res = await get('from=2025-01-01&to=2026-12-31').expect(400);
    expect(res.body.fields).toEqual([{ field: 'to', message: 'the range may span at most 366 days in a channel report (this one spans 730)' }]);
  });
});
