import fs from 'node:fs';
import { Registry } from 'prom-client';
import { FunnelMetrics } from '../../src/observability/funnel-metrics';
import type { NewMessage, Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { tempDir } from '../helpers/server';
import { parseMetrics, valueOf, type Sample } from './scrape';

/**
 * The channel metrics as a dashboard reads them, counted from the events a real store
 * records (the FunnelMetrics observer): texts_total by channel (read receipts as status
 * read), channel_fallbacks_total by from, to and why, and labels that stay bounded
 * whatever an event's detail holds.
 */

const AT = '2026-11-24T20:00:00.000Z';
let dir: string;
let store: Store;
let registry: Registry;

function message(id: string, more: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId: 'support',
    to: '+16175551234',
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'sandbox',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: AT,
    ...more,
  };
}

const accept = (id: string) => store.recordAttempt(id, { status: 'sent', via: 'sandbox', vendorMessageId: `v-${id}`, vendorStatus: 'accepted' }, AT);
const receipt = (id: string, status: 'delivered' | 'read') =>
  store.applyReceipt({ gateway: 'sandbox', vendorMessageId: `v-${id}`, status, vendorStatus: status }, AT);
const samples = async (): Promise<Sample[]> => parseMetrics(await registry.metrics());

beforeEach(() => {
  dir = tempDir('channel-metrics');
  registry = new Registry();
  store = SqliteStore.open(dir, new FunnelMetrics(registry).recorded);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('counts sent, delivered and read messages under their channel, SMS ones under sms', async () => {
  await store.createMessage(message('wa', { channel: 'whatsapp' }));
  await accept('wa');
  await receipt('wa', 'delivered');
  await receipt('wa', 'read');
  await store.createMessage(message('sms'));
  await accept('sms');
  await receipt('sms', 'delivered');

  const s = await samples();
  const texts = (channel: string, status: string) => valueOf(s, 'ivr_deflect_texts_total', { campaign: 'support', channel, status });
  expect([texts('whatsapp', 'sent'), texts('whatsapp', 'delivered'), texts('whatsapp', 'read')]).toEqual([1, 1, 1]);
  expect([texts('sms', 'sent'), texts('sms', 'delivered'), texts('sms', 'read')]).toEqual([1, 1, undefined]);
  // A read receipt is not a failure.
  expect(valueOf(s, 'ivr_deflect_texts_total', { status: 'failed' })).toBeUndefined();
});

it('counts a refused WhatsApp message as failed on whatsapp, and its fallback by from, to and why', async () => {
  await store.createMessage(message('wa', { channel: 'whatsapp' }));
  await store.recordAttempt('wa', { status: 'failed', via: 'sandbox', errorCode: 'whatsapp-131026', errorDetail: 'not on WhatsApp' }, AT);
  await store.createMessage(message('fb', { callId: 'call-fb', fallbackOf: 'wa' }), [
    { type: 'channel-fallback', detail: { from: 'whatsapp', to: 'sms', why: 'not-on-channel' } },
  ]);
  await store.createMessage(message('fb2', { callId: 'call-fb2' }), [{ type: 'channel-fallback', detail: { from: 'rcs', to: 'sms', why: 'no-delivery' } }]);

  const s = await samples();
  expect(valueOf(s, 'ivr_deflect_texts_total', { channel: 'whatsapp', status: 'failed' })).toBe(1);
  expect(valueOf(s, 'ivr_deflect_channel_fallbacks_total', { from: 'whatsapp', to: 'sms', why: 'not-on-channel' })).toBe(1);
  expect(valueOf(s, 'ivr_deflect_channel_fallbacks_total', { from: 'rcs', to: 'sms', why: 'no-delivery' })).toBe(1);
});

it('keeps labels to the channel names and documented reasons, whatever a detail says', async () => {
  for (let i = 0; i < 50; i++) {
    await store.createMessage(message(`x${i}`, { callId: `call-x${i}` }), [
      { type: 'channel-fallback', detail: { from: `made-up-${i}`, to: 'sms', why: `reason ${i} "quoted"` } },
    ]);
  }
  const fallbacks = (await samples()).filter((x) => x.name === 'ivr_deflect_channel_fallbacks_total');
  expect(fallbacks).toEqual([{ name: 'ivr_deflect_channel_fallbacks_total', labels: { from: 'other', to: 'sms', why: 'other' }, value: 50 }]);
});
