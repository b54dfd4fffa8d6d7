import type { CallResult, Page } from '../../src/vxml/model';
import type {
  ConversationOutcome,
  OptOutChange,
  AdminSession,
  AttemptRecord,
  CallEnding,
  CallEvent,
  ConsentRecord,
  EventObserver,
  MessageRecord,
  NewCall,
  NewEvent,
  NewMessage,
  SendLimit,
  Store,
} from '../../src/store/port';
import { MAX_PREVIEW_EVENTS } from '../../src/store/port';
import type { NewAuditEntry } from '../../src/store/port';
import { verifyAuditChain } from '../../src/audit/chain';

/**
 * The store contract: what every Store adapter promises, written once and run against
 * each of them (test/store/*-contract.test.ts). It goes through the port only, so the
 * SQLite default and the PostgreSQL adapter are held to the same behaviour: the same
 * records back, the same order, the same limits under concurrent writes, the same
 * events told to the observer only once they are committed.
 *
 * Where the port's comments leave a detail open, the assertions follow what the SQLite
 * store does: it is what every deployment has run on so far.
 */

/** Opens a fresh, empty store (its own folder or schema), telling `observer` of its events. */
export type OpenStore = (observer?: EventObserver) => Promise<Store>;
/** Closes a store `open` gave and removes what it made (default: store.close()). */
export type CloseStore = (store: Store) => Promise<void>;

// Fixed instants: Tuesday 24 November 2026, 20:00 UTC, and offsets from it.
const T0 = Date.parse('2026-11-24T20:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const min = (minutes: number): string => iso(T0 + minutes * 60_000);
const sec = (seconds: number): string => iso(T0 + seconds * 1_000);

const DNIS = '+18005550100';
const ANI = '+16175559876';
const NUMBER = '+16175551234';

const END_PAGE: Page = {
  kind: 'end',
  lang: 'fr-CA',
  application: '/vxml/root?call=c',
  prompt: [
    { kind: 'text', text: 'Merci! Le texto est envoyé — à bientôt ☕' },
    { kind: 'digits', digits: '1234' },
    { kind: 'audio', src: 'https://cdn.example.test/bye.wav', fallback: [{ kind: 'text', text: 'Au revoir' }] },
  ],
  result: { status: 'sent', reason: '', maskedNumber: '+*******1234' },
  ending: { kind: 'goto', url: 'https://ivr.example.test/back?x=1&y="2"' },
};
const QUESTION_PAGE: Page = {
  kind: 'question',
  lang: 'en-US',
  application: '/vxml/root?call=c',
  prompt: [{ kind: 'text', text: 'Press 1 for a chat link by text, or 2 to hold.' }],
  answer: { kind: 'keys', keys: ['1', '2'] },
  noInput: [{ kind: 'text', text: 'Sorry?' }],
  noMatch: [{ kind: 'text', text: 'Please press 1 or 2.' }],
  maxRetries: 3,
  submitUrl: '/vxml/offer?call=c',
  submitFetch: { timeout: '15s', audio: 'https://cdn.example.test/hold.wav' },
  giveUpUrls: { noInput: '/vxml/gone?why=noinput', noMatch: '/vxml/gone?why=nomatch', hangUp: '/vxml/gone?why=hangup' },
};
const SENT_RESULT: CallResult = { status: 'sent', reason: '', maskedNumber: '+*******1234' };

function newCall(id: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    id,
    campaignId: 'support',
    mode: 'goto',
    dnis: DNIS,
    ani: ANI,
    platformCallId: `cvp-${id}`,
    state: 'offered',
    result: null,
    lastPage: null,
    createdAt: min(0),
    expiresAt: min(60),
    ...overrides,
  };
}

function newMessage(id: string, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    callId: `call-${id}`,
    campaignId: 'support',
    to: NUMBER,
    caller: ANI,
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'twilio',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: min(0),
    ...overrides,
  };
}

function consentOf(message: NewMessage, overrides: Partial<Omit<ConsentRecord, 'messageId'>> = {}): Omit<ConsentRecord, 'messageId'> {
  return {
    channel: 'sms',
    channelConsentText: '',
    callId: message.callId,
    campaignId: message.campaignId,
    variant: 'skip-queue',
    dnis: DNIS,
    ani: message.caller ?? '',
    destination: message.to,
    destinationSource: 'ani',
    acceptKey: '1',
    confirmKey: '1',
    offerText: 'Skip the queue: press 1 for a chat link by text, or 2 to hold.',
    offerVersion: '0a1b2c3d4e5f',
    offeredAt: iso(Date.parse(message.createdAt) - 20_000),
    acceptedAt: iso(Date.parse(message.createdAt) - 15_000),
    confirmedAt: message.createdAt,
    ...overrides,
  };
}

const limit = (scope: SendLimit['scope'], max: number, since: string, name = '10 minutes'): SendLimit => ({ scope, max, since, name });

/** The events as the port returns them, without the ids (which only have to increase). */
const withoutIds = (events: CallEvent[]): Omit<CallEvent, 'id'>[] => events.map(({ id: _id, ...rest }) => rest);

const ids = (messages: readonly { id: string }[]): string[] => messages.map((m) => m.id);

/** A message of newMessage's number on SMS, as startAttempt is given it. */
const target = (id: string) => ({ id, to: NUMBER, channel: 'sms' as const });

export function storeContract(name: string, open: OpenStore, close: CloseStore = (store) => store.close()): void {
  describe(`${name}: the store contract`, () => {
    const opened: Store[] = [];
    let store: Store;

    /** Another fresh store in this test (one with an observer); closed after it. */
    async function fresh(observer?: EventObserver): Promise<Store> {
      const s = await open(observer);
      opened.push(s);
      return s;
    }

    beforeEach(async () => {
      store = await fresh();
    });

    afterEach(async () => {
      const closing = opened.splice(0);
      for (const s of closing) await close(s);
    });

    const sendAttempt = (id: string, at: string, via = 'twilio') =>
      store.recordAttempt(id, { status: 'sent', via, vendorMessageId: `v-${id}`, vendorStatus: 'accepted' }, at);
    const failAttempt = (id: string, at: string, via: string | null = 'twilio') =>
      store.recordAttempt(id, { status: 'failed', via, errorCode: 'twilio-21211', errorDetail: 'invalid number' }, at);
    const receipt = (id: string, status: 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read', at: string, vendorStatus = status.toUpperCase(), gateway = 'twilio') =>
      store.applyReceipt({ gateway, vendorMessageId: `v-${id}`, status, vendorStatus }, at);

    describe('calls', () => {
      it('gives back a created call as stored, with defaults for what was not given', async () => {
        await store.createCall(newCall('c1'), []);
        expect(await store.getCall('c1')).toEqual({
          id: 'c1',
          campaignId: 'support',
          mode: 'goto',
          dnis: DNIS,
          ani: ANI,
          platformCallId: 'cvp-c1',
          state: 'offered',
          destination: null,
          destinationSource: null,
          invalidNumberCount: 0,
          variant: null,
          offerText: '',
          acceptedAt: null,
          chatUrl: null,
          chatUrlExpiresAt: null,
          channel: null,
          c2mEligibility: null,
          context: null,
          result: null,
          lastPage: null,
          createdAt: min(0),
          expiresAt: min(60),
        });
      });

      it("keeps the IVR context for the agent as given, names and unicode values intact", async () => {
        const context = { intent: 'billing', account: 'AC-123', language: 'fr-CA', waited: '240', note: 'Évitez « ça » ☎' };
        await store.createCall(newCall('c1', { context }), []);
        expect((await store.getCall('c1'))?.context).toEqual(context);
        await store.createCall(newCall('c2'), []);
        expect((await store.getCall('c2'))?.context).toBeNull();
      });

      it('keeps every field given: variant, offer wording, chat URL, result and page (unicode and nesting intact)', async () => {
        const call = newCall('c1', {
          campaignId: null,
          mode: 'subdialog',
          dnis: '',
          ani: '',
          platformCallId: '',
          state: 'handed-back',
          variant: 'skip-queue',
          offerText: 'Évitez l’attente : appuyez sur 1 ☎',
          chatUrl: 'https://chat.example.test/u/abc?token=x&y=1',
          chatUrlExpiresAt: min(10),
          channel: 'whatsapp',
          c2mEligibility: { callId: 'lp-1', phone: NUMBER, availableChannels: ['sms', 'whatsapp'], recommendedChannel: 'whatsapp', checkedAt: min(0) },
          context: { intent: 'billing', account: 'AC123' },
          result: { status: 'unavailable', reason: 'unknown-dnis', maskedNumber: '' },
          lastPage: END_PAGE,
        });
        await store.createCall(call, []);
        expect(await store.getCall('c1')).toEqual({
          ...call,
          destination: null,
          destinationSource: null,
          invalidNumberCount: 0,
          acceptedAt: null,
        });
      });

      it('answers undefined for a call it does not hold', async () => {
        await store.createCall(newCall('c1'), []);
        expect(await store.getCall('c2')).toBeUndefined();
        expect(await store.getCall('')).toBeUndefined();
      });

      it('refuses a second call with the same id and keeps the first as it was, without its events', async () => {
        await store.createCall(newCall('c1'), [{ type: 'started' }]);
        await expect(store.createCall(newCall('c1', { dnis: '+18005550199', createdAt: min(5) }), [{ type: 'offered' }])).rejects.toHaveProperty('message');
        expect(await store.getCall('c1')).toMatchObject({ dnis: DNIS, createdAt: min(0) });
        expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['started']);
      });

      it('applies an update to the fields named, leaving the others', async () => {
        await store.createCall(newCall('c1', { variant: 'plain', offerText: 'Press 1', lastPage: QUESTION_PAGE }), []);
        await store.updateCall('c1', { state: 'capturing', acceptedAt: sec(12) }, [], sec(12));
        expect(await store.getCall('c1')).toMatchObject({
          state: 'capturing',
          acceptedAt: sec(12),
          variant: 'plain',
          offerText: 'Press 1',
          lastPage: QUESTION_PAGE,
          destination: null,
          createdAt: min(0),
        });

        await store.updateCall(
          'c1',
          {
            state: 'sent',
            destination: NUMBER,
            destinationSource: 'entered',
            invalidNumberCount: 2,
            chatUrl: 'https://chat.example.test/u/1',
            chatUrlExpiresAt: min(15),
            channel: 'rcs',
            result: SENT_RESULT,
            lastPage: END_PAGE,
          },
          [],
          sec(40),
        );
        expect(await store.getCall('c1')).toEqual({
          ...newCall('c1'),
          variant: 'plain',
          offerText: 'Press 1',
          state: 'sent',
          destination: NUMBER,
          destinationSource: 'entered',
          invalidNumberCount: 2,
          acceptedAt: sec(12),
          chatUrl: 'https://chat.example.test/u/1',
          chatUrlExpiresAt: min(15),
          channel: 'rcs',
          c2mEligibility: null,
          context: null,
          result: SENT_RESULT,
          lastPage: END_PAGE,
        });
      });

      it('clears fields set to null', async () => {
        await store.createCall(
          newCall('c1', { chatUrl: 'https://chat.example.test/u/1', chatUrlExpiresAt: min(5), result: SENT_RESULT, lastPage: END_PAGE }),
          [],
        );
        await store.updateCall('c1', { destination: NUMBER, destinationSource: 'ani' }, [], sec(5));
        await store.updateCall(
          'c1',
          { chatUrl: null, chatUrlExpiresAt: null, result: null, lastPage: null, destination: null, destinationSource: null },
          [],
          sec(6),
        );
        expect(await store.getCall('c1')).toMatchObject({
          chatUrl: null,
          chatUrlExpiresAt: null,
          result: null,
          lastPage: null,
          destination: null,
          destinationSource: null,
        });
      });

      it('applies an update with an expected state only while the call is in it (compare-and-set)', async () => {
        await store.createCall(newCall('c1'), [{ type: 'started' }]);
        expect(await store.updateCall('c1', { state: 'capturing' }, [{ type: 'accepted' }], sec(2), 'offered')).toBe(true);
        // A second request for the same step, after the first moved the call on: nothing is written.
        expect(await store.updateCall('c1', { state: 'handed-back' }, [{ type: 'declined' }], sec(3), 'offered')).toBe(false);
        expect(await store.getCall('c1')).toMatchObject({ state: 'capturing' });
        expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['started', 'accepted']);
        await expect(store.updateCall('nobody', { state: 'sent' }, [], sec(4), 'offered')).rejects.toHaveProperty('message');
      });

      it('lets exactly one of several concurrent updates from one state through', async () => {
        await store.createCall(newCall('c1'), [{ type: 'started' }]);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.updateCall('c1', { state: 'capturing' }, [{ type: 'accepted', detail: { n: i } }], sec(2), 'offered')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.listEvents('c1')).filter((e) => e.type === 'accepted')).toHaveLength(1);
      });

      it('refuses to update a call it does not hold, recording none of the events', async () => {
        await expect(store.updateCall('nobody', { state: 'sent' }, [{ type: 'accepted' }], sec(1))).rejects.toHaveProperty('message');
        expect(await store.getCall('nobody')).toBeUndefined();
        expect(await store.listEvents('nobody')).toEqual([]);
      });
    });

    describe('events', () => {
      it('records a new call\'s events in order, at its creation time, with its campaign', async () => {
        await store.createCall(newCall('c1'), [
          { type: 'started', detail: { platform: 'cvp', retries: 0, anonymous: false } },
          { type: 'offered', detail: { variant: 'skip-queue', weight: 50.5 } },
        ]);
        const events = await store.listEvents('c1');
        expect(withoutIds(events)).toEqual([
          { callId: 'c1', campaignId: 'support', type: 'started', detail: { platform: 'cvp', retries: 0, anonymous: false }, createdAt: min(0) },
          { callId: 'c1', campaignId: 'support', type: 'offered', detail: { variant: 'skip-queue', weight: 50.5 }, createdAt: min(0) },
        ]);
        for (const e of events) expect(typeof e.id).toBe('number');
        expect(events[1]!.id).toBeGreaterThan(events[0]!.id);
      });

      it('gives an event without detail no detail at all', async () => {
        await store.createCall(newCall('c1', { campaignId: null }), [{ type: 'started' }]);
        const [event] = await store.listEvents('c1');
        expect(event).toEqual({ id: event!.id, callId: 'c1', campaignId: null, type: 'started', createdAt: min(0) });
        expect(event && 'detail' in event).toBe(false);
      });

      it('records an update\'s events at the update\'s time, with the call\'s campaign', async () => {
        await store.createCall(newCall('c1'), [{ type: 'started' }]);
        await store.createCall(newCall('c2', { campaignId: null }), [{ type: 'started' }]);
        await store.updateCall('c1', { state: 'capturing' }, [{ type: 'accepted', detail: { key: '1' } }], sec(9));
        await store.updateCall('c2', { state: 'handed-back' }, [{ type: 'not-offered', detail: { reason: 'unknown-dnis' } }, { type: 'handed-back' }], sec(3));
        await store.updateCall('c1', { state: 'confirming' }, [], sec(20));
        expect(withoutIds(await store.listEvents('c1'))).toEqual([
          { callId: 'c1', campaignId: 'support', type: 'started', createdAt: min(0) },
          { callId: 'c1', campaignId: 'support', type: 'accepted', detail: { key: '1' }, createdAt: sec(9) },
        ]);
        expect(withoutIds(await store.listEvents('c2'))).toEqual([
          { callId: 'c2', campaignId: null, type: 'started', createdAt: min(0) },
          { callId: 'c2', campaignId: null, type: 'not-offered', detail: { reason: 'unknown-dnis' }, createdAt: sec(3) },
          { callId: 'c2', campaignId: null, type: 'handed-back', createdAt: sec(3) },
        ]);
      });

      it('lists a call\'s events in the order they were recorded, whatever their times', async () => {
        await store.createCall(newCall('c1', { createdAt: min(10) }), [{ type: 'started' }]);
        // A write stamped earlier than the one before it (clocks of two servers) still comes after it.
        await store.updateCall('c1', {}, [{ type: 'offered' }], min(9));
        await store.createMessage(newMessage('m1', { callId: 'c1', createdAt: min(11) }), [{ type: 'number-confirmed' }]);
        await store.updateCall('c1', {}, [{ type: 'handed-back' }], min(12));
        expect((await store.listEvents('c1')).map((e) => [e.type, e.createdAt])).toEqual([
          ['started', min(10)],
          ['offered', min(9)],
          ['number-confirmed', min(11)],
          ['sms-queued', min(11)],
          ['handed-back', min(12)],
        ]);
        expect(await store.listEvents('c2')).toEqual([]);
      });

      describe('searchEvents', () => {
        beforeEach(async () => {
          // Recorded in this order; note c3 is recorded after c2 but happened before it.
          await store.createCall(newCall('c1', { createdAt: min(0) }), [{ type: 'started' }, { type: 'offered' }]);
          await store.createCall(newCall('c2', { campaignId: 'sales', createdAt: min(10) }), [{ type: 'started' }, { type: 'offered' }]);
          await store.createCall(newCall('c3', { createdAt: min(5) }), [{ type: 'started' }, { type: 'not-offered', detail: { reason: 'outside-hours' } }]);
          await store.updateCall('c1', {}, [{ type: 'accepted' }], min(20));
          await store.createCall(newCall('c4', { campaignId: null, createdAt: min(30) }), [{ type: 'started' }]);
        });

        it('answers the events in [from, to) of every call, in the order recorded', async () => {
          const events = await store.searchEvents({ from: min(0), to: min(30), limit: 100 });
          expect(events.map((e) => `${e.callId} ${e.type}`)).toEqual([
            'c1 started',
            'c1 offered',
            'c2 started',
            'c2 offered',
            'c3 started',
            'c3 not-offered',
            'c1 accepted',
          ]);
          expect(events.find((e) => e.type === 'not-offered')).toMatchObject({ campaignId: 'support', detail: { reason: 'outside-hours' }, createdAt: min(5) });
          expect((await store.searchEvents({ from: min(0), to: min(31), limit: 100 })).map((e) => e.callId)).toContain('c4');
          expect((await store.searchEvents({ from: sec(1), to: min(10), limit: 100 })).map((e) => `${e.callId} ${e.type}`)).toEqual(['c3 started', 'c3 not-offered']);
          expect(await store.searchEvents({ from: min(40), to: min(50), limit: 100 })).toEqual([]);
        });

        it('narrows to one type and one campaign', async () => {
          const started = await store.searchEvents({ from: min(0), to: min(60), type: 'started', limit: 100 });
          expect(started.map((e) => e.callId)).toEqual(['c1', 'c2', 'c3', 'c4']);
          const sales = await store.searchEvents({ from: min(0), to: min(60), campaignId: 'sales', limit: 100 });
          expect(sales.map((e) => `${e.callId} ${e.type}`)).toEqual(['c2 started', 'c2 offered']);
          const offeredSupport = await store.searchEvents({ from: min(0), to: min(60), campaignId: 'support', type: 'offered', limit: 100 });
          expect(offeredSupport.map((e) => e.callId)).toEqual(['c1']);
          expect(await store.searchEvents({ from: min(0), to: min(60), campaignId: 'nobody', limit: 100 })).toEqual([]);
        });

        it('pages by id: each page starts after the last id of the one before, and every event comes exactly once', async () => {
          const all = await store.searchEvents({ from: min(0), to: min(60), limit: 100 });
          expect(all).toHaveLength(8);
          const seen: CallEvent[] = [];
          let afterId: number | undefined;
          for (let pages = 0; pages < 10; pages += 1) {
            const page = await store.searchEvents({ from: min(0), to: min(60), limit: 3, ...(afterId === undefined ? {} : { afterId }) });
            if (page.length === 0) break;
            expect(page.length).toBeLessThanOrEqual(3);
            seen.push(...page);
            afterId = page[page.length - 1]!.id;
          }
          expect(seen).toEqual(all);
          expect(await store.searchEvents({ from: min(0), to: min(60), limit: 100, afterId: all[7]!.id })).toEqual([]);
          expect(await store.searchEvents({ from: min(0), to: min(60), limit: 2, afterId: all[2]!.id, type: 'offered' })).toEqual([all[3]]);
        });
      });
    });

    describe('events out: eventsAfter and the endpoint cursors', () => {
      it('eventsAfter answers events above an id in id order, whatever their times, up to the limit', async () => {
        await store.createCall(newCall('c1', { createdAt: min(10) }), [{ type: 'started' }, { type: 'offered' }]);
        await store.createCall(newCall('c2', { createdAt: min(1) }), [{ type: 'started' }]);
        await store.updateCall('c1', {}, [{ type: 'accepted', detail: { key: '1' } }], min(11));
        const all = await store.eventsAfter(0, 100);
        expect(all.map((e) => `${e.callId} ${e.type}`)).toEqual(['c1 started', 'c1 offered', 'c2 started', 'c1 accepted']);
        expect(all[3]).toMatchObject({ campaignId: 'support', detail: { key: '1' }, createdAt: min(11) });
        expect(await store.eventsAfter(all[1]!.id, 2)).toEqual([all[2], all[3]]);
        expect(await store.eventsAfter(all[3]!.id, 10)).toEqual([]);
      });

      it('a new endpoint\'s cursor starts at the newest event: it gets the events recorded from then on', async () => {
        await store.createCall(newCall('c1'), [{ type: 'started' }, { type: 'offered' }]);
        const newest = (await store.eventsAfter(0, 10)).at(-1)!.id;
        const cursor = await store.claimEventCursor('crm', 'owner-a', min(1), min(2));
        expect(cursor).toEqual({ endpoint: 'crm', lastId: newest, failures: 0, nextAttemptAt: null, lastError: null, leaseOwner: 'owner-a', leaseUntil: min(2) });
        expect(await store.getEventCursor('bi')).toBeUndefined();
        const empty = await fresh();
        expect(await empty.claimEventCursor('crm', 'owner-a', min(1), min(2))).toMatchObject({ lastId: 0 });
      });

      it('leases a cursor to one owner at a time; an expired lease may be taken over', async () => {
        expect(await store.claimEventCursor('crm', 'a', min(0), min(1))).toBeDefined();
        expect(await store.claimEventCursor('crm', 'b', sec(30), min(2))).toBeUndefined();
        // Another endpoint has its own lease.
        expect(await store.claimEventCursor('bi', 'b', sec(30), min(2))).toMatchObject({ leaseOwner: 'b' });
        // a died: at its lease's end b takes over, and a's late outcome writes nothing.
        expect(await store.claimEventCursor('crm', 'b', min(1), min(3))).toMatchObject({ leaseOwner: 'b' });
        expect(await store.finishEventDelivery('crm', 'a', { delivered: 99 })).toBe(false);
        expect(await store.getEventCursor('crm')).toMatchObject({ lastId: 0, leaseOwner: 'b' });
      });

      it('concurrent claims of one cursor: exactly one wins', async () => {
        await store.claimEventCursor('crm', 'first', min(0), min(0));
        await store.finishEventDelivery('crm', 'first', { delivered: 0 });
        const claims = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => store.claimEventCursor('crm', owner, min(1), min(2))));
        expect(claims.filter(Boolean)).toHaveLength(1);
      });

      it('a delivery moves the cursor forward (never back), clears failures and frees the lease', async () => {
        await store.claimEventCursor('crm', 'a', min(0), min(1));
        expect(await store.finishEventDelivery('crm', 'a', { failed: 'HTTP 503', nextAttemptAt: min(5) })).toBe(true);
        expect(await store.getEventCursor('crm')).toEqual({ endpoint: 'crm', lastId: 0, failures: 1, nextAttemptAt: min(5), lastError: 'HTTP 503', leaseOwner: null, leaseUntil: null });
        // Not due before its backoff ends.
        expect(await store.claimEventCursor('crm', 'a', min(4), min(6))).toBeUndefined();
        await store.claimEventCursor('crm', 'a', min(5), min(6));
        expect(await store.finishEventDelivery('crm', 'a', { failed: 'connection refused', nextAttemptAt: min(7) })).toBe(true);
        expect(await store.getEventCursor('crm')).toMatchObject({ failures: 2, lastError: 'connection refused' });
        await store.claimEventCursor('crm', 'a', min(7), min(8));
        expect(await store.finishEventDelivery('crm', 'a', { delivered: 12 })).toBe(true);
        expect(await store.getEventCursor('crm')).toEqual({ endpoint: 'crm', lastId: 12, failures: 0, nextAttemptAt: null, lastError: null, leaseOwner: null, leaseUntil: null });
        await store.claimEventCursor('crm', 'b', min(8), min(9));
        await store.finishEventDelivery('crm', 'b', { delivered: 7 });
        expect(await store.getEventCursor('crm')).toMatchObject({ lastId: 12 });
        // A lease already given back cannot be finished again.
        expect(await store.finishEventDelivery('crm', 'b', { delivered: 20 })).toBe(false);
      });
    });

    describe('funnelSlots', () => {
      /** A call and its events, all recorded at its start unless later ones are given. */
      async function call(id: string, at: string, types: NewEvent['type'][], overrides: Partial<NewCall> = {}, later: [NewEvent, string][] = []) {
        await store.createCall(newCall(id, { createdAt: at, ...overrides }), [{ type: 'started' }, ...types.map((type) => ({ type }))]);
        for (const [event, when] of later) await store.updateCall(id, {}, [event], when);
      }
      const zero = { offered: 0, notOffered: {}, accepted: 0, declined: 0, textsSent: 0, textsDelivered: 0, textsFailed: 0, linksClicked: 0, recontacts: 0, conversationsStarted: 0, conversationsResolved: 0, linksPreviewed: 0 };
      const bySlot = (slots: Awaited<ReturnType<Store['funnelSlots']>>) =>
        [...slots].sort((a, b) => {
          // Within a slot the port promises no order: sorted here, calls without a campaign last.
          const [x, y] = [`${a.slot}|${a.campaignId ?? '~'}|${a.dnis}`, `${b.slot}|${b.campaignId ?? '~'}|${b.dnis}`];
          return x < y ? -1 : x > y ? 1 : 0;
        });
      const inSlotOrder = (slots: Awaited<ReturnType<Store['funnelSlots']>>) => {
        for (let i = 1; i < slots.length; i += 1) expect(slots[i]!.slot >= slots[i - 1]!.slot).toBe(true);
      };

      beforeEach(async () => {
        await call('a', sec(60), ['offered', 'accepted'], {}, [
          [{ type: 'sms-sent' }, sec(90)],
          [{ type: 'sms-sent' }, sec(95)],
        ]);
        // The last instant of the first slot.
        await call('b', iso(T0 + 15 * 60_000 - 1), ['offered', 'declined']);
        await call('c', min(15), ['offered', 'accepted'], {}, [
          [{ type: 'sms-queued' }, min(16)],
          [{ type: 'sms-sent' }, min(16)],
          [{ type: 'sms-delivered' }, min(17)],
          // Clicked twice, the next day: one clicked call, in the slot the call started in.
          [{ type: 'link-clicked' }, min(24 * 60)],
          [{ type: 'link-clicked' }, min(24 * 60 + 1)],
          // Previewed twice too (an app, then a scanner): one previewed call.
          [{ type: 'link-previewed', detail: { code: 'x', agent: 'preview:whatsapp' } }, min(16)],
          [{ type: 'link-previewed', detail: { code: 'x', agent: 'scanner:safelinks' } }, min(16)],
        ]);
        await call('d', min(20), [], { campaignId: null, dnis: '+18005550199' }, [[{ type: 'not-offered', detail: { reason: 'unknown-dnis' } }, min(20)]]);
        await call('e', min(22), [], {}, [[{ type: 'not-offered', detail: { reason: 'outside-hours' } }, min(22)]]);
        await call('f', min(23), [], {}, [[{ type: 'not-offered', detail: { reason: 'outside-hours' } }, min(23)]]);
        // A not-offered event without its reason still counts the call.
        await call('g', min(24), ['not-offered']);
        // Previewed, never clicked: counted apart from the clicks.
        await call('h', min(25), ['offered', 'accepted'], {}, [
          [{ type: 'sms-failed' }, min(26)],
          [{ type: 'link-previewed', detail: { code: 'y', agent: 'head' } }, min(27)],
        ]);
        await call('i', min(29), ['offered', 'handed-back'], { dnis: '+18005550111' });
        // Other hours, another campaign.
        await call('j', min(100), ['offered'], { campaignId: 'sales', dnis: '+18005550122' });
        await call('k', iso(T0 + 180 * 60_000 - 1), []);
      });

      it('counts each call once per step, in the 15-minute UTC slot it started in, by campaign and DNIS', async () => {
        const slots = await store.funnelSlots({ from: min(0), to: min(240) });
        inSlotOrder(slots);
        expect(bySlot(slots)).toEqual([
          { ...zero, slot: min(0), campaignId: 'support', dnis: DNIS, calls: 2, offered: 2, accepted: 1, declined: 1, textsSent: 1 },
          {
            slot: min(15),
            campaignId: 'support',
            dnis: DNIS,
            calls: 5,
            offered: 2,
            notOffered: { 'outside-hours': 2, unknown: 1 },
            accepted: 2,
            declined: 0,
            textsSent: 1,
            textsDelivered: 1,
            textsFailed: 1,
            linksClicked: 1,
            recontacts: 0,
            linksPreviewed: 2,
            conversationsStarted: 0,
            conversationsResolved: 0,
          },
          { ...zero, slot: min(15), campaignId: 'support', dnis: '+18005550111', calls: 1, offered: 1 },
          // No campaign (an unknown DNIS) is a row of its own.
          { ...zero, slot: min(15), campaignId: null, dnis: '+18005550199', calls: 1, notOffered: { 'unknown-dnis': 1 } },
          { ...zero, slot: min(90), campaignId: 'sales', dnis: '+18005550122', calls: 1, offered: 1 },
          { ...zero, slot: min(165), campaignId: 'support', dnis: DNIS, calls: 1 },
        ]);
      });

      it('takes the calls started in [from, to), however the range cuts hours and slots', async () => {
        // Starts mid-slot and ends mid-hour: the slot is cut from each call's own start.
        const cut = await store.funnelSlots({ from: min(23), to: min(100) });
        expect(bySlot(cut).map((s) => [s.slot, s.campaignId, s.dnis, s.calls])).toEqual([
          [min(15), 'support', DNIS, 3],
          [min(15), 'support', '+18005550111', 1],
        ]);
        expect(bySlot(await store.funnelSlots({ from: min(0), to: iso(T0 + 15 * 60_000 - 1) })).map((s) => s.calls)).toEqual([1]);
        expect(bySlot(await store.funnelSlots({ from: iso(T0 + 15 * 60_000 - 1), to: min(16) })).map((s) => [s.slot, s.calls])).toEqual([
          [min(0), 1],
          [min(15), 1],
        ]);
        // Across several whole hours and beyond: nothing split, nothing counted twice.
        const wide = await store.funnelSlots({ from: '2026-11-22T07:30:00.000Z', to: '2026-11-27T00:00:00.000Z' });
        expect(bySlot(wide)).toEqual(bySlot(await store.funnelSlots({ from: min(0), to: min(240) })));
        expect(wide.reduce((n, s) => n + s.calls, 0)).toBe(11);
        expect(await store.funnelSlots({ from: min(180), to: min(600) })).toEqual([]);
        expect(await store.funnelSlots({ from: min(30), to: min(30) })).toEqual([]);
      });

      it('narrows to one campaign', async () => {
        const sales = await store.funnelSlots({ from: min(0), to: min(240), campaignId: 'sales' });
        expect(sales).toEqual([{ ...zero, slot: min(90), campaignId: 'sales', dnis: '+18005550122', calls: 1, offered: 1 }]);
        const support = await store.funnelSlots({ from: min(0), to: min(240), campaignId: 'support' });
        inSlotOrder(support);
        expect(support.map((s) => s.campaignId)).toEqual(['support', 'support', 'support', 'support']);
        expect(support.reduce((n, s) => n + s.calls, 0)).toBe(9);
        expect(await store.funnelSlots({ from: min(0), to: min(240), campaignId: 'nobody' })).toEqual([]);
      });

      describe('calls not offered: counted, not stored', () => {
        const counted = (target: Store, id: string, at: string, reason: string, overrides: { campaignId?: string | null; dnis?: string } = {}) =>
          target.countNotOffered({ id, campaignId: 'support', dnis: DNIS, reason, createdAt: at, ...overrides }, [
            { type: 'started' },
            { type: 'not-offered', detail: { reason } },
            { type: 'handed-back', detail: { reason } },
          ]);

        it('adds them to the slot they started in, with the stored calls of the same campaign, DNIS and reason; no call is kept', async () => {
          await counted(store, 'n1', min(21), 'outside-hours');
          await counted(store, 'n2', min(28), 'outside-hours');
          await counted(store, 'n3', min(20), 'unknown-dnis', { campaignId: null, dnis: 'other' });
          await counted(store, 'n4', min(21), 'unknown-dnis', { campaignId: null, dnis: 'other' });
          await counted(store, 'n5', min(200), 'not-available');
          expect(await store.getCall('n1')).toBeUndefined();
          expect(await store.listEvents('n1')).toEqual([]);

          const slots = bySlot(await store.funnelSlots({ from: min(0), to: min(240) }));
          inSlotOrder(await store.funnelSlots({ from: min(0), to: min(240) }));
          expect(slots.find((s) => s.slot === min(15) && s.campaignId === 'support' && s.dnis === DNIS)).toMatchObject({
            calls: 7,
            offered: 2,
            notOffered: { 'outside-hours': 4, unknown: 1 },
          });
          expect(slots.filter((s) => s.campaignId === null)).toEqual([
            { ...zero, slot: min(15), campaignId: null, dnis: '+18005550199', calls: 1, notOffered: { 'unknown-dnis': 1 } },
            { ...zero, slot: min(15), campaignId: null, dnis: 'other', calls: 2, notOffered: { 'unknown-dnis': 2 } },
          ]);
          expect(slots.find((s) => s.slot === min(195))).toEqual({ ...zero, slot: min(195), campaignId: 'support', dnis: DNIS, calls: 1, notOffered: { 'not-available': 1 } });
          const support = await store.funnelSlots({ from: min(0), to: min(240), campaignId: 'support' });
          expect(support.reduce((n, s) => n + s.calls, 0)).toBe(9 + 3);
          expect(await store.funnelSlots({ from: min(240), to: min(600) })).toEqual([]);
        });

        it('adds up concurrent starts on one key, and tells the observer their events as if recorded', async () => {
          const told: Omit<CallEvent, 'id'>[] = [];
          const observed = await fresh((events) => told.push(...events));
          await Promise.all(Array.from({ length: 40 }, (_, i) => counted(observed, `x${i}`, sec(i), 'unknown-dnis', { campaignId: null, dnis: 'other' })));
          expect(await observed.funnelSlots({ from: min(0), to: min(15) })).toEqual([
            { ...zero, slot: min(0), campaignId: null, dnis: 'other', calls: 40, notOffered: { 'unknown-dnis': 40 } },
          ]);
          expect(told).toHaveLength(120);
          expect(told.filter((e) => e.callId === 'x7').map((e) => [e.type, e.campaignId, e.createdAt])).toEqual([
            ['started', null, sec(7)],
            ['not-offered', null, sec(7)],
            ['handed-back', null, sec(7)],
          ]);
        });
      });
    });

    describe('channelMessageCounts: the by-channel report\'s raw counts', () => {
      const read = (id: string, at: string) =>
        store.applyReceipt({ gateway: 'twilio', vendorMessageId: `v-${id}`, status: 'read', vendorStatus: 'read' }, at);

      /** One campaign's messages on every channel and in every state, one of another campaign, one after the range. */
      async function seed(): Promise<void> {
        await store.createMessage(newMessage('w-read', { channel: 'whatsapp', createdAt: min(1) }));
        await sendAttempt('w-read', min(1));
        await receipt('w-read', 'delivered', min(2));
        await read('w-read', min(3));
        await store.createMessage(newMessage('w-delivered', { channel: 'whatsapp', createdAt: min(4) }));
        await sendAttempt('w-delivered', min(4));
        await receipt('w-delivered', 'delivered', min(5));
        // Not on WhatsApp: refused at the send, never accepted; its fallback went out by SMS.
        await store.createMessage(newMessage('w-refused', { channel: 'whatsapp', createdAt: min(6) }));
        await failAttempt('w-refused', min(6));
        await store.createMessage(newMessage('s-fallback', { callId: 'call-fb', channel: 'sms', fallbackOf: 'w-refused', createdAt: min(7) }));
        await sendAttempt('s-fallback', min(7));
        await receipt('s-fallback', 'delivered', min(8));
        // Accepted, then a receipt said it failed.
        await store.createMessage(newMessage('r-failed', { channel: 'rcs', createdAt: min(9) }));
        await sendAttempt('r-failed', min(9));
        await receipt('r-failed', 'failed', min(10));
        await store.createMessage(newMessage('s-queued', { createdAt: min(11) }));
        await store.createMessage(newMessage('s-sales', { campaignId: 'sales', createdAt: min(12) }));
        await sendAttempt('s-sales', min(12));
        await store.createMessage(newMessage('s-later', { createdAt: min(60) }));
      }

      it('groups the range\'s messages by campaign, channel, fallback origin, status and acceptance, in one order', async () => {
        await seed();
        expect(await store.channelMessageCounts({ from: min(0), to: min(60) })).toEqual([
          { campaignId: 'sales', channel: 'sms', fallbackFrom: null, status: 'sent', accepted: true, messages: 1 },
          { campaignId: 'support', channel: 'rcs', fallbackFrom: null, status: 'failed', accepted: true, messages: 1 },
          { campaignId: 'support', channel: 'sms', fallbackFrom: null, status: 'queued', accepted: false, messages: 1 },
          { campaignId: 'support', channel: 'sms', fallbackFrom: 'whatsapp', status: 'delivered', accepted: true, messages: 1 },
          { campaignId: 'support', channel: 'whatsapp', fallbackFrom: null, status: 'delivered', accepted: true, messages: 1 },
          { campaignId: 'support', channel: 'whatsapp', fallbackFrom: null, status: 'failed', accepted: false, messages: 1 },
          { campaignId: 'support', channel: 'whatsapp', fallbackFrom: null, status: 'read', accepted: true, messages: 1 },
        ]);
      });

      it('moves a delivered message to read on a read receipt, recorded as message-read (not a failure)', async () => {
        await seed();
        expect((await store.getMessage('w-read'))?.status).toBe('read');
        const types = (await store.listEvents('call-w-read')).map((e) => e.type);
        expect(types).toEqual(['sms-queued', 'sms-sent', 'sms-delivered', 'message-read']);
        // A WhatsApp message's events name the channel (the metrics label by it); an SMS message's read as before.
        expect((await store.listEvents('call-w-read')).slice(1).map((e) => e.detail?.channel)).toEqual(['whatsapp', 'whatsapp', 'whatsapp']);
        expect((await store.listEvents('call-s-sales')).map((e) => e.detail)).toEqual([{ messageId: 's-sales' }, { messageId: 's-sales', via: 'twilio' }]);
        // A late delivered receipt cannot move it back.
        expect((await receipt('w-read', 'delivered', min(4)))?.changed).toBe(false);
      });

      it('adds up messages alike, narrows to one campaign and cuts the range at its ends (to excluded)', async () => {
        await seed();
        await store.createMessage(newMessage('w-read-2', { channel: 'whatsapp', createdAt: min(20) }));
        await sendAttempt('w-read-2', min(20));
        await read('w-read-2', min(21));
        const support = await store.channelMessageCounts({ from: min(1), to: min(60), campaignId: 'support' });
        expect(support.map((c) => c.campaignId)).not.toContain('sales');
        expect(support.find((c) => c.channel === 'whatsapp' && c.status === 'read')?.messages).toBe(2);
        // From min(4): the first read one is before the range; to min(60) excludes s-later.
        const cut = await store.channelMessageCounts({ from: min(4), to: min(60), campaignId: 'support' });
        expect(cut.find((c) => c.channel === 'whatsapp' && c.status === 'read')?.messages).toBe(1);
        expect(cut.reduce((n, c) => n + c.messages, 0)).toBe(6);
        // A range of many days (SQLite counts it a day at a time) gives the same groups.
        expect(await store.channelMessageCounts({ from: '2026-11-01T00:00:00.000Z', to: min(60), campaignId: 'support' })).toEqual(support);
        expect(await store.channelMessageCounts({ from: min(0), to: min(60), campaignId: 'nobody' })).toEqual([]);
        expect(await store.channelMessageCounts({ from: min(61), to: min(600) })).toEqual([]);
      });
    });

    describe('variantCounts: the A/B report\'s raw counts', () => {
      async function call(id: string, at: string, variant: string | null, types: NewEvent['type'][], overrides: Partial<NewCall> = {}) {
        await store.createCall(newCall(id, { createdAt: at, variant, ...overrides }), [{ type: 'started' }, ...types.map((type) => ({ type }))]);
      }
      const counts = (over: Partial<Record<'calls' | 'offered' | 'accepted' | 'declined' | 'textsSent' | 'textsDelivered' | 'textsFailed' | 'linksClicked', number>>) => ({
        calls: 0, offered: 0, notOffered: {}, accepted: 0, declined: 0, textsSent: 0, textsDelivered: 0, textsFailed: 0, linksClicked: 0, ...over,
      });

      beforeEach(async () => {
        await call('a1', min(1), 'a', ['offered', 'accepted', 'sms-sent', 'sms-delivered', 'link-clicked', 'link-clicked']);
        await call('a2', min(2), 'a', ['offered', 'declined']);
        await call('b1', min(3), 'b', ['offered', 'accepted', 'sms-sent', 'sms-sent']);
        // Two hours later: SQLite counts an hour at a time; the groups add up across hours.
        await call('b2', min(125), 'b', ['offered', 'accepted', 'sms-failed']);
        await call('plain', min(4), null, ['offered']);
        await call('sales', min(5), 'a', ['offered', 'accepted'], { campaignId: 'sales' });
        // No campaign (unknown DNIS): never in an A/B report.
        await call('stray', min(6), null, [], { campaignId: null });
        await call('later', min(300), 'a', ['offered']);
      });

      it('counts each call once per step, by campaign and variant (no variant first), in one order', async () => {
        expect(await store.variantCounts({ from: min(0), to: min(240) })).toEqual([
          { campaignId: 'sales', variant: 'a', ...counts({ calls: 1, offered: 1, accepted: 1 }) },
          { campaignId: 'support', variant: null, ...counts({ calls: 1, offered: 1 }) },
          { campaignId: 'support', variant: 'a', ...counts({ calls: 2, offered: 2, accepted: 1, declined: 1, textsSent: 1, textsDelivered: 1, linksClicked: 1 }) },
          { campaignId: 'support', variant: 'b', ...counts({ calls: 2, offered: 2, accepted: 2, textsSent: 1, textsFailed: 1 }) },
        ]);
      });

      it('narrows to one campaign and cuts the range at its ends (to excluded)', async () => {
        const sales = await store.variantCounts({ from: min(0), to: min(240), campaignId: 'sales' });
        expect(sales.map((c) => [c.campaignId, c.variant, c.calls])).toEqual([['sales', 'a', 1]]);
        const cut = await store.variantCounts({ from: min(2), to: min(125), campaignId: 'support' });
        expect(cut.map((c) => [c.variant, c.calls])).toEqual([[null, 1], ['a', 1], ['b', 1]]);
        expect(await store.variantCounts({ from: min(400), to: min(600) })).toEqual([]);
      });
    });

    describe('recontacts: lastTextFor and textRecontacts', () => {
      const DAY = 86_400_000;
      const day = (n: number): string => iso(T0 + n * DAY);

      /** A call from `caller` texted at `at` to `to`; accepted by the vendor unless `accepted` is false. */
      async function texted(id: string, at: string, caller: string, to: string, accepted = true, campaignId = 'support'): Promise<void> {
        await store.createCall(newCall(`call-${id}`, { campaignId, ani: caller, createdAt: at }), [{ type: 'started' }]);
        await store.createMessage(newMessage(id, { campaignId, caller, to, createdAt: at }));
        if (accepted) await sendAttempt(id, at);
      }

      it('finds the latest accepted text from or to a number before a time, saying which matched', async () => {
        await texted('m1', day(0), ANI, NUMBER);
        // By ani: the earlier call came from it; by number: it was texted.
        expect(await store.lastTextFor(ANI, day(-90), day(3))).toEqual({ callId: 'call-m1', campaignId: 'support', textedAt: day(0), matchedBy: 'ani' });
        expect(await store.lastTextFor(NUMBER, day(-90), day(3))).toEqual({ callId: 'call-m1', campaignId: 'support', textedAt: day(0), matchedBy: 'number' });
        // A text to the number it came from: ani wins.
        await texted('m2', day(1), '+16175550001', '+16175550001', true, 'sales');
        expect((await store.lastTextFor('+16175550001', day(-90), day(3)))?.matchedBy).toBe('ani');
        // The latest of several, from either side.
        await texted('m3', day(2), '+16175550002', ANI);
        expect(await store.lastTextFor(ANI, day(-90), day(3))).toEqual({ callId: 'call-m3', campaignId: 'support', textedAt: day(2), matchedBy: 'number' });
      });

      it('ignores texts outside [since, before), texts no vendor accepted, other numbers and the withheld caller', async () => {
        await texted('m1', day(0), ANI, NUMBER);
        await texted('m2', day(5), ANI, NUMBER, false);
        await texted('w1', day(1), '', NUMBER);
        expect(await store.lastTextFor(ANI, day(1), day(9))).toBeUndefined();
        expect(await store.lastTextFor(ANI, day(-9), day(0))).toBeUndefined();
        expect((await store.lastTextFor(ANI, day(0), iso(T0 + 1)))?.callId).toBe('call-m1');
        expect(await store.lastTextFor('+16175550999', day(-9), day(9))).toBeUndefined();
        // Withheld callers share '' in the store: '' must never match one of them.
        expect(await store.lastTextFor('', day(-9), day(9))).toBeUndefined();
      });

      it('answers lookups asked at the same time each with its own match (PostgreSQL gathers them)', async () => {
        await texted('m1', day(0), ANI, NUMBER);
        await texted('m2', day(2), '+16175550002', ANI);
        const answers = await Promise.all([
          store.lastTextFor(ANI, day(-90), day(3)),
          store.lastTextFor(NUMBER, day(-90), day(3)),
          store.lastTextFor(ANI, day(-90), day(1)),
          store.lastTextFor('+16175550999', day(-90), day(3)),
          store.lastTextFor(ANI, day(5), day(9)),
          store.lastTextFor('+16175550002', day(-90), day(3)),
        ]);
        expect(answers).toEqual([
          { callId: 'call-m2', campaignId: 'support', textedAt: day(2), matchedBy: 'number' },
          { callId: 'call-m1', campaignId: 'support', textedAt: day(0), matchedBy: 'number' },
          { callId: 'call-m1', campaignId: 'support', textedAt: day(0), matchedBy: 'ani' },
          undefined,
          undefined,
          { callId: 'call-m2', campaignId: 'support', textedAt: day(2), matchedBy: 'ani' },
        ]);
      });

      it('counts texted calls by campaign and day with the whole days to their first recontact', async () => {
        await texted('m1', day(0), ANI, NUMBER);
        await texted('m2', iso(T0 + 60_000), '+16175550002', '+16175550002');
        await texted('m3', day(1), '+16175550003', '+16175550003', true, 'sales');
        await texted('q1', day(1), '+16175550004', '+16175550004', false);
        // call-m1's caller called back 2.5 days later, and again later: the first counts.
        const recontact = (callId: string, at: string, earlierCallId: string) =>
          store.createCall(newCall(callId, { createdAt: at }), [{ type: 'started' }, { type: 'recontact', detail: { earlierCallId, earlierCampaign: 'support', daysSince: 1, matchedBy: 'ani' } }]);
        await recontact('back-1', iso(T0 + 2.5 * DAY), 'call-m1');
        await recontact('back-2', day(4), 'call-m1');
        // call-m3 exactly 3 days later: 3 whole days.
        await recontact('back-3', day(4), 'call-m3');
        expect(await store.textRecontacts({ from: day(0), to: day(2) })).toEqual([
          { campaignId: 'sales', day: day(1).slice(0, 10), daysToRecontact: 3, texts: 1 },
          { campaignId: 'support', day: day(0).slice(0, 10), daysToRecontact: 3, texts: 1 },
          { campaignId: 'support', day: day(0).slice(0, 10), daysToRecontact: null, texts: 1 },
        ]);
        expect(await store.textRecontacts({ from: day(0), to: day(2), campaignId: 'sales' })).toEqual([
          { campaignId: 'sales', day: day(1).slice(0, 10), daysToRecontact: 3, texts: 1 },
        ]);
        expect(await store.textRecontacts({ from: day(1), to: day(2), campaignId: 'support' })).toEqual([]);
      });

      it('counts a recontact in the funnel of the call that made it', async () => {
        await store.createCall(newCall('back', { createdAt: min(1) }), [
          { type: 'started' },
          { type: 'recontact', detail: { earlierCallId: 'x', earlierCampaign: 'support', daysSince: 2, matchedBy: 'number' } },
          { type: 'offered' },
        ]);
        await store.createCall(newCall('fresh', { createdAt: min(2) }), [{ type: 'started' }, { type: 'offered' }]);
        const [slot] = await store.funnelSlots({ from: min(0), to: min(15) });
        expect(slot).toMatchObject({ calls: 2, offered: 2, recontacts: 1 });
      });
    });

    describe('messages', () => {
      it('keeps an RCS message\'s request for the vendor\'s own SMS failover, and its channel, as given', async () => {
        await store.createMessage({ ...newMessage('m-rcs', { callId: 'c1' }), channel: 'rcs', smsFallbackByVendor: true });
        await store.createMessage({ ...newMessage('m-plain', { callId: 'c2' }), channel: 'rcs' });
        expect(await store.getMessage('m-rcs')).toMatchObject({ channel: 'rcs', smsFallbackByVendor: true });
        expect(await store.getMessage('m-plain')).toMatchObject({ channel: 'rcs', smsFallbackByVendor: false });
      });

      it('stores a new message as queued, due at once, and records the call\'s events then sms-queued', async () => {
        const draft = newMessage('m1', { callId: 'c1', fallbackGateway: 'vonage', createdAt: sec(30) });
        const { created, message } = await store.createMessage(draft, [{ type: 'number-confirmed', detail: { source: 'ani' } }]);
        expect(created).toBe(true);
        const expected: MessageRecord = {
          id: 'm1',
          callId: 'c1',
          campaignId: 'support',
          to: NUMBER,
          caller: ANI,
          body: draft.body,
          channel: 'sms',
          template: null,
          c2m: null,
          fallback: null,
          fallbackOf: null,
          fellBackAt: null,
          smsFallbackByVendor: false,
          status: 'queued',
          gateway: 'twilio',
          fallbackGateway: 'vonage',
          sentVia: null,
          vendorMessageId: null,
          vendorStatus: null,
          errorCode: null,
          errorDetail: null,
          segments: 1,
          encoding: 'GSM-7',
          attempts: 0,
          nextAttemptAt: sec(30),
          leaseUntil: null,
          attemptStartedAt: null,
          attemptVia: null,
          unansweredLookups: 0,
          createdAt: sec(30),
          updatedAt: sec(30),
        };
        expect(message).toEqual(expected);
        expect(await store.getMessage('m1')).toEqual(expected);
        expect(withoutIds(await store.listEvents('c1'))).toEqual([
          { callId: 'c1', campaignId: 'support', type: 'number-confirmed', detail: { source: 'ani' }, createdAt: sec(30) },
          { callId: 'c1', campaignId: 'support', type: 'sms-queued', detail: { messageId: 'm1' }, createdAt: sec(30) },
        ]);
      });

      it('keeps a UCS-2 body and its segment count, and takes a withheld caller as \'\'', async () => {
        const { caller: _caller, ...withheld } = newMessage('m1', {
          body: 'Discutez avec nous « maintenant » 😀 : https://t.example.test/s/abcdefgh',
          segments: 2,
          encoding: 'UCS-2',
        });
        const { message } = await store.createMessage(withheld);
        expect(message).toMatchObject({ caller: '', body: withheld.body, segments: 2, encoding: 'UCS-2' });
        expect(await store.getMessage('m1')).toEqual(message);
        expect(await store.getMessage('m2')).toBeUndefined();
      });

      it('stores one message per call and number: a repeated submit gets the stored one back and records nothing', async () => {
        const first = await store.createMessage(newMessage('m1', { callId: 'c1' }));
        expect(await store.createMessage(newMessage('m1', { callId: 'c1' }))).toEqual({ created: false, message: first.message });
        const again = await store.createMessage(newMessage('m2', { callId: 'c1', body: 'another body', createdAt: min(1) }), [{ type: 'number-confirmed' }]);
        expect(again.created).toBe(false);
        expect(again.message).toEqual(await store.getMessage('m1'));
        expect(await store.getMessage('m2')).toBeUndefined();
        expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued']);

        // Another number for the same call is another message.
        const other = await store.createMessage(newMessage('m3', { callId: 'c1', to: '+16175550000' }));
        expect(other.created).toBe(true);
        expect(ids(await store.listMessages({ limit: 10, callId: 'c1' })).sort()).toEqual(['m1', 'm3']);
      });

      it('creates one message when the same submit arrives many times at once', async () => {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.createMessage(newMessage(`m${i}`, { callId: 'c1' }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)!.message;
        for (const r of results) expect(r.message).toEqual(winner);
        expect(await store.listMessages({ limit: 100 })).toEqual([winner]);
        expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued']);
      });

      it('refuses a message id it already holds for another call, changing nothing', async () => {
        await store.createMessage(newMessage('m1', { callId: 'c1' }));
        await expect(store.createMessage(newMessage('m1', { callId: 'c2', to: '+16175550000' }))).rejects.toHaveProperty('message');
        expect(await store.getMessage('m1')).toMatchObject({ callId: 'c1', to: NUMBER });
        expect(await store.listEvents('c2')).toEqual([]);
      });

      describe('admitMessage', () => {
        it('stores the message, its consent record and the events together', async () => {
          const draft = newMessage('m1', { callId: 'c1', createdAt: min(1) });
          const consent = consentOf(draft, { variant: null, acceptedAt: null, destinationSource: 'entered' });
          const admission = await store.admitMessage(draft, {
            limits: [limit('destination', 1, min(-10)), limit('caller', 3, min(-1440), 'day'), limit('campaign', 5000, min(-60), 'day')],
            consent,
            events: [{ type: 'number-confirmed' }],
          });
          expect(admission).toEqual({ kind: 'created', message: await store.getMessage('m1') });
          expect(admission.kind === 'created' && admission.message).toMatchObject({ id: 'm1', status: 'queued', createdAt: min(1) });
          expect(await store.listConsent({ from: min(0), to: min(2), limit: 10 })).toEqual([{ ...consent, messageId: 'm1' }]);
          expect((await store.listEvents('c1')).map((e) => [e.type, e.detail, e.createdAt])).toEqual([
            ['number-confirmed', undefined, min(1)],
            ['sms-queued', { messageId: 'm1' }, min(1)],
          ]);
        });

        it('claims the call with the message: moved from claim.from to sending in the same write', async () => {
          await store.createCall(newCall('c1', { state: 'confirming' }), []);
          const draft = newMessage('m1', { callId: 'c1', createdAt: min(1) });
          const admission = await store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [], claim: { from: 'confirming' } });
          expect(admission.kind).toBe('created');
          expect(await store.getCall('c1')).toMatchObject({ state: 'sending' });
        });

        it('stores the message already leased when asked (leaseUntil): taken, as claimMessage would leave it, until the lease runs out', async () => {
          const draft = newMessage('m1', { callId: 'c1', createdAt: min(1), leaseUntil: min(2) });
          const admission = await store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [] });
          expect(admission.kind === 'created' && admission.message).toMatchObject({ id: 'm1', status: 'queued', leaseUntil: min(2) });
          expect(await store.getMessage('m1')).toMatchObject({ leaseUntil: min(2) });
          expect(await store.claimMessage('m1', min(1), min(3))).toBeUndefined();
          expect(await store.claimDueMessages(min(1), min(3), 10)).toEqual([]);
          expect(ids(await store.claimDueMessages(min(2), min(3), 10))).toEqual(['m1']);
          // Without leaseUntil, not leased.
          const plain = newMessage('m2', { callId: 'c2', createdAt: min(1) });
          expect(await store.admitMessage(plain, { limits: [], consent: consentOf(plain), events: [] })).toMatchObject({ message: { leaseUntil: null } });
          expect((await store.createMessage(newMessage('m3', { callId: 'c3', leaseUntil: min(2) }))).message).toMatchObject({ leaseUntil: min(2) });
        });

        it('stores nothing when the call has left claim.from (a concurrent step moved it): moved', async () => {
          await store.createCall(newCall('c1', { state: 'capturing' }), []);
          const draft = newMessage('m1', { callId: 'c1', createdAt: min(1) });
          const admission = await store.admitMessage(draft, {
            limits: [],
            consent: consentOf(draft),
            events: [{ type: 'number-confirmed' }],
            claim: { from: 'confirming' },
          });
          expect(admission).toEqual({ kind: 'moved' });
          expect(await store.getCall('c1')).toMatchObject({ state: 'capturing' });
          expect(await store.listMessages({ limit: 10 })).toEqual([]);
          expect(await store.listConsent({ from: min(-10), to: min(10), limit: 10 })).toEqual([]);
          expect(await store.listEvents('c1')).toEqual([]);
        });

        it('of a claiming admission and a step racing it from the same state, exactly one applies', async () => {
          for (let round = 0; round < 10; round++) {
            const id = `race-${round}`;
            await store.createCall(newCall(id, { state: 'confirming' }), []);
            const draft = newMessage(`m-${round}`, { callId: id, createdAt: min(1) });
            const [admission, changed] = await Promise.all([
              store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [], claim: { from: 'confirming' } }),
              store.updateCall(id, { state: 'capturing', destination: null }, [], min(1), 'confirming'),
            ]);
            expect([admission.kind === 'created', changed].filter(Boolean)).toHaveLength(1);
            expect((await store.getCall(id))?.state).toBe(changed ? 'capturing' : 'sending');
            expect(await store.listMessages({ callId: id, limit: 10 })).toHaveLength(changed ? 0 : 1);
          }
        });

        it('gives back the call\'s stored message for the same number, whatever the limits say, storing nothing more', async () => {
          const first = newMessage('m1', { callId: 'c1' });
          await store.admitMessage(first, { limits: [], consent: consentOf(first), events: [] });
          const second = newMessage('m2', { callId: 'c1', createdAt: min(1) });
          const again = await store.admitMessage(second, {
            limits: [limit('destination', 0, min(-10))],
            consent: consentOf(second),
            events: [{ type: 'number-confirmed' }],
          });
          expect(again).toEqual({ kind: 'existing', message: await store.getMessage('m1') });
          expect(await store.getMessage('m2')).toBeUndefined();
          expect(ids(await store.listMessages({ limit: 10 }))).toEqual(['m1']);
          expect((await store.listConsent({ from: min(-10), to: min(10), limit: 10 })).map((c) => c.messageId)).toEqual(['m1']);
          expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued']);
        });

        /** Admits a text from support to NUMBER for caller ANI, at min(0), under one limit. */
        const admitUnder = (id: string, l: SendLimit, overrides: Partial<NewMessage> = {}) => {
          const draft = newMessage(id, overrides);
          return store.admitMessage(draft, { limits: [l], consent: consentOf(draft), events: [{ type: 'number-confirmed' }] });
        };

        it('refuses a destination over its limit, counting texts to it from any campaign and caller, and stores nothing', async () => {
          await store.createMessage(newMessage('x1', { campaignId: 'sales', caller: '+16175550001', createdAt: min(-5) }));
          const perTen = limit('destination', 1, min(-10));
          expect(await admitUnder('m1', perTen)).toEqual({ kind: 'limited', limit: perTen });
          expect(await store.getMessage('m1')).toBeUndefined();
          expect(await store.listConsent({ from: min(-60), to: min(60), limit: 10 })).toEqual([]);
          expect(await store.listEvents('call-m1')).toEqual([]);
          // Another number is not limited by it; nor is this one with room for two.
          expect((await admitUnder('m2', perTen, { to: '+16175550000' })).kind).toBe('created');
          expect((await admitUnder('m3', limit('destination', 2, min(-10)))).kind).toBe('created');
          expect((await admitUnder('m4', limit('destination', 2, min(-10)), { callId: 'call-m4b' })).kind).toBe('limited');
        });

        it('counts texts created at or after the limit\'s start only', async () => {
          await store.createMessage(newMessage('x1', { callId: 'other', createdAt: min(-10) }));
          expect((await admitUnder('m1', limit('destination', 1, min(-10)))).kind).toBe('limited');
          expect((await admitUnder('m1', limit('destination', 1, iso(T0 - 10 * 60_000 + 1)))).kind).toBe('created');
        });

        it('does not count failed texts; sent, delivered and undelivered ones count', async () => {
          await store.createMessage(newMessage('x1', { callId: 'other', createdAt: min(-5) }));
          await failAttempt('x1', min(-4));
          expect((await admitUnder('m1', limit('destination', 1, min(-10)))).kind).toBe('created');
          await sendAttempt('m1', min(1));
          await receipt('m1', 'undelivered', min(2));
          expect((await admitUnder('m2', limit('destination', 1, min(-10)))).kind).toBe('limited');
          expect(await store.countMessages({ campaignId: 'support', since: min(-10) })).toBe(1);
        });

        it('refuses a caller over its limit, whatever number the texts went to', async () => {
          await store.createMessage(newMessage('x1', { to: '+16175550000', campaignId: 'sales', createdAt: min(-5) }));
          const perCaller = limit('caller', 1, min(-1440), 'day');
          expect(await admitUnder('m1', perCaller)).toEqual({ kind: 'limited', limit: perCaller });
          expect((await admitUnder('m2', perCaller, { caller: '+16175550002' })).kind).toBe('created');
        });

        it('counts every withheld caller of a campaign as one caller (the withheld bucket), other campaigns apart', async () => {
          // The attack: each call withholds its number, so there was no caller to count by.
          const perCaller = limit('caller', 2, min(-1440), 'day');
          expect((await admitUnder('m1', perCaller, { caller: '', to: '+16175550001' })).kind).toBe('created');
          const { caller: _caller, ...noCaller } = newMessage('m2', { to: '+16175550002' });
          expect((await store.admitMessage(noCaller, { limits: [perCaller], consent: consentOf(noCaller), events: [] })).kind).toBe('created');
          expect(await admitUnder('m3', perCaller, { caller: '', to: '+16175550003' })).toEqual({ kind: 'limited', limit: perCaller });
          // Another campaign's withheld callers have their own bucket; a known caller is not in it.
          expect((await admitUnder('m4', perCaller, { caller: '', to: '+16175550004', campaignId: 'sales' })).kind).toBe('created');
          expect((await admitUnder('m5', perCaller, { caller: '+16175550009', to: '+16175550005' })).kind).toBe('created');
          expect(await store.getMessage('m3')).toBeUndefined();
        });

        it('counts every text of the service under a service budget, whatever campaign, caller and number', async () => {
          await store.createMessage(newMessage('x1', { to: '+16175550000', caller: '+16175550001', campaignId: 'sales', createdAt: min(-5) }));
          await store.createMessage(newMessage('x2', { to: '+442071838750', caller: '', campaignId: 'other', createdAt: min(-70) }));
          const budget = limit('service', 2, min(-60), 'service hourly budget');
          expect((await admitUnder('m1', budget, { to: '+16175550002', caller: '+16175550003' })).kind).toBe('created');
          expect(await admitUnder('m2', budget, { to: '+16175550004', caller: '+16175550005', campaignId: 'third' })).toEqual({ kind: 'limited', limit: budget });
        });

        it('counts texts to numbers sharing a prefix, from any campaign, and a campaign\'s texts to a calling code', async () => {
          await store.createMessage(newMessage('x1', { to: '+16175550100', campaignId: 'sales', createdAt: min(-5) }));
          const prefix = (max: number, numberPrefix = '+1617555'): SendLimit => ({ ...limit('prefix', max, min(-10)), numberPrefix });
          expect(await admitUnder('m1', prefix(1), { to: '+16175550200' })).toEqual({ kind: 'limited', limit: prefix(1) });
          expect((await admitUnder('m2', prefix(2), { to: '+16175550200' })).kind).toBe('created');
          // Other digits at the same place are another prefix.
          expect((await admitUnder('m3', prefix(1, '+1617556'), { to: '+16175560200' })).kind).toBe('created');

          await store.createMessage(newMessage('x2', { to: '+447700900001', campaignId: 'support', createdAt: min(-5) }));
          await store.createMessage(newMessage('x3', { to: '+447700900002', campaignId: 'sales', createdAt: min(-5) }));
          const uk = (max: number): SendLimit => ({ ...limit('country', max, min(-10)), numberPrefix: '+44' });
          expect(await admitUnder('m4', uk(1), { to: '+447700900003' })).toEqual({ kind: 'limited', limit: uk(1) });
          expect((await admitUnder('m5', uk(2), { to: '+447700900003' })).kind).toBe('created');
          expect((await admitUnder('m6', uk(1), { to: '+447700900004', campaignId: 'third' })).kind).toBe('created');
        });

        it('counts a range from its first number to its last: the numbers next to it on either side are not in it', async () => {
          // The range is read as an interval of the "to" column ("+1617555" up to "+1617556"): its edges.
          await store.createMessage(newMessage('x1', { to: '+16175549999', createdAt: min(-5) }));
          await store.createMessage(newMessage('x2', { to: '+16175560000', createdAt: min(-5) }));
          await store.createMessage(newMessage('x3', { to: '+1617556', createdAt: min(-5) }));
          const range = (max: number): SendLimit => ({ ...limit('prefix', max, min(-10)), numberPrefix: '+1617555' });
          expect((await admitUnder('m1', range(1), { to: '+16175550000' })).kind).toBe('created');
          await store.createMessage(newMessage('x4', { to: '+16175559999', createdAt: min(-5) }));
          expect(await admitUnder('m2', range(2), { to: '+16175551234' })).toEqual({ kind: 'limited', limit: range(2) });
          expect((await admitUnder('m3', range(3), { to: '+16175551234' })).kind).toBe('created');
        });

        it('stops counting at the limit and still refuses: a budget far below what its window holds', async () => {
          for (let i = 0; i < 30; i += 1) {
            await store.createMessage(newMessage(`x${i}`, { to: `+1617555${String(1000 + i)}`, caller: `+1617666${String(1000 + i)}`, createdAt: min(-5) }));
          }
          const budget = limit('service', 3, min(-60), 'service hourly budget');
          expect(await admitUnder('m1', budget, { to: '+16175559000', caller: '+16176669000' })).toEqual({ kind: 'limited', limit: budget });
          const roomy = limit('service', 31, min(-60), 'service hourly budget');
          expect((await admitUnder('m2', roomy, { to: '+16175559000', caller: '+16176669000' })).kind).toBe('created');
          expect(await admitUnder('m3', roomy, { to: '+16175559001', caller: '+16176669001' })).toEqual({ kind: 'limited', limit: roomy });
        });

        it('refuses a prefix or country limit without a prefix of digits rather than counting everything', async () => {
          await expect(admitUnder('m1', { ...limit('prefix', 5, min(-10)), numberPrefix: "+1' OR 1=1" })).rejects.toThrow(/numberPrefix/);
          await expect(admitUnder('m2', limit('country', 5, min(-10)))).rejects.toThrow(/numberPrefix/);
          expect(await store.listMessages({ limit: 10 })).toEqual([]);
        });

        it('refuses a campaign over its limit, other campaigns not', async () => {
          await store.createMessage(newMessage('x1', { to: '+16175550000', caller: '+16175550001', createdAt: min(-5) }));
          const cap = limit('campaign', 1, min(-300), 'day');
          expect(await admitUnder('m1', cap)).toEqual({ kind: 'limited', limit: cap });
          expect((await admitUnder('m2', cap, { campaignId: 'sales' })).kind).toBe('created');
          expect((await admitUnder('m3', limit('campaign', 2, min(-300)))).kind).toBe('created');
        });

        it('answers the first limit that refuses, in the order given; a limit of none refuses the first text', async () => {
          await store.createMessage(newMessage('x1', { callId: 'other', createdAt: min(-5) }));
          const draft = newMessage('m1');
          const limits = [limit('destination', 5, min(-10)), limit('caller', 1, min(-1440), 'day'), limit('campaign', 0, min(-300), 'cap')];
          expect(await store.admitMessage(draft, { limits, consent: consentOf(draft), events: [] })).toEqual({ kind: 'limited', limit: limits[1] });
          const fresh = newMessage('m2', { to: '+16175550000', caller: '+16175550009', campaignId: 'sales' });
          const none = limit('campaign', 0, min(-300), 'cap');
          expect(await store.admitMessage(fresh, { limits: [none], consent: consentOf(fresh), events: [] })).toEqual({ kind: 'limited', limit: none });
        });

        it('lets exactly one of many simultaneous submits for one number through a limit of one', async () => {
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => {
              const draft = newMessage(`m${i}`, { caller: `+1617555${String(2000 + i)}`, createdAt: sec(i) });
              return store.admitMessage(draft, { limits: [limit('destination', 1, min(-10))], consent: consentOf(draft), events: [{ type: 'number-confirmed' }] });
            }),
          );
          expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
          expect(results.filter((r) => r.kind === 'limited')).toHaveLength(19);
          expect(await store.listMessages({ limit: 100, number: NUMBER })).toHaveLength(1);
          expect(await store.listConsent({ from: min(-1), to: min(10), limit: 100 })).toHaveLength(1);
          expect(await store.searchEvents({ from: min(-1), to: min(10), type: 'sms-queued', limit: 100 })).toHaveLength(1);
        });

        it('lets exactly as many simultaneous texts through as a campaign cap allows', async () => {
          const results = await Promise.all(
            Array.from({ length: 15 }, (_, i) => {
              const draft = newMessage(`m${i}`, { to: `+1617555${String(3000 + i)}`, caller: `+1617555${String(4000 + i)}` });
              return store.admitMessage(draft, { limits: [limit('campaign', 3, min(-300), 'day')], consent: consentOf(draft), events: [] });
            }),
          );
          expect(results.filter((r) => r.kind === 'created')).toHaveLength(3);
          expect(await store.countMessages({ campaignId: 'support', since: min(-300) })).toBe(3);
        });

        it('lets exactly as many simultaneous texts to one prefix and one withheld bucket through as their limits allow', async () => {
          const prefix: SendLimit = { ...limit('prefix', 4, min(-10)), numberPrefix: '+1617555' };
          const withheld = limit('caller', 2, min(-1440), 'day');
          const results = await Promise.all(
            Array.from({ length: 15 }, (_, i) => {
              const draft = newMessage(`m${i}`, { to: `+1617555${String(3000 + i)}`, caller: i % 2 ? '' : `+1617666${String(4000 + i)}` });
              return store.admitMessage(draft, { limits: [withheld, prefix], consent: consentOf(draft), events: [] });
            }),
          );
          const created = results.filter((r) => r.kind === 'created');
          expect(created).toHaveLength(4);
          expect(created.filter((r) => r.kind === 'created' && r.message.caller === '').length).toBeLessThanOrEqual(2);
          expect(await store.listMessages({ limit: 100 })).toHaveLength(4);
        });

        it('stores no message and no events when its consent record cannot be stored', async () => {
          // The port's types keep this from happening in the app; forced here, it shows the
          // message, its consent record and its events are one transaction.
          const draft = newMessage('m1', { callId: 'c1' });
          const broken = { ...consentOf(draft), dnis: null } as unknown as Omit<ConsentRecord, 'messageId'>;
          await expect(store.admitMessage(draft, { limits: [], consent: broken, events: [{ type: 'number-confirmed' }] })).rejects.toHaveProperty('message');
          expect(await store.getMessage('m1')).toBeUndefined();
          expect(await store.listEvents('c1')).toEqual([]);
          expect(await store.listConsent({ from: min(-60), to: min(60), limit: 10 })).toEqual([]);
          // And the call can still be texted afterwards.
          expect((await store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [] })).kind).toBe('created');
        });
      });

      it('counts a campaign\'s texts created since a time, failed ones excepted', async () => {
        expect(await store.countMessages({ campaignId: 'support', since: min(-60) })).toBe(0);
        await store.createMessage(newMessage('m1', { callId: 'c1', createdAt: min(-61) }));
        await store.createMessage(newMessage('m2', { callId: 'c2', createdAt: min(-60) }));
        await store.createMessage(newMessage('m3', { callId: 'c3', createdAt: min(-30) }));
        await store.createMessage(newMessage('m4', { callId: 'c4', createdAt: min(-20) }));
        await store.createMessage(newMessage('m5', { callId: 'c5', createdAt: min(-10) }));
        await store.createMessage(newMessage('m6', { callId: 'c6', campaignId: 'sales', createdAt: min(-10) }));
        await sendAttempt('m3', min(-29));
        await receipt('m3', 'delivered', min(-28));
        await failAttempt('m4', min(-19));
        expect(await store.countMessages({ campaignId: 'support', since: min(-60) })).toBe(3);
        expect(await store.countMessages({ campaignId: 'support', since: min(-61) })).toBe(4);
        expect(await store.countMessages({ campaignId: 'sales', since: min(-60) })).toBe(1);
        expect(await store.countMessages({ campaignId: 'support', since: min(0) })).toBe(0);
      });

      describe('listConsent', () => {
        beforeEach(async () => {
          for (const [id, campaignId, at] of [
            ['m3', 'support', min(10)],
            ['m1', 'support', min(0)],
            ['m2', 'sales', min(5)],
            ['m0', 'support', min(10)],
            ['m4', 'support', min(20)],
          ] as const) {
            const draft = newMessage(id, { campaignId, to: `+1617555${id === 'm0' ? '0100' : `010${id[1]}`}`, createdAt: at });
            await store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [] });
          }
        });

        it('answers the records confirmed in [from, to), oldest first, then by message id', async () => {
          const all = await store.listConsent({ from: min(0), to: min(20), limit: 10 });
          expect(all.map((c) => c.messageId)).toEqual(['m1', 'm2', 'm0', 'm3']);
          expect(all[1]).toEqual({ ...consentOf(newMessage('m2', { campaignId: 'sales', to: '+16175550102', createdAt: min(5) })), messageId: 'm2' });
          expect((await store.listConsent({ from: min(0), to: min(21), limit: 10 })).map((c) => c.messageId)).toEqual(['m1', 'm2', 'm0', 'm3', 'm4']);
          expect((await store.listConsent({ from: sec(1), to: min(10), limit: 10 })).map((c) => c.messageId)).toEqual(['m2']);
          for (const id of ['x-2', 'X1', 'x1']) {
            const draft = newMessage(id, { to: '+16175550199', callId: `same-${id}`, createdAt: min(40) });
            await store.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [] });
          }
          expect((await store.listConsent({ from: min(40), to: min(41), limit: 10 })).map((c) => c.messageId)).toEqual(['X1', 'x-2', 'x1']);
        });

        it('narrows to one campaign and stops at the limit', async () => {
          expect((await store.listConsent({ from: min(0), to: min(30), campaignId: 'sales', limit: 10 })).map((c) => c.messageId)).toEqual(['m2']);
          expect((await store.listConsent({ from: min(0), to: min(30), campaignId: 'support', limit: 2 })).map((c) => c.messageId)).toEqual(['m1', 'm0']);
          expect(await store.listConsent({ from: min(0), to: min(30), campaignId: 'nobody', limit: 10 })).toEqual([]);
        });
      });

      describe('listMessages', () => {
        beforeEach(async () => {
          await store.createMessage(newMessage('m1', { callId: 'c1', to: NUMBER, createdAt: min(0) }));
          await store.createMessage(newMessage('m2', { callId: 'c2', to: '+16175554321', createdAt: min(1) }));
          await store.createMessage(newMessage('m3', { callId: 'c3', to: '+442071231234', campaignId: 'sales', createdAt: min(2) }));
          await store.createMessage(newMessage('m4', { callId: 'c4', to: NUMBER, createdAt: min(3) }));
          await store.createMessage(newMessage('m5', { callId: 'c5', to: '+16175550000', campaignId: 'sales', createdAt: min(3) }));
          // Ends with the whole of NUMBER's digits.
          await store.createMessage(newMessage('m6', { callId: 'c6', to: '+4916175551234', createdAt: min(4) }));
          await sendAttempt('m2', min(5));
          await failAttempt('m3', min(5));
          await sendAttempt('m4', min(5));
          await receipt('m4', 'delivered', min(6));
          await sendAttempt('m5', min(5));
          await receipt('m5', 'undelivered', min(6));
        });

        it('lists the newest first (by id among equals), up to the limit', async () => {
          const all = await store.listMessages({ limit: 100 });
          expect(ids(all)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1']);
          expect(all[2]).toEqual(await store.getMessage('m4'));
          expect(ids(await store.listMessages({ limit: 2 }))).toEqual(['m6', 'm5']);
        });

        it('orders texts of the same instant by id byte by byte (capitals first, whatever the database\'s collation)', async () => {
          for (const id of ['a-2', 'b', 'A1', 'a1', 'B-1']) await store.createMessage(newMessage(id, { callId: `same-${id}`, createdAt: min(30) }));
          expect(ids(await store.listMessages({ limit: 5, since: min(30) }))).toEqual(['b', 'a1', 'a-2', 'B-1', 'A1']);
        });

        it('pages by creation time: before excludes it, since includes it', async () => {
          const first = await store.listMessages({ limit: 3 });
          expect(ids(first)).toEqual(['m6', 'm5', 'm4']);
          expect(ids(await store.listMessages({ limit: 3, before: first[2]!.createdAt }))).toEqual(['m3', 'm2', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, since: min(3) }))).toEqual(['m6', 'm5', 'm4']);
          expect(ids(await store.listMessages({ limit: 10, since: min(1), before: min(3) }))).toEqual(['m3', 'm2']);
          expect(await store.listMessages({ limit: 10, before: min(0) })).toEqual([]);
        });

        it('narrows by status, campaign and call', async () => {
          expect(ids(await store.listMessages({ limit: 10, status: 'queued' }))).toEqual(['m6', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, status: 'sent' }))).toEqual(['m2']);
          expect(ids(await store.listMessages({ limit: 10, status: 'delivered' }))).toEqual(['m4']);
          expect(ids(await store.listMessages({ limit: 10, status: 'undelivered' }))).toEqual(['m5']);
          expect(ids(await store.listMessages({ limit: 10, status: 'failed' }))).toEqual(['m3']);
          expect(ids(await store.listMessages({ limit: 10, campaignId: 'sales' }))).toEqual(['m5', 'm3']);
          expect(ids(await store.listMessages({ limit: 10, callId: 'c4' }))).toEqual(['m4']);
          expect(await store.listMessages({ limit: 10, callId: 'nobody' })).toEqual([]);
        });

        it('narrows by a whole number exactly, or by its last digits', async () => {
          expect(ids(await store.listMessages({ limit: 10, number: NUMBER }))).toEqual(['m4', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, number: '+4916175551234' }))).toEqual(['m6']);
          expect(await store.listMessages({ limit: 10, number: '+6175551234' })).toEqual([]);
          expect(ids(await store.listMessages({ limit: 10, number: '1234' }))).toEqual(['m6', 'm4', 'm3', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, number: '34' }))).toEqual(['m6', 'm4', 'm3', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, number: '551234' }))).toEqual(['m6', 'm4', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, number: '4321' }))).toEqual(['m2']);
          expect(await store.listMessages({ limit: 10, number: '617555' })).toEqual([]);
        });

        it('combines the filters', async () => {
          expect(ids(await store.listMessages({ limit: 10, number: '1234', status: 'queued' }))).toEqual(['m6', 'm1']);
          expect(ids(await store.listMessages({ limit: 10, number: '1234', campaignId: 'sales' }))).toEqual(['m3']);
          expect(ids(await store.listMessages({ limit: 1, number: '1234', campaignId: 'support', before: min(4) }))).toEqual(['m4']);
          expect(await store.listMessages({ limit: 10, status: 'delivered', campaignId: 'sales' })).toEqual([]);
        });
      });
    });

    describe('the outbox', () => {
      describe('claiming', () => {
        beforeEach(async () => {
          // Due at their creation: m1 at 0 s, m2 at 10 s, m3 at 20 s (created in another order).
          await store.createMessage(newMessage('m3', { callId: 'c3', createdAt: sec(20) }));
          await store.createMessage(newMessage('m1', { callId: 'c1', createdAt: sec(0) }));
          await store.createMessage(newMessage('m2', { callId: 'c2', createdAt: sec(10) }));
        });

        it('claims the queued messages that are due, soonest first, up to the limit, and leases them', async () => {
          const claimed = await store.claimDueMessages(sec(10), sec(40), 10);
          expect(ids(claimed)).toEqual(['m1', 'm2']);
          expect(claimed[0]).toEqual({ ...(await store.getMessage('m1')), leaseUntil: sec(40) });
          expect(await store.getMessage('m3')).toMatchObject({ leaseUntil: null });
          expect(ids(await store.claimDueMessages(sec(30), sec(60), 1))).toEqual(['m3']);
          expect(await store.claimDueMessages(sec(30), sec(60), 10)).toEqual([]);
        });

        it('leaves a leased message alone until its lease has run out, then lets anyone claim it', async () => {
          expect(ids(await store.claimDueMessages(sec(0), sec(15), 10))).toEqual(['m1']);
          expect(await store.claimDueMessages(sec(14), sec(30), 10).then(ids)).toEqual(['m2']);
          // At 15 s m1's lease has run out; m2's (to 30 s) has not.
          const again = await store.claimDueMessages(sec(15), sec(45), 10);
          expect(ids(again)).toEqual(['m1']);
          expect(again[0]!.leaseUntil).toBe(sec(45));
          expect(await store.claimMessage('m2', sec(29), sec(50))).toBeUndefined();
          expect(await store.claimMessage('m2', sec(30), sec(50))).toMatchObject({ id: 'm2', leaseUntil: sec(50) });
        });

        it('never claims a message that is no longer queued', async () => {
          await sendAttempt('m1', sec(1));
          await failAttempt('m2', sec(1));
          expect(ids(await store.claimDueMessages(sec(60), sec(90), 10))).toEqual(['m3']);
          expect(await store.claimMessage('m1', sec(60), sec(90))).toBeUndefined();
          expect(await store.claimMessage('m2', sec(60), sec(90))).toBeUndefined();
        });

        it('claims one given message while it is queued and unleased', async () => {
          const claimed = await store.claimMessage('m1', sec(0), sec(15));
          expect(claimed).toEqual({ ...(await store.getMessage('m1')), leaseUntil: sec(15) });
          expect(await store.claimMessage('m1', sec(1), sec(16))).toBeUndefined();
          expect(await store.claimDueMessages(sec(5), sec(20), 10)).toEqual([]);
          expect(await store.claimMessage('nobody', sec(1), sec(16))).toBeUndefined();
        });

        it('gives each message to one of many dispatchers claiming at once', async () => {
          for (let i = 0; i < 27; i += 1) await store.createMessage(newMessage(`n${i}`, { callId: `cn${i}`, createdAt: sec(i) }));
          const all = ids(await store.listMessages({ limit: 100 })).sort();
          // A race may go right by luck: run it a few times, each once the last leases have run out.
          for (let round = 0; round < 5; round += 1) {
            const now = sec(40 + 1000 * round);
            const leaseOf = (d: number) => sec(40 + 1000 * round + 100 + d);
            const claims = await Promise.all(Array.from({ length: 6 }, (_, d) => store.claimDueMessages(now, leaseOf(d), 8)));
            const claimed = claims.flatMap(ids);
            expect(new Set(claimed).size).toBe(claimed.length);
            for (const batch of claims) expect(batch.length).toBeLessThanOrEqual(8);
            const rest = ids(await store.claimDueMessages(now, leaseOf(9), 100));
            expect([...claimed, ...rest].sort()).toEqual(all);
            // Each message holds the lease of the dispatcher that got it.
            for (const [d, batch] of claims.entries()) {
              for (const m of batch) expect((await store.getMessage(m.id))!.leaseUntil).toBe(leaseOf(d));
            }
          }
        });
      });

      describe('renewLease', () => {
        it('extends the lease only for the dispatcher still holding it', async () => {
          await store.createMessage(newMessage('m1'));
          await store.claimMessage('m1', sec(0), sec(15));
          expect(await store.renewLease('m1', sec(15), sec(25))).toBe(true);
          expect(await store.getMessage('m1')).toMatchObject({ leaseUntil: sec(25) });
          expect(await store.renewLease('m1', sec(15), sec(35))).toBe(false);
          // Claimed by another once it ran out: the first holder cannot take it back.
          await store.claimMessage('m1', sec(25), sec(40));
          expect(await store.renewLease('m1', sec(25), sec(50))).toBe(false);
          expect(await store.getMessage('m1')).toMatchObject({ leaseUntil: sec(40) });
          expect(await store.renewLease('nobody', sec(25), sec(50))).toBe(false);
        });

        it('does not renew a lease once the attempt has been recorded', async () => {
          await store.createMessage(newMessage('m1'));
          await store.claimMessage('m1', sec(0), sec(15));
          await sendAttempt('m1', sec(2));
          expect(await store.renewLease('m1', sec(15), sec(25))).toBe(false);
          expect(await store.getMessage('m1')).toMatchObject({ status: 'sent', leaseUntil: null });
        });
      });

      describe('startAttempt: the record of a vendor request in flight', () => {
        beforeEach(async () => {
          await store.createMessage(newMessage('m1', { callId: 'c1', fallbackGateway: 'vonage' }));
          await store.claimMessage('m1', sec(0), sec(15));
        });

        it('records when the request goes out and where, renewing the lease, only for the dispatcher holding it', async () => {
          expect(await store.startAttempt(target('m1'), { heldLease: sec(15), leaseUntil: sec(20), via: 'twilio', at: sec(1) })).toBe('started');
          expect(await store.getMessage('m1')).toMatchObject({ leaseUntil: sec(20), attemptStartedAt: sec(1), attemptVia: 'twilio' });
          // The old lease is no longer held: a second start with it writes nothing.
          expect(await store.startAttempt(target('m1'), { heldLease: sec(15), leaseUntil: sec(30), via: 'vonage', at: sec(2) })).toBe('lost');
          expect(await store.getMessage('m1')).toMatchObject({ leaseUntil: sec(20), attemptStartedAt: sec(1), attemptVia: 'twilio' });
          expect(await store.startAttempt(target('nobody'), { heldLease: sec(20), leaseUntil: sec(30), via: 'twilio', at: sec(2) })).toBe('lost');
        });

        it('starts nothing for a number that opted out of the message\'s channel, and says so only to the lease\'s holder', async () => {
          await store.suppress({ number: NUMBER, channel: 'whatsapp', keyword: 'STOP', source: 'twilio', createdAt: sec(0) });
          // Another channel's opt-out does not count.
          expect(await store.startAttempt(target('m1'), { heldLease: sec(15), leaseUntil: sec(20), via: 'twilio', at: sec(1) })).toBe('started');
          await store.createMessage(newMessage('w1', { callId: 'c2', channel: 'whatsapp' }));
          await store.claimMessage('w1', sec(0), sec(15));
          const whatsapp = { id: 'w1', to: NUMBER, channel: 'whatsapp' } as const;
          expect(await store.startAttempt(whatsapp, { heldLease: sec(99), leaseUntil: sec(20), via: 'whatsapp', at: sec(1) })).toBe('lost');
          expect(await store.startAttempt(whatsapp, { heldLease: sec(15), leaseUntil: sec(20), via: 'whatsapp', at: sec(1) })).toBe('opted-out');
          expect(await store.getMessage('w1')).toMatchObject({ leaseUntil: sec(15), attemptStartedAt: null, attemptVia: null });
        });

        it('survives the lease running out (a dead dispatcher): the next claim sees the attempt in flight', async () => {
          await store.startAttempt(target('m1'), { heldLease: sec(15), leaseUntil: sec(20), via: 'twilio', at: sec(1) });
          const [claimed] = await store.claimDueMessages(sec(20), sec(40), 10);
          expect(claimed).toMatchObject({ id: 'm1', attemptStartedAt: sec(1), attemptVia: 'twilio', unansweredLookups: 0 });
        });

        it('is cleared by a known outcome, kept by an unknown one, and counts lookups that could not tell', async () => {
          await store.startAttempt(target('m1'), { heldLease: sec(15), leaseUntil: sec(20), via: 'twilio', at: sec(1) });
          const timedOut = await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(5), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true, outcomeUnknown: true },
            sec(3),
          );
          expect(timedOut).toMatchObject({ attemptStartedAt: sec(1), attemptVia: 'twilio', unansweredLookups: 0, leaseUntil: null, attempts: 1 });
          await store.claimMessage('m1', sec(5), sec(25));
          const unanswered = await store.recordAttempt(
            'm1',
            {
              status: 'queued',
              via: 'twilio',
              nextAttemptAt: sec(8),
              errorCode: 'lookup-unknown',
              errorDetail: 'Twilio answered 503',
              countsAsAttempt: false,
              outcomeUnknown: true,
              lookupUnanswered: true,
            },
            sec(6),
          );
          expect(unanswered).toMatchObject({ attemptStartedAt: sec(1), attemptVia: 'twilio', unansweredLookups: 1, attempts: 1 });
          // A known failure (a 503 to the send itself) clears the record and the count.
          await store.claimMessage('m1', sec(8), sec(28));
          await store.startAttempt(target('m1'), { heldLease: sec(28), leaseUntil: sec(30), via: 'vonage', at: sec(9) });
          const known = await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'vonage', nextAttemptAt: sec(12), errorCode: 'http-503', errorDetail: 'down', countsAsAttempt: true },
            sec(10),
          );
          expect(known).toMatchObject({ attemptStartedAt: null, attemptVia: null, unansweredLookups: 0 });
          await store.claimMessage('m1', sec(12), sec(32));
          await store.startAttempt(target('m1'), { heldLease: sec(32), leaseUntil: sec(34), via: 'vonage', at: sec(13) });
          const sent = await store.recordAttempt('m1', { status: 'sent', via: 'vonage', vendorMessageId: 'v-1', vendorStatus: null }, sec(14));
          expect(sent).toMatchObject({ status: 'sent', attemptStartedAt: null, attemptVia: null, unansweredLookups: 0 });
        });
      });

      describe('recordAttempt', () => {
        beforeEach(async () => {
          await store.createMessage(newMessage('m1', { callId: 'c1', fallbackGateway: 'vonage' }));
          await store.claimMessage('m1', sec(0), sec(15));
        });

        it('records an accepted text as sent, releasing the lease, with an sms-sent event', async () => {
          const before = await store.getMessage('m1');
          const sent = await store.recordAttempt('m1', { status: 'sent', via: 'vonage', vendorMessageId: 'v-9', vendorStatus: '0' }, sec(2));
          expect(sent).toEqual({
            ...before,
            status: 'sent',
            sentVia: 'vonage',
            vendorMessageId: 'v-9',
            vendorStatus: '0',
            errorCode: null,
            errorDetail: null,
            attempts: 1,
            nextAttemptAt: null,
            leaseUntil: null,
            updatedAt: sec(2),
          });
          expect(await store.getMessage('m1')).toEqual(sent);
          expect(withoutIds(await store.listEvents('c1')).slice(1)).toEqual([
            { callId: 'c1', campaignId: 'support', type: 'sms-sent', detail: { messageId: 'm1', via: 'vonage' }, createdAt: sec(2) },
          ]);
        });

        // PostgreSQL writes this event's detail in the same statement as the attempt, closing
        // its JSON with the row's channel: it must read as the SQLite store's does.
        it('names the channel in the sent and failed events of a message on another channel than SMS', async () => {
          await store.createMessage(newMessage('w1', { callId: 'c2', channel: 'whatsapp' }));
          await store.createMessage(newMessage('w2', { callId: 'c2', to: '+447700900123', channel: 'whatsapp' }));
          await store.recordAttempt('w1', { status: 'sent', via: 'whatsapp', vendorMessageId: 'wamid.1', vendorStatus: null }, sec(2));
          await store.recordAttempt('w2', { status: 'failed', via: 'whatsapp', errorCode: '131026', errorDetail: 'undeliverable "quoted"' }, sec(3));
          const events = withoutIds(await store.listEvents('c2')).filter((e) => e.type !== 'sms-queued');
          expect(events).toEqual([
            { callId: 'c2', campaignId: 'support', type: 'sms-sent', detail: { messageId: 'w1', via: 'whatsapp', channel: 'whatsapp' }, createdAt: sec(2) },
            { callId: 'c2', campaignId: 'support', type: 'sms-failed', detail: { messageId: 'w2', code: '131026', channel: 'whatsapp' }, createdAt: sec(3) },
          ]);
        });

        it('keeps a retryable failure queued for later, counting the attempt or not, without events', async () => {
          const retry = await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(12), errorCode: 'http-503', errorDetail: 'Service Unavailable', countsAsAttempt: true },
            sec(2),
          );
          expect(retry).toMatchObject({
            status: 'queued',
            sentVia: 'twilio',
            vendorMessageId: null,
            errorCode: 'http-503',
            errorDetail: 'Service Unavailable',
            attempts: 1,
            nextAttemptAt: sec(12),
            leaseUntil: null,
            updatedAt: sec(2),
          });
          expect(await store.claimDueMessages(sec(11), sec(30), 10)).toEqual([]);
          expect(ids(await store.claimDueMessages(sec(12), sec(30), 10))).toEqual(['m1']);
          // Paused (429) or handed back at shutdown: due again, the attempt not used up.
          const paused = await store.recordAttempt(
            'm1',
            { status: 'queued', via: null, nextAttemptAt: sec(20), errorCode: 'http-429', errorDetail: 'slow down', countsAsAttempt: false },
            sec(13),
          );
          expect(paused).toMatchObject({ status: 'queued', attempts: 1, sentVia: 'twilio', errorCode: 'http-429', nextAttemptAt: sec(20), leaseUntil: null });
          expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued']);
        });

        it('records a refusal as failed with its reason and an sms-failed event', async () => {
          await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(5), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true },
            sec(2),
          );
          const failed = await store.recordAttempt('m1', { status: 'failed', via: 'vonage', errorCode: 'vonage-29', errorDetail: 'Non White-listed Destination' }, sec(6));
          expect(failed).toMatchObject({
            status: 'failed',
            sentVia: 'vonage',
            errorCode: 'vonage-29',
            errorDetail: 'Non White-listed Destination',
            attempts: 2,
            nextAttemptAt: null,
            leaseUntil: null,
            updatedAt: sec(6),
          });
          expect(withoutIds(await store.listEvents('c1')).slice(1)).toEqual([
            { callId: 'c1', campaignId: 'support', type: 'sms-failed', detail: { messageId: 'm1', code: 'vonage-29' }, createdAt: sec(6) },
          ]);
        });

        it('keeps the last gateway when a failure went through none (an opted-out number)', async () => {
          await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(5), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true },
            sec(2),
          );
          const failed = await store.recordAttempt('m1', { status: 'failed', via: null, errorCode: 'suppressed', errorDetail: 'opted out' }, sec(6));
          expect(failed).toMatchObject({ status: 'failed', sentVia: 'twilio', errorCode: 'suppressed', attempts: 2 });
          const other = (await store.createMessage(newMessage('m2', { callId: 'c2' }))).message;
          expect(await store.recordAttempt(other.id, { status: 'failed', via: null, errorCode: 'suppressed', errorDetail: 'opted out' }, sec(6))).toMatchObject({
            status: 'failed',
            sentVia: null,
          });
        });

        it('never moves a message back: a late attempt leaves a delivered text delivered', async () => {
          await sendAttempt('m1', sec(2));
          await receipt('m1', 'delivered', sec(3));
          const late = await store.recordAttempt(
            'm1',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(9), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true },
            sec(4),
          );
          expect(late.status).toBe('delivered');
          expect(await store.getMessage('m1')).toMatchObject({ status: 'delivered', vendorMessageId: 'v-m1' });
          expect(await store.claimDueMessages(sec(60), sec(90), 10)).toEqual([]);
        });

        it('refuses an attempt for a message it does not hold', async () => {
          await expect(sendAttempt('nobody', sec(2))).rejects.toHaveProperty('message');
          expect(await store.getMessage('nobody')).toBeUndefined();
        });
      });

      // The caller's first attempt ends its call in the same write (one statement on
      // PostgreSQL): it must leave exactly what recordAttempt then updateCall left.
      describe('recordFirstAttempt: the first attempt and the call ending together', () => {
        const sentResult = { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' } as const;
        const ending = (overrides: Partial<CallEnding> = {}): CallEnding => ({
          callId: 'c1',
          update: { state: 'sent', result: sentResult, lastPage: { builder: 'end', result: sentResult, prompts: ['sent'] } },
          events: [],
          at: sec(1),
          from: 'sending',
          ...overrides,
        });
        const handedBack = (): CallEnding =>
          ending({
            update: { state: 'failed', result: { status: 'failed', reason: 'gateway-error', maskedNumber: '+*******1234' } },
            events: [{ type: 'number-confirmed', detail: { source: 'ani' } }, { type: 'handed-back', detail: { reason: 'gateway-error' } }],
          });

        /** What recordAttempt then updateCall leave, on a store of their own: the rows and the events. */
        async function apart(attempt: AttemptRecord, end: CallEnding): Promise<unknown> {
          const other = await fresh();
          await other.createCall(newCall('c1', { state: 'sending' }), [{ type: 'started' }]);
          await other.createMessage(newMessage('m1', { callId: 'c1' }));
          await other.claimMessage('m1', sec(0), sec(15));
          const message = await other.recordAttempt('m1', attempt, sec(2));
          const ended = await other.updateCall(end.callId, end.update, end.events, end.at, end.from);
          return { message, ended, call: await other.getCall('c1'), events: withoutIds(await other.listEvents('c1')) };
        }

        async function together(attempt: AttemptRecord, end: CallEnding, observer?: EventObserver): Promise<unknown> {
          const s = observer ? await fresh(observer) : store;
          await s.createCall(newCall('c1', { state: 'sending' }), [{ type: 'started' }]);
          await s.createMessage(newMessage('m1', { callId: 'c1' }));
          await s.claimMessage('m1', sec(0), sec(15));
          const { message, ended } = await s.recordFirstAttempt('m1', attempt, sec(2), end);
          return { message, ended, call: await s.getCall('c1'), events: withoutIds(await s.listEvents('c1')) };
        }

        it('leaves the rows and events recordAttempt then updateCall leave: a sent text, a sent call', async () => {
          const attempt: AttemptRecord = { status: 'sent', via: 'twilio', vendorMessageId: 'v-1', vendorStatus: 'queued' };
          const written = await together(attempt, ending());
          expect(written).toEqual(await apart(attempt, ending()));
          expect(written).toMatchObject({ ended: true, message: { status: 'sent' }, call: { state: 'sent', result: sentResult } });
        });

        it('writes the attempt\'s event, then the ending\'s, each at its own time, and announces them once committed', async () => {
          const attempt: AttemptRecord = { status: 'failed', via: 'twilio', errorCode: 'twilio-21211', errorDetail: 'invalid number' };
          const heard: Omit<CallEvent, 'id'>[] = [];
          const written = await together(attempt, handedBack(), (events) => heard.push(...events));
          expect(written).toEqual(await apart(attempt, handedBack()));
          const events = (written as { events: Omit<CallEvent, 'id'>[] }).events.slice(2);
          expect(events.map((e) => [e.type, e.createdAt])).toEqual([
            ['sms-failed', sec(2)],
            ['number-confirmed', sec(1)],
            ['handed-back', sec(1)],
          ]);
          expect(heard.slice(2)).toEqual(events);
        });

        it('records a queued attempt with an ending that has no events', async () => {
          const attempt: AttemptRecord = { status: 'queued', via: 'twilio', nextAttemptAt: sec(12), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true };
          const pending = ending({ update: { state: 'sent', result: { status: 'sent', reason: 'queued', maskedNumber: '+*******1234' } } });
          expect(await together(attempt, pending)).toEqual(await apart(attempt, pending));
        });

        it('still records the attempt when the call has moved on, and leaves the call and its events alone', async () => {
          await store.createCall(newCall('c1', { state: 'sent' }), [{ type: 'started' }]);
          await store.createMessage(newMessage('m1', { callId: 'c1' }));
          const attempt: AttemptRecord = { status: 'failed', via: 'twilio', errorCode: 'twilio-21211', errorDetail: 'invalid number' };
          const { message, ended } = await store.recordFirstAttempt('m1', attempt, sec(2), handedBack());
          expect(ended).toBe(false);
          expect(message).toMatchObject({ status: 'failed', errorCode: 'twilio-21211', updatedAt: sec(2) });
          expect(await store.getCall('c1')).toMatchObject({ state: 'sent', result: null });
          expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['started', 'sms-queued', 'sms-failed']);
        });

        it('refuses an attempt for a message it does not hold, ending no call', async () => {
          await store.createCall(newCall('c1', { state: 'sending' }), []);
          await expect(store.recordFirstAttempt('nobody', { status: 'sent', via: 'twilio', vendorMessageId: 'v', vendorStatus: null }, sec(2), ending())).rejects.toHaveProperty('message');
          expect(await store.getCall('c1')).toMatchObject({ state: 'sending' });
        });
      });

      describe('applyReceipt', () => {
        beforeEach(async () => {
          await store.createMessage(newMessage('m1', { callId: 'c1' }));
          await sendAttempt('m1', sec(1));
        });

        it('moves a message forward by its gateway and vendor id, with an sms-delivered event', async () => {
          const before = await store.getMessage('m1');
          const applied = await receipt('m1', 'delivered', sec(30), 'DELIVRD');
          expect(applied).toEqual({
            changed: true,
            message: { ...before, status: 'delivered', vendorStatus: 'DELIVRD', updatedAt: sec(30) },
          });
          expect(await store.getMessage('m1')).toEqual(applied!.message);
          expect(withoutIds(await store.listEvents('c1')).slice(2)).toEqual([
            { callId: 'c1', campaignId: 'support', type: 'sms-delivered', detail: { messageId: 'm1', receipt: 'DELIVRD' }, createdAt: sec(30) },
          ]);
        });

        it('records an undelivered or failed receipt, with its error code, as sms-failed', async () => {
          const applied = await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m1', status: 'undelivered', vendorStatus: 'undelivered', errorCode: 'twilio-30003' }, sec(30));
          expect(applied).toMatchObject({ changed: true, message: { status: 'undelivered', errorCode: 'twilio-30003', vendorStatus: 'undelivered' } });
          expect((await store.listEvents('c1')).map((e) => [e.type, e.detail])).toEqual([
            ['sms-queued', { messageId: 'm1' }],
            ['sms-sent', { messageId: 'm1', via: 'twilio' }],
            ['sms-failed', { messageId: 'm1', receipt: 'undelivered' }],
          ]);
          await store.createMessage(newMessage('m2', { callId: 'c2' }));
          await sendAttempt('m2', sec(1));
          expect(await receipt('m2', 'failed', sec(30))).toMatchObject({ changed: true, message: { status: 'failed', errorCode: null } });
          expect((await store.listEvents('c2')).map((e) => e.type)).toEqual(['sms-queued', 'sms-sent', 'sms-failed']);
        });

        it('ignores duplicates and stragglers: the message is unchanged and no event recorded', async () => {
          await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m1', status: 'delivered', vendorStatus: 'delivered', errorCode: 'none' }, sec(30));
          const before = await store.getMessage('m1');
          expect(await receipt('m1', 'delivered', sec(40), 'delivered-again')).toEqual({ changed: false, message: before });
          expect(await receipt('m1', 'failed', sec(41))).toEqual({ changed: false, message: before });
          expect(await receipt('m1', 'sent', sec(42))).toEqual({ changed: false, message: before });
          expect(await store.getMessage('m1')).toEqual(before);
          expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued', 'sms-sent', 'sms-delivered']);
        });

        it('does not count a "sent" receipt on a sent message as a change; a text sent after a retry keeps no error', async () => {
          await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m1', status: 'sent', vendorStatus: 'sent' }, sec(20));
          expect(await store.getMessage('m1')).toMatchObject({ status: 'sent', vendorStatus: 'accepted', updatedAt: sec(1) });
          await store.createMessage(newMessage('m2', { callId: 'c2' }));
          await store.recordAttempt(
            'm2',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(2), errorCode: 'http-503', errorDetail: 'down', countsAsAttempt: true },
            sec(1),
          );
          const sent = await sendAttempt('m2', sec(3));
          expect(sent.errorCode).toBeNull();
          expect(await receipt('m2', 'delivered', sec(4))).toMatchObject({ changed: true, message: { status: 'delivered', errorCode: null } });
        });

        it('answers undefined for a receipt no message matches: unknown id, or another gateway\'s', async () => {
          expect(await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-unknown', status: 'delivered', vendorStatus: 'delivered' }, sec(30))).toBeUndefined();
          expect(await store.applyReceipt({ gateway: 'vonage', vendorMessageId: 'v-m1', status: 'delivered', vendorStatus: 'delivered' }, sec(30))).toBeUndefined();
          expect(await store.getMessage('m1')).toMatchObject({ status: 'sent' });
        });

        it('applies a receipt to the gateway the latest attempt went through', async () => {
          await store.createMessage(newMessage('m2', { callId: 'c2', fallbackGateway: 'vonage' }));
          await store.recordAttempt(
            'm2',
            { status: 'queued', via: 'twilio', nextAttemptAt: sec(2), errorCode: 'http-503', errorDetail: 'down', countsAsAttempt: true },
            sec(1),
          );
          await sendAttempt('m2', sec(3), 'vonage');
          expect(await receipt('m2', 'delivered', sec(4), 'DELIVRD', 'twilio')).toBeUndefined();
          expect(await receipt('m2', 'delivered', sec(4), 'DELIVRD', 'vonage')).toMatchObject({ changed: true, message: { id: 'm2', status: 'delivered' } });
        });

        it('applies one of many copies of a receipt arriving at once', async () => {
          const results = await Promise.all(Array.from({ length: 10 }, () => receipt('m1', 'delivered', sec(30))));
          expect(results.filter((r) => r?.changed)).toHaveLength(1);
          for (const r of results) expect(r?.message.status).toBe('delivered');
          expect((await store.listEvents('c1')).map((e) => e.type)).toEqual(['sms-queued', 'sms-sent', 'sms-delivered']);
        });
      });

      it('tells how many texts are queued and since when the oldest has waited', async () => {
        expect(await store.outboxDepth()).toEqual({ queued: 0, oldestCreatedAt: null });
        await store.createMessage(newMessage('sent-long-ago', { callId: 'c1', createdAt: min(-60) }));
        await store.createMessage(newMessage('failed', { callId: 'c2', createdAt: min(-30) }));
        await store.createMessage(newMessage('waiting', { callId: 'c3', createdAt: min(-1) }));
        await store.createMessage(newMessage('retrying', { callId: 'c4', createdAt: sec(-30) }));
        await sendAttempt('sent-long-ago', min(0));
        await failAttempt('failed', min(0));
        await store.recordAttempt(
          'retrying',
          { status: 'queued', via: 'twilio', nextAttemptAt: min(1), errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true },
          min(0),
        );
        await store.claimMessage('waiting', min(0), min(1));
        expect(await store.outboxDepth()).toEqual({ queued: 2, oldestCreatedAt: min(-1) });
      });

      it('probes a write for readiness, again and again, at once too, leaving the data alone', async () => {
        await store.probeWrite(min(0));
        await store.probeWrite(min(1));
        await Promise.all([store.probeWrite(min(2)), store.probeWrite(min(3))]);
        expect(await store.outboxDepth()).toEqual({ queued: 0, oldestCreatedAt: null });
      });

      it('makes the texts waiting out a backoff on a gateway (or with it as fallback) due at once', async () => {
        const wait = (id: string, until: string) =>
          store.recordAttempt(id, { status: 'queued', via: 'twilio', nextAttemptAt: until, errorCode: 'http-503', errorDetail: 'down', countsAsAttempt: true }, sec(1));
        await store.createMessage(newMessage('primary', { callId: 'c1' }));
        await store.createMessage(newMessage('fallback', { callId: 'c2', gateway: 'plivo', fallbackGateway: 'twilio' }));
        await store.createMessage(newMessage('other', { callId: 'c3', gateway: 'plivo' }));
        await store.createMessage(newMessage('due', { callId: 'c4' }));
        await store.createMessage(newMessage('sent', { callId: 'c5' }));
        await wait('primary', min(10));
        await wait('fallback', min(5));
        await wait('other', min(10));
        await wait('due', sec(30));
        await wait('sent', min(10));
        await sendAttempt('sent', sec(2));

        expect(await store.retryQueuedNow('twilio', sec(60))).toBe(2);
        expect(await store.getMessage('primary')).toMatchObject({ status: 'queued', nextAttemptAt: sec(60) });
        expect(await store.getMessage('fallback')).toMatchObject({ nextAttemptAt: sec(60) });
        expect(await store.getMessage('other')).toMatchObject({ nextAttemptAt: min(10) });
        expect(await store.getMessage('due')).toMatchObject({ nextAttemptAt: sec(30) });
        expect(ids(await store.claimDueMessages(sec(60), sec(90), 10)).sort()).toEqual(['due', 'fallback', 'primary']);
        expect(await store.retryQueuedNow('twilio', sec(60))).toBe(0);
        expect(await store.retryQueuedNow('nobody', sec(60))).toBe(0);
      });
    });

    describe('the opt-out list', () => {
      it('suppresses a number until it is taken off again', async () => {
        expect(await store.isSuppressed(NUMBER)).toBe(false);
        await store.suppress({ number: NUMBER, keyword: 'STOP', source: 'twilio', createdAt: min(0) });
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        expect(await store.isSuppressed('+16175550000')).toBe(false);
        // A second STOP changes nothing and is no error.
        await store.suppress({ number: NUMBER, keyword: 'UNSUBSCRIBE', source: 'vonage', createdAt: min(1) });
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        const change = (c: Partial<OptOutChange>): OptOutChange => ({
          number: NUMBER,
          change: 'start',
          keyword: 'START',
          source: 'twilio',
          at: min(5),
          receivedAt: min(5),
          forgetIdsBefore: min(0),
          ...c,
        });
        expect(await store.applyOptOutChange(change({ vendorMessageId: 'SM-start' }))).toBe('applied');
        expect(await store.isSuppressed(NUMBER)).toBe(false);
        expect(await store.applyOptOutChange(change({ number: '+16175550000', at: min(6), receivedAt: min(6) }))).toBe('applied');
      });

      it('lists the opt-out list newest first, by whole number or last digits, paged, every channel', async () => {
        await store.suppress({ number: NUMBER, keyword: 'STOP', source: 'twilio', createdAt: min(1) });
        await store.suppress({ number: NUMBER, keyword: 'STOP', source: 'whatsapp', channel: 'whatsapp', createdAt: min(2) });
        await store.suppress({ number: '+447700900123', keyword: 'ADMIN', source: 'console', createdAt: min(3) });
        const all = await store.listSuppressions({ limit: 10 });
        expect(all.map((s) => [s.number, s.channel])).toEqual([
          ['+447700900123', 'sms'],
          [NUMBER, 'whatsapp'],
          [NUMBER, 'sms'],
        ]);
        expect(all[2]).toEqual({ number: NUMBER, channel: 'sms', keyword: 'STOP', source: 'twilio', createdAt: min(1) });
        const lastDigits = NUMBER.slice(-4);
        expect((await store.listSuppressions({ limit: 10, number: lastDigits })).map((s) => s.channel)).toEqual(['whatsapp', 'sms']);
        expect((await store.listSuppressions({ limit: 10, number: '+447700900123' })).map((s) => s.source)).toEqual(['console']);
        expect(await store.listSuppressions({ limit: 10, number: '9999' })).toEqual([]);
        const first = await store.listSuppressions({ limit: 2 });
        expect(first).toHaveLength(2);
        expect((await store.listSuppressions({ limit: 2, before: first[1]!.createdAt })).map((s) => s.source)).toEqual(['twilio']);
        // Taken off by a START: gone from the list.
        await store.applyOptOutChange({ number: NUMBER, change: 'start', keyword: 'START', source: 'console', at: min(4), receivedAt: min(4), forgetIdsBefore: min(0) });
        expect((await store.listSuppressions({ limit: 10 })).map((s) => [s.number, s.channel])).toEqual([
          ['+447700900123', 'sms'],
          [NUMBER, 'whatsapp'],
        ]);
      });

      it('applies an inbound STOP or START once per vendor id, and never one older than the last change', async () => {
        const change = (c: Partial<OptOutChange>): OptOutChange => ({
          number: NUMBER,
          change: 'stop',
          keyword: 'STOP',
          source: 'twilio',
          at: min(10),
          receivedAt: min(10),
          forgetIdsBefore: min(0),
          ...c,
        });
        expect(await store.applyOptOutChange(change({ change: 'start', keyword: 'START', vendorMessageId: 'SM-start', at: min(5), receivedAt: min(5) }))).toBe('applied');
        expect(await store.applyOptOutChange(change({ vendorMessageId: 'SM-stop' }))).toBe('applied');
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        // The captured START, replayed later: same id.
        expect(await store.applyOptOutChange(change({ change: 'start', keyword: 'START', vendorMessageId: 'SM-start', at: min(20), receivedAt: min(20) }))).toBe('duplicate');
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        // The same id from another vendor is another text.
        expect(await store.applyOptOutChange(change({ source: 'plivo', change: 'start', keyword: 'START', vendorMessageId: 'SM-start', at: min(8), receivedAt: min(21) }))).toBe('older');
        // An older START (by the vendor's time) under a new id.
        expect(await store.applyOptOutChange(change({ change: 'start', keyword: 'START', vendorMessageId: 'SM-other', at: min(9), receivedAt: min(22) }))).toBe('older');
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        // A START sent after the STOP takes the number off; the STOP replayed does not put it back.
        expect(await store.applyOptOutChange(change({ change: 'start', keyword: 'START', vendorMessageId: 'SM-new', at: min(30), receivedAt: min(30) }))).toBe('applied');
        expect(await store.isSuppressed(NUMBER)).toBe(false);
        expect(await store.applyOptOutChange(change({ vendorMessageId: 'SM-stop', at: min(31), receivedAt: min(31) }))).toBe('duplicate');
        expect(await store.isSuppressed(NUMBER)).toBe(false);
      });

      it('orders an inbound START after a vendor-reported unsubscribe by time', async () => {
        await store.suppress({ number: NUMBER, keyword: 'twilio-21610', source: 'twilio', createdAt: min(10) });
        const start = { number: NUMBER, change: 'start' as const, keyword: 'START', source: 'twilio', receivedAt: min(12), forgetIdsBefore: min(0) };
        expect(await store.applyOptOutChange({ ...start, at: min(9) })).toBe('older');
        expect(await store.isSuppressed(NUMBER)).toBe(true);
        expect(await store.applyOptOutChange({ ...start, at: min(11) })).toBe('applied');
        expect(await store.isSuppressed(NUMBER)).toBe(false);
      });

      it('forgets vendor ids after their retention', async () => {
        const start = { number: NUMBER, change: 'start' as const, keyword: 'START', source: 'twilio', vendorMessageId: 'SM-1', forgetIdsBefore: min(0) };
        expect(await store.applyOptOutChange({ ...start, at: min(1), receivedAt: min(1) })).toBe('applied');
        expect(await store.applyOptOutChange({ ...start, at: min(2), receivedAt: min(2) })).toBe('duplicate');
        expect(await store.applyOptOutChange({ ...start, at: min(3), receivedAt: min(3), forgetIdsBefore: min(2) })).toBe('applied');
      });
    });

    describe('channels: opt-out per channel', () => {
      const change = (c: Partial<OptOutChange>): OptOutChange => ({
        number: NUMBER,
        change: 'stop',
        keyword: 'STOP',
        source: 'whatsapp-cloud',
        at: min(10),
        receivedAt: min(10),
        forgetIdsBefore: min(0),
        ...c,
      });

      it('a WhatsApp STOP stops WhatsApp only, and an SMS STOP stops SMS only', async () => {
        expect(await store.applyOptOutChange(change({ channel: 'whatsapp', vendorMessageId: 'wamid.1' }))).toBe('applied');
        expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(true);
        expect(await store.isSuppressed(NUMBER, 'sms')).toBe(false);
        expect(await store.isSuppressed(NUMBER)).toBe(false);
        await store.suppress({ number: '+16175550000', keyword: 'STOP', source: 'twilio', createdAt: min(1) });
        expect(await store.isSuppressed('+16175550000')).toBe(true);
        expect(await store.isSuppressed('+16175550000', 'whatsapp')).toBe(false);
        expect(await store.isSuppressed('+16175550000', 'rcs')).toBe(false);
      });

      it('orders changes per channel: a START on one channel is not older than a STOP on another', async () => {
        expect(await store.applyOptOutChange(change({ channel: 'whatsapp', at: min(10) }))).toBe('applied');
        expect(await store.applyOptOutChange(change({ source: 'twilio', at: min(20) }))).toBe('applied');
        // WhatsApp START sent at 15: later than WhatsApp's STOP, earlier than the SMS one.
        expect(await store.applyOptOutChange(change({ channel: 'whatsapp', change: 'start', keyword: 'START', at: min(15) }))).toBe('applied');
        expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(false);
        expect(await store.isSuppressed(NUMBER, 'sms')).toBe(true);
        // An SMS START older than the SMS STOP still changes nothing.
        expect(await store.applyOptOutChange(change({ source: 'twilio', change: 'start', keyword: 'START', at: min(19) }))).toBe('older');
        expect(await store.isSuppressed(NUMBER, 'sms')).toBe(true);
        // A vendor's unsubscribe on WhatsApp, then an older WhatsApp START: older.
        await store.suppress({ number: NUMBER, channel: 'whatsapp', keyword: 'wa-131050', source: 'whatsapp-cloud', createdAt: min(30) });
        expect(await store.applyOptOutChange(change({ channel: 'whatsapp', change: 'start', keyword: 'START', at: min(25) }))).toBe('older');
        expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(true);
      });
    });

    describe('channels: messages per number and channel, read receipts', () => {
      it('keeps a fallback beside the first message; a repeated submit still gets the first, whatever its channel', async () => {
        await store.createMessage(newMessage('wa', { callId: 'c1', channel: 'whatsapp', gateway: 'whatsapp-cloud' }));
        // The same call submitting again (on any channel) gets the WhatsApp message.
        const again = await store.createMessage(newMessage('again', { callId: 'c1' }));
        expect(again).toMatchObject({ created: false, message: { id: 'wa', channel: 'whatsapp' } });
        const admitted = await store.admitMessage(newMessage('again2', { callId: 'c1' }), {
          limits: [],
          consent: consentOf(newMessage('again2', { callId: 'c1' })),
          events: [],
        });
        expect(admitted).toMatchObject({ kind: 'existing', message: { id: 'wa' } });
        const sms = await store.createMessage(newMessage('sms', { callId: 'c1', fallbackOf: 'wa' }));
        expect(sms).toMatchObject({ created: true, message: { id: 'sms', channel: 'sms', fallbackOf: 'wa' } });
        expect((await store.listMessages({ limit: 10, callId: 'c1' })).map((m) => m.id).sort()).toEqual(['sms', 'wa']);
      });

      it('a read receipt moves a message to read, after delivered or before it, with message-read naming the channel', async () => {
        await store.createMessage(newMessage('m1', { callId: 'c1', channel: 'whatsapp', gateway: 'whatsapp-cloud' }));
        await sendAttempt('m1', sec(1), 'whatsapp-cloud');
        expect(await receipt('m1', 'delivered', sec(10), 'delivered', 'whatsapp-cloud')).toMatchObject({ changed: true, message: { status: 'delivered' } });
        const read = await store.applyReceipt({ gateway: 'whatsapp-cloud', vendorMessageId: 'v-m1', status: 'read', vendorStatus: 'read' }, sec(20));
        expect(read).toMatchObject({ changed: true, message: { status: 'read', vendorStatus: 'read' } });
        // Nothing moves a read message back: not a late delivered, not a failed.
        expect(await receipt('m1', 'delivered', sec(30), 'delivered', 'whatsapp-cloud')).toMatchObject({ changed: false, message: { status: 'read' } });
        expect(await receipt('m1', 'failed', sec(31), 'failed', 'whatsapp-cloud')).toMatchObject({ changed: false, message: { status: 'read' } });
        expect((await store.listEvents('c1')).map((e) => [e.type, e.detail])).toEqual([
          ['sms-queued', { messageId: 'm1' }],
          ['sms-sent', { messageId: 'm1', via: 'whatsapp-cloud', channel: 'whatsapp' }],
          ['sms-delivered', { messageId: 'm1', receipt: 'delivered', channel: 'whatsapp' }],
          ['message-read', { messageId: 'm1', channel: 'whatsapp' }],
        ]);
        // A read receipt straight after sent (the delivered one lost) is read too.
        await store.createMessage(newMessage('m2', { callId: 'c2', channel: 'rcs' }));
        await sendAttempt('m2', sec(1));
        expect(await store.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m2', status: 'read', vendorStatus: 'read' }, sec(5))).toMatchObject({
          changed: true,
          message: { status: 'read' },
        });
      });
    });

    describe('channels: the fallback, exactly once', () => {
      const plan = (afterSeconds: number | null = 120) => ({
        channel: 'sms' as const,
        gateway: 'twilio',
        fallbackGateway: null,
        body: 'Chat with us: https://t.example.test/s/abcdefgh',
        afterSeconds,
      });
      const first = (id: string, afterSeconds: number | null = 120) =>
        newMessage(id, { callId: `call-${id}`, channel: 'whatsapp', gateway: 'whatsapp-cloud', fallback: plan(afterSeconds), body: '' });
      const fallbackOf = (id: string, fallbackId: string, at: string) =>
        newMessage(fallbackId, { callId: `call-${id}`, channel: 'sms', gateway: 'twilio', createdAt: at });

      it('creates the fallback once, records channel-fallback, and a second caller gets already', async () => {
        await store.createMessage(first('wa'));
        await store.recordAttempt('wa', { status: 'failed', via: 'whatsapp-cloud', errorCode: 'wa-131026', errorDetail: 'not on WhatsApp' }, sec(2));
        const made = await store.fallBack('wa', fallbackOf('wa', 'fb1', sec(3)), 'not-on-channel', sec(3));
        expect(made).toMatchObject({ kind: 'created', message: { id: 'fb1', channel: 'sms', fallbackOf: 'wa', fallback: null, status: 'queued' } });
        expect(await store.fallBack('wa', fallbackOf('wa', 'fb2', sec(4)), 'failed', sec(4))).toEqual({ kind: 'already' });
        expect(await store.getMessage('fb2')).toBeUndefined();
        expect(await store.getMessage('wa')).toMatchObject({ fellBackAt: sec(3), status: 'failed', errorCode: 'wa-131026' });
        expect((await store.listEvents('call-wa')).map((e) => [e.type, e.detail])).toEqual([
          ['sms-queued', { messageId: 'wa' }],
          ['sms-failed', { messageId: 'wa', code: 'wa-131026', channel: 'whatsapp' }],
          ['channel-fallback', { messageId: 'wa', from: 'whatsapp', to: 'sms', why: 'not-on-channel', fallbackId: 'fb1' }],
          ['sms-queued', { messageId: 'fb1' }],
        ]);
        // A message without a plan, or an unknown one, has nothing to fall back to.
        await store.createMessage(newMessage('plain', { callId: 'c-plain' }));
        expect(await store.fallBack('plain', fallbackOf('plain', 'fb3', sec(5)), 'failed', sec(5))).toEqual({ kind: 'already' });
      });

      it('two racing fallBack calls make exactly one fallback message', async () => {
        await store.createMessage(first('wa'));
        const results = await Promise.all([
          store.fallBack('wa', fallbackOf('wa', 'fbA', sec(3)), 'failed', sec(3)),
          store.fallBack('wa', fallbackOf('wa', 'fbB', sec(3)), 'no-delivery', sec(3)),
        ]);
        expect(results.map((r) => r.kind).sort()).toEqual(['already', 'created']);
        const messages = await store.listMessages({ limit: 10, callId: 'call-wa' });
        expect(messages.filter((m) => m.fallbackOf === 'wa')).toHaveLength(1);
        expect((await store.listEvents('call-wa')).filter((e) => e.type === 'channel-fallback')).toHaveLength(1);
      });

      it('gives up a first message still queued (superseded), so it is not sent later too', async () => {
        await store.createMessage(first('wa'));
        await store.fallBack('wa', fallbackOf('wa', 'fb', min(3)), 'vendor-down', min(3));
        expect(await store.getMessage('wa')).toMatchObject({ status: 'failed', errorCode: 'superseded', nextAttemptAt: null });
        const claimed = await store.claimDueMessages(min(4), min(5), 10);
        expect(ids(claimed)).toEqual(['fb']);
      });

      it('skips the fallback, recorded, when the number opted out of its channel', async () => {
        await store.suppress({ number: NUMBER, keyword: 'STOP', source: 'twilio', createdAt: min(0) });
        await store.createMessage(first('wa'));
        expect(await store.fallBack('wa', fallbackOf('wa', 'fb', sec(3)), 'failed', sec(3))).toEqual({ kind: 'opted-out' });
        expect(await store.getMessage('fb')).toBeUndefined();
        expect(await store.fallBack('wa', fallbackOf('wa', 'fb', sec(4)), 'failed', sec(4))).toEqual({ kind: 'already' });
        const events = (await store.listEvents('call-wa')).filter((e) => e.type === 'channel-fallback');
        expect(events.map((e) => e.detail)).toEqual([{ messageId: 'wa', from: 'whatsapp', to: 'sms', why: 'failed', skipped: 'opted-out' }]);
      });

      it('lists due fallbacks: failed, undelivered, or past the window without delivered or read', async () => {
        await store.createMessage(first('failed'));
        await failAttempt('failed', sec(1), 'whatsapp-cloud');
        await store.createMessage(first('undelivered'));
        await sendAttempt('undelivered', sec(1), 'whatsapp-cloud');
        await receipt('undelivered', 'undelivered', sec(2), 'failed', 'whatsapp-cloud');
        await store.createMessage(first('silent'));
        await sendAttempt('silent', sec(1), 'whatsapp-cloud');
        await store.createMessage(first('queued'));
        await store.createMessage(first('delivered'));
        await sendAttempt('delivered', sec(1), 'whatsapp-cloud');
        await receipt('delivered', 'delivered', sec(2), 'delivered', 'whatsapp-cloud');
        await store.createMessage(first('read'));
        await sendAttempt('read', sec(1), 'whatsapp-cloud');
        await store.applyReceipt({ gateway: 'whatsapp-cloud', vendorMessageId: 'v-read', status: 'read', vendorStatus: 'read' }, sec(2));
        await store.createMessage(first('untimed', null));
        await sendAttempt('untimed', sec(1), 'whatsapp-cloud');
        await store.createMessage(newMessage('no-plan', { callId: 'c-np' }));
        await failAttempt('no-plan', sec(1));

        expect(ids(await store.dueFallbacks(sec(119), 10)).sort()).toEqual(['failed', 'undelivered']);
        expect(ids(await store.dueFallbacks(sec(120), 10)).sort()).toEqual(['failed', 'queued', 'silent', 'undelivered']);
        expect(await store.dueFallbacks(sec(120), 2)).toHaveLength(2);
        await store.fallBack('failed', fallbackOf('failed', 'fb', sec(121)), 'failed', sec(121));
        expect(ids(await store.dueFallbacks(sec(121), 10)).sort()).toEqual(['queued', 'silent', 'undelivered']);
      });
    });

    describe('the service switch', () => {
      it('is on by default, never flipped', async () => {
        expect(await store.getServiceSwitch()).toEqual({ enabled: true, changedBy: null, changedAt: null });
      });

      it('keeps who flipped it last and when', async () => {
        expect(await store.setServiceSwitch(false, 'admin', min(1))).toEqual({ enabled: false, changedBy: 'admin', changedAt: min(1) });
        expect(await store.getServiceSwitch()).toEqual({ enabled: false, changedBy: 'admin', changedAt: min(1) });
        expect(await store.setServiceSwitch(true, 'api', min(2))).toEqual({ enabled: true, changedBy: 'api', changedAt: min(2) });
        expect(await store.getServiceSwitch()).toEqual({ enabled: true, changedBy: 'api', changedAt: min(2) });
        await store.setServiceSwitch(true, 'ops', min(3));
        expect(await store.getServiceSwitch()).toEqual({ enabled: true, changedBy: 'ops', changedAt: min(3) });
      });
    });

    describe('short links', () => {
      const link = (code: string, overrides: Partial<{ target: string; callId: string | null; campaignId: string | null; expiresAt: string | null }> = {}) => ({
        code,
        target: 'https://chat.example.com/start?call=c1&x=%20y',
        callId: 'c1',
        campaignId: 'support',
        createdAt: min(0),
        expiresAt: null,
        ...overrides,
      });

      it('refuses a code already taken, keeping the first link', async () => {
        expect(await store.createShortLink(link('Ab3dE6gH'))).toBe(true);
        expect(await store.createShortLink(link('Ab3dE6gH', { target: 'https://elsewhere.example.com/' }))).toBe(false);
        // Codes are case-sensitive.
        expect(await store.createShortLink(link('ab3de6gh', { target: 'https://lower.example.com/' }))).toBe(true);
        expect(await store.clickShortLink('Ab3dE6gH', min(1))).toMatchObject({ target: 'https://chat.example.com/start?call=c1&x=%20y' });
        expect(await store.clickShortLink('ab3de6gh', min(1))).toMatchObject({ target: 'https://lower.example.com/' });
      });

      it('gives a code asked for by two links at the same time to the first only (PostgreSQL gathers them)', async () => {
        const made = await Promise.all([
          store.createShortLink(link('Zz9yY8xX')),
          store.createShortLink(link('Zz9yY8xX', { target: 'https://elsewhere.example.com/' })),
          store.createShortLink(link('Qq1wW2eE', { target: 'https://other.example.com/', callId: null, campaignId: null, expiresAt: min(30) })),
        ]);
        expect(made).toEqual([true, false, true]);
        expect(await store.clickShortLink('Zz9yY8xX', min(1))).toMatchObject({ target: 'https://chat.example.com/start?call=c1&x=%20y' });
        expect(await store.clickShortLink('Qq1wW2eE', min(1))).toMatchObject({ target: 'https://other.example.com/', callId: null, expiresAt: min(30) });
      });

      it('counts each click and records link-clicked once, with the visitor class', async () => {
        await store.createShortLink(link('Ab3dE6gH', { expiresAt: min(60) }));
        expect(await store.clickShortLink('Ab3dE6gH', min(1), { kind: 'click', agent: 'browser' })).toEqual({
          ...link('Ab3dE6gH', { expiresAt: min(60) }),
          clicks: 1,
          expired: false,
        });
        // The same person again (or another): clicks counts it, the call's one event stays one.
        expect(await store.clickShortLink('Ab3dE6gH', min(2), { kind: 'click', agent: 'unknown' })).toMatchObject({ clicks: 2, expired: false });
        expect(withoutIds(await store.listEvents('c1'))).toEqual([
          { callId: 'c1', campaignId: 'support', type: 'link-clicked', detail: { code: 'Ab3dE6gH', agent: 'browser' }, createdAt: min(1) },
        ]);
      });

      it('takes no visit as a click of an unknown agent', async () => {
        await store.createShortLink(link('Ab3dE6gH'));
        expect(await store.clickShortLink('Ab3dE6gH', min(1))).toMatchObject({ clicks: 1 });
        expect((await store.listEvents('c1')).map((e) => e.detail)).toEqual([{ code: 'Ab3dE6gH', agent: 'unknown' }]);
      });

      it('counts no click for a preview and records link-previewed with its class; the first click after it still counts', async () => {
        await store.createShortLink(link('Ab3dE6gH', { expiresAt: min(60) }));
        expect(await store.clickShortLink('Ab3dE6gH', min(1), { kind: 'preview', agent: 'preview:whatsapp' })).toEqual({
          ...link('Ab3dE6gH', { expiresAt: min(60) }),
          clicks: 0,
          expired: false,
        });
        expect(await store.clickShortLink('Ab3dE6gH', min(2), { kind: 'preview', agent: 'head' })).toMatchObject({ clicks: 0 });
        expect(await store.clickShortLink('Ab3dE6gH', min(3), { kind: 'click', agent: 'browser' })).toMatchObject({ clicks: 1 });
        expect((await store.listEvents('c1')).map((e) => [e.type, e.detail, e.createdAt])).toEqual([
          ['link-previewed', { code: 'Ab3dE6gH', agent: 'preview:whatsapp' }, min(1)],
          ['link-previewed', { code: 'Ab3dE6gH', agent: 'head' }, min(2)],
          ['link-clicked', { code: 'Ab3dE6gH', agent: 'browser' }, min(3)],
        ]);
      });

      it(`keeps at most ${MAX_PREVIEW_EVENTS} link-previewed events a call, and none once the link has expired`, async () => {
        await store.createShortLink(link('Ab3dE6gH', { expiresAt: min(60) }));
        const scan = { kind: 'preview', agent: 'scanner:proofpoint' } as const;
        await Promise.all(Array.from({ length: MAX_PREVIEW_EVENTS + 5 }, (_, i) => store.clickShortLink('Ab3dE6gH', sec(60 + i), scan)));
        expect(await store.clickShortLink('Ab3dE6gH', min(60), scan)).toMatchObject({ clicks: 0, expired: true });
        const events = await store.listEvents('c1');
        expect(events.map((e) => e.type)).toEqual(Array.from({ length: MAX_PREVIEW_EVENTS }, () => 'link-previewed'));
      });

      it('counts no click on an expired link and records link-expired instead', async () => {
        await store.createShortLink(link('Ab3dE6gH', { expiresAt: min(10) }));
        expect(await store.clickShortLink('Ab3dE6gH', iso(T0 + 10 * 60_000 - 1))).toMatchObject({ clicks: 1, expired: false });
        expect(await store.clickShortLink('Ab3dE6gH', min(10))).toMatchObject({ clicks: 1, expired: true, target: link('x').target });
        expect(await store.clickShortLink('Ab3dE6gH', min(600))).toMatchObject({ clicks: 1, expired: true });
        expect((await store.listEvents('c1')).map((e) => [e.type, e.createdAt])).toEqual([
          ['link-clicked', iso(T0 + 10 * 60_000 - 1)],
          ['link-expired', min(10)],
          ['link-expired', min(600)],
        ]);
      });

      it('counts clicks on a link without a call, recording no event', async () => {
        await store.createShortLink(link('Zz9Yy8Xx', { callId: null, campaignId: null }));
        expect(await store.clickShortLink('Zz9Yy8Xx', min(1))).toEqual({ ...link('Zz9Yy8Xx', { callId: null, campaignId: null }), clicks: 1, expired: false });
        expect(await store.searchEvents({ from: min(-60), to: min(60), limit: 10 })).toEqual([]);
      });

      it('answers undefined for an unknown code', async () => {
        await store.createShortLink(link('Ab3dE6gH'));
        expect(await store.clickShortLink('Ab3dE6gX', min(1))).toBeUndefined();
        expect(await store.clickShortLink('ab3de6gh', min(1))).toBeUndefined();
      });

      it('loses no click when many come at once', async () => {
        await store.createShortLink(link('Ab3dE6gH'));
        await Promise.all(Array.from({ length: 25 }, (_, i) => store.clickShortLink('Ab3dE6gH', sec(60 + i))));
        expect(await store.clickShortLink('Ab3dE6gH', min(5))).toMatchObject({ clicks: 26 });
        // However they race, exactly one of them is the call's first click.
        expect(await store.searchEvents({ from: min(0), to: min(10), type: 'link-clicked', limit: 100 })).toHaveLength(1);
      });
    });

    describe('admin sessions', () => {
      const session = (id: string, expiresAt: string, user = 'admin', role: AdminSession['role'] = 'admin'): AdminSession => ({
        id,
        user,
        role,
        csrfToken: `csrf-${id}`,
        createdAt: min(0),
        expiresAt,
      });

      it('gives a session back until it expires', async () => {
        await store.createSession(session('a'.repeat(64), min(480)));
        expect(await store.getSession('a'.repeat(64), min(1))).toEqual(session('a'.repeat(64), min(480)));
        expect(await store.getSession('a'.repeat(64), iso(T0 + 480 * 60_000 - 1))).toEqual(session('a'.repeat(64), min(480)));
        expect(await store.getSession('a'.repeat(64), min(480))).toBeUndefined();
        expect(await store.getSession('b'.repeat(64), min(1))).toBeUndefined();
      });

      it('keeps each session\'s role', async () => {
        await store.createSession(session('v1', min(480), 'ann', 'viewer'));
        await store.createSession(session('e1', min(480), 'bob', 'editor'));
        expect(await store.getSession('v1', min(1))).toMatchObject({ user: 'ann', role: 'viewer' });
        expect(await store.getSession('e1', min(1))).toMatchObject({ user: 'bob', role: 'editor' });
      });

      it('reads a session stored without a role as the admin\'s (sessions from before roles)', async () => {
        const { role: _none, ...old } = session('o1', min(480));
        await store.createSession(old);
        expect(await store.getSession('o1', min(1))).toMatchObject({ role: 'admin' });
      });

      it('forgets a deleted session, and only that one', async () => {
        await store.createSession(session('a1', min(480)));
        await store.createSession(session('b2', min(480), 'ops'));
        await store.deleteSession('a1');
        await store.deleteSession('a1');
        await store.deleteSession('nobody');
        expect(await store.getSession('a1', min(1))).toBeUndefined();
        expect(await store.getSession('b2', min(1))).toMatchObject({ user: 'ops', csrfToken: 'csrf-b2' });
      });

      it('deletes the expired sessions, saying how many', async () => {
        await store.createSession(session('old', min(10)));
        await store.createSession(session('ending', min(20)));
        await store.createSession(session('live', min(30)));
        expect(await store.deleteExpiredSessions(min(20))).toBe(2);
        expect(await store.deleteExpiredSessions(min(20))).toBe(0);
        expect(await store.getSession('live', min(0))).toEqual(session('live', min(30)));
        expect(await store.getSession('old', min(0))).toBeUndefined();
      });
    });

    describe('the event observer', () => {
      it('is told of each write\'s events once it has committed, with what listEvents gives', async () => {
        const told: Omit<CallEvent, 'id'>[][] = [];
        const visible: Promise<CallEvent[]>[] = [];
        const observed = await fresh((events) => {
          told.push([...events]);
          // Read straight away: what it was told of must already be there for everyone.
          visible.push(observed.listEvents(events[0]!.callId));
        });

        await observed.createCall(newCall('c1'), [{ type: 'started' }, { type: 'offered', detail: { variant: 'plain' } }]);
        expect(told).toHaveLength(1);
        await observed.updateCall('c1', { state: 'capturing' }, [{ type: 'accepted' }], sec(5));
        await observed.updateCall('c1', { state: 'confirming' }, [], sec(6));
        const draft = newMessage('m1', { callId: 'c1', createdAt: sec(10) });
        await observed.admitMessage(draft, { limits: [], consent: consentOf(draft), events: [{ type: 'number-confirmed' }] });
        await observed.createMessage(newMessage('m2', { callId: 'c1', to: '+16175550000', createdAt: sec(11) }));
        await observed.recordAttempt('m1', { status: 'sent', via: 'twilio', vendorMessageId: 'v-m1', vendorStatus: null }, sec(12));
        await observed.recordAttempt('m2', { status: 'queued', via: 'twilio', nextAttemptAt: sec(20), errorCode: 'x', errorDetail: 'y', countsAsAttempt: true }, sec(12));
        await observed.recordAttempt('m2', { status: 'failed', via: 'twilio', errorCode: 'twilio-21211', errorDetail: 'invalid' }, sec(21));
        await observed.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m1', status: 'delivered', vendorStatus: 'delivered' }, sec(30));
        await observed.applyReceipt({ gateway: 'twilio', vendorMessageId: 'v-m1', status: 'delivered', vendorStatus: 'delivered' }, sec(31));
        await observed.createShortLink({ code: 'Ab3dE6gH', target: 'https://chat.example.com/', callId: 'c1', campaignId: 'support', createdAt: sec(10), expiresAt: min(10) });
        await observed.clickShortLink('Ab3dE6gH', min(1));
        await observed.clickShortLink('Ab3dE6gH', min(11));
        // A read started by the observer racing a commit not yet made may still win by luck: many tries.
        for (let i = 0; i < 30; i += 1) await observed.updateCall('c1', {}, [{ type: 'number-entered', detail: { try: i } }], min(12));

        const stored = withoutIds(await observed.listEvents('c1'));
        expect(told.map((batch) => batch.map((e) => e.type))).toEqual([
          ['started', 'offered'],
          ['accepted'],
          ['number-confirmed', 'sms-queued'],
          ['sms-queued'],
          ['sms-sent'],
          ['sms-failed'],
          ['sms-delivered'],
          ['link-clicked'],
          ['link-expired'],
          ...Array.from({ length: 30 }, () => ['number-entered']),
        ]);
        expect(told.flat()).toEqual(stored);
        const seen = await Promise.all(visible);
        told.forEach((batch, i) => {
          expect(withoutIds(seen[i]!)).toEqual(expect.arrayContaining(batch));
        });
      });

      it('is not told of writes that fail or are refused', async () => {
        const told: Omit<CallEvent, 'id'>[][] = [];
        const observed = await fresh((events) => told.push([...events]));
        await observed.createCall(newCall('c1'), [{ type: 'started' }]);
        told.length = 0;

        await expect(observed.createCall(newCall('c1'), [{ type: 'started' }])).rejects.toHaveProperty('message');
        await expect(observed.updateCall('nobody', {}, [{ type: 'accepted' }], sec(1))).rejects.toHaveProperty('message');
        const draft = newMessage('m1', { callId: 'c1' });
        const broken = { ...consentOf(draft), confirmedAt: null } as unknown as Omit<ConsentRecord, 'messageId'>;
        await expect(observed.admitMessage(draft, { limits: [], consent: broken, events: [{ type: 'number-confirmed' }] })).rejects.toHaveProperty('message');
        expect(await observed.admitMessage(draft, { limits: [limit('campaign', 0, min(-1))], consent: consentOf(draft), events: [{ type: 'number-confirmed' }] })).toMatchObject({
          kind: 'limited',
        });
        expect(told).toEqual([]);
        expect((await observed.listEvents('c1')).map((e) => e.type)).toEqual(['started']);

        // It still hears of the writes after them.
        await observed.updateCall('c1', {}, [{ type: 'declined' }], sec(2));
        expect(told.map((batch) => batch.map((e) => e.type))).toEqual([['declined']]);
      });
    });

    describe('recordConversationOutcome', () => {
      const outcome = (o: Partial<ConversationOutcome>): ConversationOutcome => ({
        callId: 'c1',
        type: 'conversation-started',
        detail: { source: 'conversations' },
        source: 'conversations',
        notificationId: 'n-1',
        receivedAt: min(10),
        forgetIdsBefore: min(0),
        ...o,
      });

      it('records each outcome once per call, refuses a replayed notification id, and writes nothing for an unknown call', async () => {
        const told: string[] = [];
        const observed = await fresh((events) => told.push(...events.map((e) => `${e.callId}:${e.type}:${e.campaignId}`)));
        await observed.createCall(newCall('c1'), []);
        expect(await observed.recordConversationOutcome(outcome({}))).toBe('recorded');
        // The same notification again: a replay, whatever it says.
        expect(await observed.recordConversationOutcome(outcome({ type: 'conversation-resolved' }))).toBe('replay');
        // A new notification of an outcome the call has: accepted, nothing recorded.
        expect(await observed.recordConversationOutcome(outcome({ notificationId: 'n-2', receivedAt: min(11) }))).toBe('already');
        expect(await observed.recordConversationOutcome(outcome({ notificationId: 'n-3', type: 'conversation-resolved', receivedAt: min(12) }))).toBe('recorded');
        // The same id from another source is another notification.
        expect(await observed.recordConversationOutcome(outcome({ source: 'liveperson', type: 'agent-engaged', receivedAt: min(13) }))).toBe('recorded');
        expect(await observed.recordConversationOutcome(outcome({ callId: 'nope', notificationId: 'n-4' }))).toBe('unknown-call');
        // The unknown call's id was not remembered: the same id for a real call records.
        expect(await observed.recordConversationOutcome(outcome({ notificationId: 'n-4', type: 'conversation-abandoned', receivedAt: min(14) }))).toBe('recorded');
        const events = await observed.listEvents('c1');
        expect(events.map((e) => [e.type, e.createdAt])).toEqual([
          ['conversation-started', min(10)],
          ['conversation-resolved', min(12)],
          ['agent-engaged', min(13)],
          ['conversation-abandoned', min(14)],
        ]);
        expect(events[0]?.detail).toEqual({ source: 'conversations' });
        expect(told).toEqual(['c1:conversation-started:support', 'c1:conversation-resolved:support', 'c1:agent-engaged:support', 'c1:conversation-abandoned:support']);
      });

      it('forgets notification ids received before forgetIdsBefore, and only those', async () => {
        await store.createCall(newCall('c1'), []);
        await store.createCall(newCall('c2'), []);
        expect(await store.recordConversationOutcome(outcome({ notificationId: 'old', receivedAt: min(1) }))).toBe('recorded');
        expect(await store.recordConversationOutcome(outcome({ notificationId: 'kept', callId: 'c2', receivedAt: min(5) }))).toBe('recorded');
        // Ten minutes on, ids before minute 3 are forgotten: "old" is new again, "kept" is not.
        const later = { receivedAt: min(10), forgetIdsBefore: min(3) };
        expect(await store.recordConversationOutcome(outcome({ notificationId: 'kept', type: 'conversation-resolved', ...later }))).toBe('replay');
        expect(await store.recordConversationOutcome(outcome({ notificationId: 'old', type: 'conversation-resolved', ...later }))).toBe('recorded');
      });

      it('counts conversations started (any outcome) and resolved in the funnel, once per call', async () => {
        await store.createCall(newCall('c1'), [{ type: 'offered' }]);
        await store.createCall(newCall('c2', { createdAt: min(1) }), [{ type: 'offered' }]);
        await store.createCall(newCall('c3', { createdAt: min(2) }), [{ type: 'offered' }]);
        await store.recordConversationOutcome(outcome({ notificationId: 'a' }));
        await store.recordConversationOutcome(outcome({ notificationId: 'b', type: 'agent-engaged' }));
        await store.recordConversationOutcome(outcome({ notificationId: 'c', type: 'conversation-resolved' }));
        // c2's start report was lost: its abandonment says a conversation started.
        await store.recordConversationOutcome(outcome({ callId: 'c2', notificationId: 'd', type: 'conversation-abandoned' }));
        const [slot] = await store.funnelSlots({ from: min(0), to: min(15) });
        expect(slot).toMatchObject({ calls: 3, offered: 3, conversationsStarted: 2, conversationsResolved: 1 });
      });
    });

    describe('the audit trail', () => {
      const entry = (minute: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
        at: min(minute),
        actorKind: 'user',
        actorName: 'admin',
        ip: '203.0.113.7',
        action: 'campaign.update',
        target: 'campaign:spring',
        detail: '{"changes":[{"path":"/name","old":"A","new":"B"}]}',
        ...over,
      });

      it('appends entries that come back as written, newest first, and chain to each other', async () => {
        const first = await store.appendAudit(entry(0));
        const second = await store.appendAudit(entry(1, { actorKind: 'token', actorName: 'admin', ip: null, action: 'service.switch', target: null, detail: null }));
        expect(second.id).toBeGreaterThan(first.id);
        expect(second.hash).not.toBe(first.hash);
        expect(await store.searchAudit({ limit: 10 })).toEqual([second, first]);
        expect(await verifyAuditChain(store)).toEqual({ ok: true, checked: 2, checkpoint: null });
      });

      it('filters by time, actor and action (an action finds its sub-actions, not its namesakes) and pages by id', async () => {
        await store.appendAudit(entry(0, { action: 'campaign.create' }));
        await store.appendAudit(entry(1, { actorName: 'oidc:idp.example:42', action: 'campaign.update' }));
        await store.appendAudit(entry(2, { action: 'campaigns-export' }));
        await store.appendAudit(entry(3, { action: 'campaign' }));
        const actions = (list: { action: string }[]) => list.map((e) => e.action);
        expect(actions(await store.searchAudit({ action: 'campaign', limit: 10 }))).toEqual(['campaign', 'campaign.update', 'campaign.create']);
        expect(actions(await store.searchAudit({ actor: 'oidc:idp.example:42', limit: 10 }))).toEqual(['campaign.update']);
        expect(actions(await store.searchAudit({ from: min(1), to: min(3), limit: 10 }))).toEqual(['campaigns-export', 'campaign.update']);
        const [newest, next] = await store.searchAudit({ limit: 2 });
        expect(actions(await store.searchAudit({ beforeId: next!.id, limit: 10 }))).toEqual(['campaign.update', 'campaign.create']);
        expect(newest!.action).toBe('campaign');
      });

      it('chains appends made at once in one unbroken line', async () => {
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit(entry(i, { target: `t${i}` }))));
        expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 20 });
      });

      it('prunes the oldest entries with a checkpoint that the rest of the chain still verifies from', async () => {
        for (let i = 0; i < 5; i++) await store.appendAudit(entry(i * 10));
        expect(await store.pruneAuditBefore(min(25), min(100))).toBe(3);
        expect((await store.searchAudit({ limit: 10 })).map((e) => e.at)).toEqual([min(40), min(30)]);
        const checkpoint = await store.auditCheckpoint();
        expect(checkpoint).toMatchObject({ prunedAt: min(100), pruned: 3 });
        expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 2 });
        // Appends go on from the remaining chain; a second prune adds to the count.
        await store.appendAudit(entry(50));
        expect(await store.pruneAuditBefore(min(45), min(101))).toBe(2);
        expect(await store.auditCheckpoint()).toMatchObject({ pruned: 5 });
        expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 1 });
        expect(await store.pruneAuditBefore(min(0), min(102))).toBe(0);
      });

      it('continues the chain from the checkpoint when every entry was pruned', async () => {
        await store.appendAudit(entry(0));
        await store.pruneAuditBefore(min(5), min(6));
        await store.appendAudit(entry(7));
        expect(await verifyAuditChain(store)).toMatchObject({ ok: true, checked: 1 });
      });
    });

    describe('close', () => {
      it('closes once however often it is asked, and the store answers no more', async () => {
        await store.createCall(newCall('c1'), []);
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.getCall('c1')).rejects.toHaveProperty('message');
      });
    });
  });
}
