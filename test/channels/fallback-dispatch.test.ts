import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { OutboxSettings } from '../../src/config';
import { Dispatcher } from '../../src/outbox/dispatcher';
import type { OutgoingSms, SendOutcome, SmsGateway } from '../../src/sms/port';
import type { FallbackPlan } from '../../src/channels/channel';
import type { MessageRecord, NewMessage } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * The channel fallback through the real dispatcher and the real SQLite store, one test
 * per trigger: the first channel refuses the number (not on WhatsApp), a receipt says it
 * failed, no delivery receipt comes within the window, the vendor is down through the
 * window; and a fallback that fell due while no process was running. The clock is
 * injected: the window passes when the test moves it, never by waiting. Each test checks
 * what a caller would notice: exactly one fallback text reached the SMS gateway, and the
 * first message is never sent after its fallback.
 */

type Script = (sms: OutgoingSms) => SendOutcome;

class ScriptedGateway implements SmsGateway {
  readonly sent: OutgoingSms[] = [];
  constructor(
    readonly name: string,
    readonly channels: SmsGateway['channels'],
    public script: Script,
  ) {}
  async send(sms: OutgoingSms): Promise<SendOutcome> {
    this.sent.push(sms);
    return this.script(sms);
  }
}

const accepted = (sms: OutgoingSms): SendOutcome => ({ outcome: 'accepted', vendorMessageId: `v-${sms.id}` });
const notOnWhatsApp: SendOutcome = { outcome: 'permanent', reason: 'not-on-channel', code: 'wa-131026', detail: 'Message undeliverable' };
const down: SendOutcome = { outcome: 'retryable', code: 'http-503', detail: 'Service Unavailable' };

const SETTINGS: OutboxSettings = { attemptTimeoutMs: 1_000, maxAttempts: 50, retryBaseMs: 1_000, concurrency: 4, callerWaitMs: 5_000 };
const T0 = Date.parse('2026-12-04T20:00:00.000Z');
const NUMBER = '+16175551234';
const LINK = 'https://t.example.test/s/abcdefgh';

const plan = (afterSeconds: number | null): FallbackPlan => ({
  channel: 'sms',
  gateway: 'sms-gw',
  fallbackGateway: null,
  body: `Chat with us: ${LINK}`,
  afterSeconds,
});

function whatsappMessage(id: string, afterSeconds: number | null = 120): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId: 'support',
    to: NUMBER,
    body: '',
    channel: 'whatsapp',
    template: { name: 'chat_link', language: 'en_US', body: [LINK] },
    gateway: 'wa-gw',
    fallbackGateway: null,
    fallback: plan(afterSeconds),
    segments: 1,
    encoding: 'GSM-7',
    createdAt: new Date(T0).toISOString(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  // A bound on a broken test, not on the machine: nothing asserts how long it took.
  const until = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}

let clock = T0;
let dataDir: string;
const stores: SqliteStore[] = [];
const dispatchers: Dispatcher[] = [];
let wa: ScriptedGateway;
let sms: ScriptedGateway;

function open(): { store: SqliteStore; dispatcher: Dispatcher } {
  const store = SqliteStore.open(dataDir);
  const dispatcher = new Dispatcher({
    store,
    gateways: new Map([
      [wa.name, wa],
      [sms.name, sms],
    ]),
    settings: SETTINGS,
    log: pino({ level: 'silent' }),
    now: () => new Date(clock),
    pollMs: 10,
    random: () => 0.5,
  });
  stores.push(store);
  dispatchers.push(dispatcher);
  return { store, dispatcher };
}

beforeEach(() => {
  clock = T0;
  dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-fallback-')), 'data');
  wa = new ScriptedGateway('wa-gw', ['whatsapp'], accepted);
  sms = new ScriptedGateway('sms-gw', ['sms'], accepted);
});
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.stop();
  for (const s of stores.splice(0)) await s.close();
});

async function fallbacksOf(store: SqliteStore, id: string): Promise<MessageRecord[]> {
  return (await store.listMessages({ limit: 10, callId: `call-${id}` })).filter((m) => m.fallbackOf === id);
}

/** The one fallback text, once the SMS gateway has accepted it. */
async function fallbackSent(store: SqliteStore, id: string): Promise<MessageRecord> {
  return waitFor(async () => {
    const [fallback] = await fallbacksOf(store, id);
    return fallback?.status === 'sent' ? fallback : undefined;
  });
}

describe('channel fallback in the outbox', () => {
  it('not on WhatsApp: the SMS goes out at once, in the caller\'s wait, and the caller hears it was sent', async () => {
    wa.script = () => notOnWhatsApp;
    const { store, dispatcher } = open();
    await store.createMessage(whatsappMessage('wa1'));
    const firstAttempt = await dispatcher.sendNow('wa1', 60_000);
    expect(firstAttempt).toEqual({ kind: 'sent', channel: 'sms' });
    expect(sms.sent).toHaveLength(1);
    expect(sms.sent[0]).toMatchObject({ to: NUMBER, body: `Chat with us: ${LINK}` });
    expect(sms.sent[0]!.channel).toBeUndefined();
    expect(await store.getMessage('wa1')).toMatchObject({ status: 'failed', errorCode: 'wa-131026', fellBackAt: new Date(T0).toISOString() });
    const events = (await store.listEvents('call-wa1')).filter((e) => e.type === 'channel-fallback');
    expect(events.map((e) => e.detail)).toEqual([
      { messageId: 'wa1', from: 'whatsapp', to: 'sms', why: 'not-on-channel', fallbackId: sms.sent[0]!.id },
    ]);
    // Background polls after it make no second one.
    dispatcher.start();
    clock += 3_600_000;
    dispatcher.kick();
    await waitFor(async () => (await store.dueFallbacks(new Date(clock).toISOString(), 10)).length === 0 || undefined);
    expect(await fallbacksOf(store, 'wa1')).toHaveLength(1);
    expect(sms.sent).toHaveLength(1);
  });

  it('a failed receipt after acceptance: one fallback SMS, however many receipts come', async () => {
    const { store, dispatcher } = open();
    await store.createMessage(whatsappMessage('wa2', null));
    expect(await dispatcher.sendNow('wa2', 60_000)).toEqual({ kind: 'sent' });
    const failed = { gateway: 'wa-gw', vendorMessageId: 'v-wa2', status: 'failed' as const, vendorStatus: 'failed', errorCode: 'wa-131049' };
    await store.applyReceipt(failed, new Date(clock).toISOString());
    dispatcher.start();
    await fallbackSent(store, 'wa2');
    await store.applyReceipt({ ...failed, status: 'undelivered' }, new Date(clock).toISOString());
    dispatcher.kick();
    await fallbackSent(store, 'wa2');
    expect(await fallbacksOf(store, 'wa2')).toHaveLength(1);
    expect(sms.sent).toHaveLength(1);
    expect(wa.sent).toHaveLength(1);
  });

  it('no delivery receipt within the window: the SMS goes once the window passes, not before; delivered or read stops it', async () => {
    const { store, dispatcher } = open();
    await store.createMessage(whatsappMessage('silent'));
    await store.createMessage({ ...whatsappMessage('delivered'), callId: 'call-delivered', to: '+16175550001' });
    await store.createMessage({ ...whatsappMessage('read'), callId: 'call-read', to: '+16175550002' });
    dispatcher.start();
    await waitFor(async () => wa.sent.length === 3 || undefined);
    await waitFor(async () => (await store.getMessage('read'))?.status === 'sent' || undefined);
    await store.applyReceipt({ gateway: 'wa-gw', vendorMessageId: 'v-delivered', status: 'delivered', vendorStatus: 'delivered' }, new Date(clock).toISOString());
    await store.applyReceipt({ gateway: 'wa-gw', vendorMessageId: 'v-read', status: 'read', vendorStatus: 'read' }, new Date(clock).toISOString());

    clock = T0 + 119_000;
    expect(await store.dueFallbacks(new Date(clock).toISOString(), 10)).toEqual([]);
    clock = T0 + 120_000;
    dispatcher.kick();
    const fallback = await fallbackSent(store, 'silent');
    expect(fallback).toMatchObject({ to: NUMBER, channel: 'sms', gateway: 'sms-gw' });
    const why = (await store.listEvents('call-silent')).find((e) => e.type === 'channel-fallback')?.detail?.why;
    expect(why).toBe('no-delivery');
    expect(await fallbacksOf(store, 'delivered')).toEqual([]);
    expect(await fallbacksOf(store, 'read')).toEqual([]);
    expect(sms.sent.map((m) => m.to)).toEqual([NUMBER]);
  });

  it('the vendor is down through the window: the SMS goes, and the WhatsApp message is given up, never sent later', async () => {
    wa.script = () => down;
    const { store, dispatcher } = open();
    await store.createMessage(whatsappMessage('wa3'));
    expect(await dispatcher.sendNow('wa3', 60_000)).toEqual({ kind: 'pending' });
    dispatcher.start();
    // Retries while the window runs (the backoff falls due as the clock moves).
    for (const seconds of [30, 60, 100]) {
      clock = T0 + seconds * 1000;
      const before = wa.sent.length;
      dispatcher.kick();
      await waitFor(async () => wa.sent.length > before || undefined);
    }
    expect(await fallbacksOf(store, 'wa3')).toEqual([]);
    clock = T0 + 121_000;
    dispatcher.kick();
    await fallbackSent(store, 'wa3');
    expect(await store.getMessage('wa3')).toMatchObject({ status: 'failed', errorCode: 'superseded' });
    const why = (await store.listEvents('call-wa3')).find((e) => e.type === 'channel-fallback')?.detail?.why;
    expect(why).toBe('vendor-down');
    // The vendor comes back: nothing of the WhatsApp message is due, ever.
    const attempts = wa.sent.length;
    wa.script = accepted;
    expect(await store.claimDueMessages(new Date(T0 + 86_400_000).toISOString(), new Date(T0 + 86_500_000).toISOString(), 10)).toEqual([]);
    expect(wa.sent).toHaveLength(attempts);
    expect(sms.sent).toHaveLength(1);
  });

  it('a fallback that fell due while no process ran goes out once after start, with two instances starting at once', async () => {
    const first = open();
    await first.store.createMessage(whatsappMessage('wa4'));
    expect(await first.dispatcher.sendNow('wa4', 60_000)).toEqual({ kind: 'sent' });
    await first.dispatcher.stop();
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);

    // Down for ten minutes; then two instances start on the same data.
    clock = T0 + 600_000;
    const a = open();
    const b = open();
    a.dispatcher.start();
    b.dispatcher.start();
    await fallbackSent(a.store, 'wa4');
    a.dispatcher.kick();
    b.dispatcher.kick();
    await waitFor(async () => (await a.store.dueFallbacks(new Date(clock).toISOString(), 10)).length === 0 || undefined);
    expect(await fallbacksOf(a.store, 'wa4')).toHaveLength(1);
    expect(sms.sent).toHaveLength(1);
  });
});
