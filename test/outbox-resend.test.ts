import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { OutboxSettings } from '../src/config';
import { Dispatcher, MAX_UNANSWERED_LOOKUPS, outgoingOf } from '../src/outbox/dispatcher';
import type { GatewayMetrics, ResendVerdict } from '../src/observability/port';
import type { OutgoingSms, ResendSafety, SendOutcome, SentLookup, SmsGateway } from '../src/sms/port';
import type { MessageRecord, NewMessage, Store } from '../src/store/port';
import { SqliteStore } from '../src/store/sqlite';
import { describePostgres, TestSchema } from './helpers/postgres';

/**
 * No duplicate texts after an attempt whose outcome is unknown: the vendor accepted the
 * text but its answer was lost (the request timed out, or the process died mid-request).
 * The real dispatcher and the real stores (SQLite and PostgreSQL); the gateway is a small
 * vendor that keeps what it accepted (what the recipient's phone gets) and offers, by
 * mode, a lookup by recipient, body and time (as Twilio's Messages list), deduplication
 * by our reference (idempotent), or neither (at least once).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tempDir = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-deflect-resend-')), 'data');

const SETTINGS: OutboxSettings = { attemptTimeoutMs: 200, maxAttempts: 6, retryBaseMs: 20, concurrency: 4, callerWaitMs: 100 };
/** Past any lease this file's dispatchers take: a dispatcher on this clock finds a dead one's leases run out. */
const AFTER_THE_LEASE_MS = 60_000;

/** What a vendor accepted: each entry is one text on the recipient's phone. */
interface Accepted {
  ref: string;
  to: string;
  body: string;
  vendorId: string;
  at: number;
}

class Vendor implements SmsGateway {
  readonly delivered: Accepted[] = [];
  sends = 0;
  lookups = 0;
  /** How long it takes to answer a send (after accepting it). */
  answerAfterMs = 0;
  /** Lookups that answer "could not tell" before the real answer. */
  unansweredLookups = 0;
  readonly resendSafety?: ResendSafety;
  readonly findSent?: (sms: OutgoingSms, since: string) => Promise<SentLookup>;

  constructor(
    readonly name: string,
    mode: ResendSafety | 'none',
  ) {
    if (mode !== 'none') this.resendSafety = mode;
    if (mode === 'lookup') this.findSent = (sms, since) => this.lookUp(sms, since);
  }

  /** The texts this recipient got. */
  deliveredTo(to: string): number {
    return this.delivered.filter((d) => d.to === to).length;
  }

  accept(sms: OutgoingSms): Accepted {
    const existing = this.resendSafety === 'idempotent' ? this.delivered.find((d) => d.ref === sms.id) : undefined;
    if (existing) return existing;
    const entry = { ref: sms.id, to: sms.to, body: sms.body, vendorId: `${this.name}-${this.delivered.length + 1}`, at: Date.now() };
    this.delivered.push(entry);
    return entry;
  }

  async send(sms: OutgoingSms): Promise<SendOutcome> {
    this.sends += 1;
    const entry = this.accept(sms);
    if (this.answerAfterMs) await sleep(this.answerAfterMs);
    return { outcome: 'accepted', vendorMessageId: entry.vendorId };
  }

  /** By recipient, body and time, as a vendor's message list filters: no reference needed. */
  private async lookUp(sms: OutgoingSms, since: string): Promise<SentLookup> {
    this.lookups += 1;
    if (this.unansweredLookups > 0) {
      this.unansweredLookups -= 1;
      return { kind: 'unknown', detail: 'HTTP 503 from the list endpoint' };
    }
    const match = this.delivered.find((d) => d.to === sms.to && d.body === sms.body && d.at >= Date.parse(since) - 1_000);
    return match ? { kind: 'found', vendorMessageId: match.vendorId } : { kind: 'not-found' };
  }
}

class RecordedMetrics implements GatewayMetrics {
  readonly verdicts: string[] = [];
  requestEnded(): void {}
  resendChecked(gateway: string, verdict: ResendVerdict): void {
    this.verdicts.push(`${gateway}:${verdict}`);
  }
}

let counter = 0;
function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  counter += 1;
  return {
    id: `resend-${process.pid}-${counter}`,
    callId: `call-${process.pid}-${counter}`,
    campaignId: 'support',
    to: `+1617555${String(2000 + counter).slice(-4)}`,
    body: `Chat with us: https://t.example.test/s/${counter}`,
    gateway: 'primary',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

async function settled(store: Store, id: string, timeoutMs = 10_000): Promise<MessageRecord> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = await store.getMessage(id);
    if (m && m.status !== 'queued') return m;
    if (Date.now() > until) throw new Error(`message ${id} still queued: ${JSON.stringify(m)}`);
    await sleep(10);
  }
}

function resendTests(name: string, openStore: () => Promise<Store>): void {
  describe(name, () => {
    let store: Store;
    const dispatchers: Dispatcher[] = [];
    beforeAll(async () => {
      store = await openStore();
    });
    afterEach(async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
    });

    function dispatcher(gateways: SmsGateway[], clockOffsetMs = 0, settings: Partial<OutboxSettings> = {}) {
      const metrics = new RecordedMetrics();
      const d = new Dispatcher({
        store,
        gateways: new Map(gateways.map((g) => [g.name, g])),
        settings: { ...SETTINGS, ...settings },
        log: pino({ level: 'silent' }),
        pollMs: 10,
        metrics,
        now: () => new Date(Date.now() + clockOffsetMs),
        random: () => 0.5,
      });
      dispatchers.push(d);
      return { d, metrics };
    }

    /**
     * What a SIGKILL mid-request leaves: a dispatcher claimed the message, recorded the
     * attempt in flight (as the real one does before its request), the vendor accepted
     * the text, and the process died before it read the answer.
     */
    async function diedMidRequest(message: MessageRecord, vendor: Vendor): Promise<void> {
      const now = new Date();
      const lease = new Date(now.getTime() + 7_000).toISOString();
      expect(await store.claimMessage(message.id, now.toISOString(), lease)).toBeDefined();
      expect(await store.startAttempt(message, { heldLease: lease, leaseUntil: lease, via: vendor.name, at: now.toISOString() })).toBe('started');
      vendor.accept(outgoingOf(message));
    }

    describe('a dispatcher died mid-request after the vendor accepted the text', () => {
      it('lookup: asks the vendor, finds the text, records it as sent with the vendor id, and sends nothing', async () => {
        const vendor = new Vendor('primary', 'lookup');
        const { message } = await store.createMessage(newMessage());
        await diedMidRequest(message, vendor);
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        const sent = await settled(store, message.id);
        expect(sent).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1', sentVia: 'primary', attemptStartedAt: null, attemptVia: null });
        expect({ sends: vendor.sends, lookups: vendor.lookups, delivered: vendor.deliveredTo(message.to) }).toEqual({ sends: 0, lookups: 1, delivered: 1 });
        expect(metrics.verdicts).toEqual(['primary:found']);
      });

      it('idempotent: sends again under the same reference; the vendor deduplicates, so the phone gets one text', async () => {
        const vendor = new Vendor('primary', 'idempotent');
        const { message } = await store.createMessage(newMessage());
        await diedMidRequest(message, vendor);
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1' });
        expect({ sends: vendor.sends, delivered: vendor.deliveredTo(message.to) }).toEqual({ sends: 1, delivered: 1 });
        expect(metrics.verdicts).toEqual(['primary:idempotent']);
      });

      it('neither: sends again (at least once) and counts a possible duplicate', async () => {
        const vendor = new Vendor('primary', 'none');
        const { message } = await store.createMessage(newMessage());
        await diedMidRequest(message, vendor);
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-2' });
        expect(vendor.deliveredTo(message.to)).toBe(2);
        expect(metrics.verdicts).toEqual(['primary:possible-duplicate']);
      });

      it('lookup that finds nothing (the request never reached the vendor): sends the text once', async () => {
        const vendor = new Vendor('primary', 'lookup');
        const { message } = await store.createMessage(newMessage());
        const now = new Date();
        const lease = new Date(now.getTime() + 7_000).toISOString();
        await store.claimMessage(message.id, now.toISOString(), lease);
        await store.startAttempt(message, { heldLease: lease, leaseUntil: lease, via: 'primary', at: now.toISOString() });
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1' });
        expect({ sends: vendor.sends, delivered: vendor.deliveredTo(message.to) }).toEqual({ sends: 1, delivered: 1 });
        expect(metrics.verdicts).toEqual(['primary:not-found']);
      });

      it('failover: looks the text up on the gateway the unknown attempt went to, never sending it through the fallback', async () => {
        const primary = new Vendor('primary', 'lookup');
        const backup = new Vendor('backup', 'none');
        // Two failures on the primary already: the outbox would now pick the fallback.
        const { message } = await store.createMessage(newMessage({ fallbackGateway: 'backup' }));
        for (const i of [1, 2]) {
          const at = new Date(Date.now() - 1_000 + i).toISOString();
          await store.claimMessage(message.id, new Date(Date.now() + 1_000).toISOString(), new Date(Date.now() + 2_000).toISOString());
          await store.recordAttempt(message.id, { status: 'queued', via: 'primary', nextAttemptAt: at, errorCode: 'http-503', errorDetail: 'down', countsAsAttempt: true }, at);
        }
        // The third went to the primary (chosen while the fallback's breaker was open, say), which accepted it.
        await diedMidRequest((await store.getMessage(message.id))!, primary);
        const { d, metrics } = dispatcher([primary, backup], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', sentVia: 'primary', vendorMessageId: 'primary-1' });
        expect({ primary: primary.deliveredTo(message.to), backup: backup.sends }).toEqual({ primary: 1, backup: 0 });
        expect(metrics.verdicts).toEqual(['primary:found']);
      });
    });

    describe('the answer was lost to a timeout (the vendor accepted the text, too late to say so)', () => {
      it('lookup: the next attempt finds it; the phone gets one text', async () => {
        const vendor = new Vendor('primary', 'lookup');
        vendor.answerAfterMs = 2 * SETTINGS.attemptTimeoutMs;
        const { message } = await store.createMessage(newMessage());
        const { d, metrics } = dispatcher([vendor]);
        d.start();
        const sent = await settled(store, message.id);
        expect(sent).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1', errorCode: null });
        expect({ sends: vendor.sends, delivered: vendor.deliveredTo(message.to) }).toEqual({ sends: 1, delivered: 1 });
        expect(metrics.verdicts).toEqual(['primary:found']);
      });

      it('idempotent: the resend under the same reference is deduplicated; the phone gets one text', async () => {
        const vendor = new Vendor('primary', 'idempotent');
        vendor.answerAfterMs = 2 * SETTINGS.attemptTimeoutMs;
        const { message } = await store.createMessage(newMessage());
        const { d } = dispatcher([vendor]);
        d.start();
        // Late answers until it has been sent twice: the first attempt stays unknown, the text is on the phone once.
        while (vendor.sends < 2) await sleep(10);
        expect(await store.getMessage(message.id)).toMatchObject({ status: 'queued', attemptVia: 'primary' });
        vendor.answerAfterMs = 0;
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1' });
        expect(vendor.sends).toBeGreaterThanOrEqual(2);
        expect(vendor.deliveredTo(message.to)).toBe(1);
      });

      it('a refused connection is no unknown: the text was never sent, so it is simply retried', async () => {
        let refused = true;
        const vendor = new Vendor('primary', 'lookup');
        const send = vendor.send.bind(vendor);
        vendor.send = async (sms) => {
          if (!refused) return send(sms);
          refused = false;
          return { outcome: 'retryable', code: 'network', detail: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9' };
        };
        const { message } = await store.createMessage(newMessage());
        const { d, metrics } = dispatcher([vendor]);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', attempts: 2 });
        expect({ lookups: vendor.lookups, delivered: vendor.deliveredTo(message.to) }).toEqual({ lookups: 0, delivered: 1 });
        expect(metrics.verdicts).toEqual([]);
      });
    });

    describe('a lookup that cannot tell', () => {
      it('holds the text back (no send) and asks again later, until the vendor answers', async () => {
        const vendor = new Vendor('primary', 'lookup');
        vendor.unansweredLookups = MAX_UNANSWERED_LOOKUPS - 1;
        const { message } = await store.createMessage(newMessage());
        await diedMidRequest(message, vendor);
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-1', unansweredLookups: 0 });
        expect({ sends: vendor.sends, lookups: vendor.lookups, delivered: vendor.deliveredTo(message.to) }).toEqual({
          sends: 0,
          lookups: MAX_UNANSWERED_LOOKUPS,
          delivered: 1,
        });
        expect(metrics.verdicts).toEqual([...Array(MAX_UNANSWERED_LOOKUPS - 1).fill('primary:unknown'), 'primary:found']);
      });

      it(`sends anyway after ${MAX_UNANSWERED_LOOKUPS} lookups that could not tell, counted as a possible duplicate`, async () => {
        const vendor = new Vendor('primary', 'lookup');
        vendor.unansweredLookups = 1_000;
        const { message } = await store.createMessage(newMessage());
        await diedMidRequest(message, vendor);
        const { d, metrics } = dispatcher([vendor], AFTER_THE_LEASE_MS);
        d.start();
        expect(await settled(store, message.id)).toMatchObject({ status: 'sent', vendorMessageId: 'primary-2', attemptStartedAt: null });
        expect({ sends: vendor.sends, lookups: vendor.lookups, delivered: vendor.deliveredTo(message.to) }).toEqual({
          sends: 1,
          lookups: MAX_UNANSWERED_LOOKUPS,
          delivered: 2,
        });
        expect(metrics.verdicts).toEqual([...Array(MAX_UNANSWERED_LOOKUPS).fill('primary:unknown'), 'primary:possible-duplicate']);
      });
    });
  });
}

resendTests('SQLite store', async () => SqliteStore.open(tempDir()));

describePostgres('PostgreSQL store', () => {
  const schema = new TestSchema();
  afterAll(() => schema.drop());
  resendTests('shared schema', () => schema.open());
});
