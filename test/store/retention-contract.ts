import type { LegalHold, NewCall, NewMessage, NumberKey, Store } from '../../src/store/port';
import { erasedNumberKey } from '../../src/retention/number-key';
import { numberForms } from '../../src/retention/number-forms';

/**
 * Retention, erasure and legal holds, run against both stores (sqlite-/postgres-
 * retention.test.ts). Opened with an erasure key, as the app opens them when ERASURE_KEY
 * is set.
 */
export type OpenKeyedStore = (numberKey: NumberKey) => Promise<Store>;

const T0 = Date.parse('2026-11-24T20:00:00.000Z');
const days = (n: number): string => new Date(T0 + n * 86_400_000).toISOString();
const KEY = erasedNumberKey('test erasure key, long enough to be a secret');
const CALLER = '+16175551234';
const OTHER = '+16175559876';

function call(id: string, at: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    id,
    campaignId: 'support',
    mode: 'goto',
    dnis: '+18005550100',
    ani: CALLER,
    platformCallId: `cvp-${id}`,
    state: 'offered',
    result: null,
    lastPage: null,
    createdAt: at,
    expiresAt: at,
    ...overrides,
  };
}

function message(id: string, callId: string, at: string, to = CALLER): NewMessage {
  return {
    id,
    callId,
    campaignId: 'support',
    to,
    caller: to,
    body: `Chat with us: https://t.example.test/s/${id}`,
    gateway: 'twilio',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: at,
  };
}

/** A call that was texted: its call, events, message (sent), consent and short link. */
async function textedCall(store: Store, id: string, at: string, number = CALLER, campaignId = 'support'): Promise<void> {
  await store.createCall(call(id, at, { ani: number, campaignId }), [{ type: 'started' }, { type: 'offered' }]);
  await store.updateCall(id, { destination: number, destinationSource: 'ani' }, [{ type: 'accepted' }], at);
  const m = { ...message(`m-${id}`, id, at, number), campaignId };
  await store.admitMessage(m, {
    limits: [],
    consent: {
      callId: id,
      campaignId,
      variant: null,
      dnis: '+18005550100',
      ani: number,
      destination: number,
      destinationSource: 'ani',
      acceptKey: '1',
      confirmKey: '1',
      offerText: 'Press 1',
      offerVersion: 'v1',
      offeredAt: at,
      acceptedAt: at,
      confirmedAt: at,
    },
    events: [],
  });
  await store.recordAttempt(m.id, { status: 'sent', via: 'twilio', vendorMessageId: `SM${id}`, vendorStatus: 'queued' }, at);
  await store.createShortLink({ code: `c${id}`, target: 'https://chat.example.test/', callId: id, campaignId, createdAt: at, expiresAt: at });
}

/** Deletes a class to the end, as the job does, in batches of `size`. */
async function pruneAll(store: Store, dataClass: Parameters<Store['pruneBatch']>[0], before: string, size = 2): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await store.pruneBatch(dataClass, before, size);
    total += n;
    if (n < size) return total;
  }
}

const hold = (kind: LegalHold['kind'], value: string): LegalHold => ({ kind, value, reason: 'litigation 2026-17', createdBy: 'admin-api', createdAt: days(0) });

export function retentionContract(name: string, open: OpenKeyedStore, close: (store: Store) => Promise<void>): void {
  describe(`${name}: retention, erasure and legal holds`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open(KEY);
    });
    afterEach(async () => {
      await close(store);
    });

    it('deletes each class older than its cutoff in batches, oldest first, and keeps the newer', async () => {
      for (const [i, at] of [days(-100), days(-90), days(-80), days(-1)].entries()) await textedCall(store, `call${i}`, at, `+1617555000${i}`);
      const cutoff = days(-30);
      expect(await pruneAll(store, 'events', cutoff)).toBe(3 * 5);
      expect(await pruneAll(store, 'messages', cutoff)).toBe(3);
      expect(await pruneAll(store, 'consent', cutoff)).toBe(3);
      expect(await pruneAll(store, 'short-links', cutoff)).toBe(3);
      expect(await pruneAll(store, 'calls', cutoff)).toBe(3);
      expect(await store.getCall('call0')).toBeUndefined();
      expect(await store.getMessage('m-call2')).toBeUndefined();
      expect(await store.getCall('call3')).toBeDefined();
      expect(await store.listEvents('call3')).toHaveLength(5);
      expect(await store.getMessage('m-call3')).toBeDefined();
      expect(await store.listConsent({ from: days(-200), to: days(1), limit: 10 })).toHaveLength(1);
      // A batch never goes past its limit.
      await textedCall(store, 'late', days(-50));
      expect(await store.pruneBatch('events', cutoff, 2)).toBe(2);
    });

    it('never deletes a text still in the outbox, nor its call', async () => {
      await store.createCall(call('queued', days(-100)), [{ type: 'started' }]);
      await store.createMessage(message('m-queued', 'queued', days(-100)));
      expect(await pruneAll(store, 'messages', days(-30))).toBe(0);
      expect(await pruneAll(store, 'calls', days(-30))).toBe(0);
      expect((await store.getMessage('m-queued'))?.status).toBe('queued');
      expect(await store.getCall('queued')).toBeDefined();
    });

    it('keeps what a legal hold covers (a number, a campaign) until the hold is lifted', async () => {
      await textedCall(store, 'held-number', days(-100), CALLER);
      await textedCall(store, 'held-campaign', days(-100), OTHER, 'claims');
      await textedCall(store, 'free', days(-100), '+16175550000');
      await store.placeLegalHold(hold('number', CALLER));
      await store.placeLegalHold(hold('campaign', 'claims'));
      expect((await store.listLegalHolds()).map((h) => `${h.kind}:${h.value}`)).toEqual(['campaign:claims', `number:${CALLER}`]);
      for (const c of ['events', 'messages', 'consent', 'short-links', 'calls'] as const) await pruneAll(store, c, days(-30));
      expect(await store.getCall('free')).toBeUndefined();
      for (const id of ['held-number', 'held-campaign']) {
        expect(await store.getCall(id)).toBeDefined();
        expect(await store.listEvents(id)).toHaveLength(5);
        expect(await store.getMessage(`m-${id}`)).toBeDefined();
      }
      expect(await store.listConsent({ from: days(-200), to: days(1), limit: 10 })).toHaveLength(2);

      expect(await store.liftLegalHold('number', CALLER)).toBe(true);
      expect(await store.liftLegalHold('number', CALLER)).toBe(false);
      expect(await pruneAll(store, 'calls', days(-30))).toBe(1);
      expect(await store.getCall('held-number')).toBeUndefined();
    });

    it('erases a number everywhere, reports what went, and keeps it opted out by its key', async () => {
      await textedCall(store, 'a', days(-3), CALLER);
      await textedCall(store, 'b', days(-2), CALLER);
      await textedCall(store, 'other', days(-2), OTHER);
      // A call whose ANI the IVR sent as national digits.
      await store.createCall(call('national', days(-1), { ani: '6175551234' }), [{ type: 'started' }]);
      await store.applyOptOutChange({ number: CALLER, change: 'stop', keyword: 'STOP', source: 'twilio', at: days(-1), receivedAt: days(-1), forgetIdsBefore: days(-400) });

      const outcome = await store.eraseNumber({ forms: numberForms(CALLER), suppressionKey: KEY(CALLER) });
      expect(outcome).toEqual({
        kind: 'erased',
        removed: { call_events: 11, short_links: 2, consent: 2, messages: 2, calls: 3, suppressions: 1, opt_out_changes: 1 },
      });
      for (const id of ['a', 'b', 'national']) expect(await store.getCall(id)).toBeUndefined();
      expect(await store.listEvents('a')).toEqual([]);
      expect(await store.listMessages({ limit: 10, number: CALLER })).toEqual([]);
      expect(await store.clickShortLink('ca', days(0))).toBeUndefined();
      // The other caller keeps everything.
      expect(await store.getCall('other')).toBeDefined();
      expect(await store.listMessages({ limit: 10 })).toHaveLength(1);
      // Still opted out, though the number itself is gone from the list...
      expect(await store.isSuppressed(CALLER)).toBe(true);
      expect(await store.isSuppressed(OTHER)).toBe(false);
      // ...and a later START still opts it back in.
      await store.applyOptOutChange({ number: CALLER, change: 'start', keyword: 'START', source: 'twilio', at: days(0), receivedAt: days(0), forgetIdsBefore: days(-400) });
      expect(await store.isSuppressed(CALLER)).toBe(false);
    });

    it('refuses erasure under a legal hold of the number or of a campaign it called, changing nothing', async () => {
      await textedCall(store, 'a', days(-3), CALLER, 'claims');
      await store.placeLegalHold(hold('campaign', 'claims'));
      const byCampaign = await store.eraseNumber({ forms: numberForms(CALLER), suppressionKey: KEY(CALLER) });
      expect(byCampaign).toEqual({ kind: 'held', hold: hold('campaign', 'claims') });
      await store.liftLegalHold('campaign', 'claims');
      await store.placeLegalHold(hold('number', CALLER));
      expect((await store.eraseNumber({ forms: numberForms(CALLER), suppressionKey: KEY(CALLER) })).kind).toBe('held');
      expect(await store.getCall('a')).toBeDefined();
      expect(await store.listEvents('a')).toHaveLength(5);
    });

    it('lets one owner hold the retention lease at a time, until it runs out', async () => {
      expect(await store.claimJobLease('retention', 'one', days(0), days(1))).toBe(true);
      expect(await store.claimJobLease('retention', 'two', days(0.5), days(1.5))).toBe(false);
      expect(await store.claimJobLease('retention', 'one', days(0.5), days(1.5))).toBe(true);
      expect(await store.claimJobLease('retention', 'two', days(1.5), days(2.5))).toBe(true);
      expect(await store.claimJobLease('retention', 'one', days(2), days(3))).toBe(false);
    });
  });
}
