import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { OutboxSettings } from '../src/config';
import { Dispatcher, type EndCall, type FirstAttempt } from '../src/outbox/dispatcher';
import { retryDelayMs } from '../src/outbox/backoff';
import { BREAKER_THRESHOLD } from '../src/outbox/gateway-health';
import type { OutgoingSms, SendOutcome, SmsGateway } from '../src/sms/port';
import type { MessageRecord, NewMessage } from '../src/store/port';
import { SqliteStore } from '../src/store/sqlite';

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ivr-deflect-${prefix}-`));

/**
 * The outbox against the real SQLite store. Gateways here are scripted implementations
 * of the gateway port (each vendor adapter's HTTP is tested against its fake server in
 * test/sms); what is under test is the dispatcher's bookkeeping: when it retries, where
 * it fails over, how it slows down, and that nothing is lost or sent twice.
 */

type Script = (sms: OutgoingSms, attempt: number) => SendOutcome | Promise<SendOutcome>;

class ScriptedGateway implements SmsGateway {
  readonly sent: { sms: OutgoingSms; at: number }[] = [];
  private attempts = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    readonly name: string,
    public script: Script,
  ) {}
  async send(sms: OutgoingSms): Promise<SendOutcome> {
    const attempt = (this.attempts.get(sms.id) ?? 0) + 1;
    this.attempts.set(sms.id, attempt);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const outcome = await this.script(sms, attempt);
      this.sent.push({ sms, at: Date.now() });
      return outcome;
    } finally {
      this.inFlight -= 1;
    }
  }
}

const accepted = (sms: OutgoingSms): SendOutcome => ({ outcome: 'accepted', vendorMessageId: `v-${sms.id}` });
const serverError: SendOutcome = { outcome: 'retryable', code: 'http-503', detail: 'Service Unavailable' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SETTINGS: OutboxSettings = {
  attemptTimeoutMs: 1_000,
  maxAttempts: 4,
  retryBaseMs: 20,
  concurrency: 4,
  callerWaitMs: 500,
};

let counter = 0;
function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  counter += 1;
  return {
    id: `msg-${counter}`,
    callId: `call-${counter}`,
    campaignId: 'support',
    to: `+1617555${String(1000 + counter).slice(-4)}`,
    body: 'Chat with us: https://t.example.test/s/abcdefgh',
    gateway: 'primary',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

function setUp(gateways: SmsGateway[], settings: Partial<OutboxSettings> = {}, dataDir = path.join(tempDir('outbox'), 'data')) {
  const store = SqliteStore.open(dataDir);
  const dispatcher = new Dispatcher({
    store,
    gateways: new Map(gateways.map((g) => [g.name, g])),
    settings: { ...SETTINGS, ...settings },
    log: pino({ level: 'silent' }),
    pollMs: 10,
    random: () => 0.5, // no jitter: delays are exactly base × 2^n
  });
  return { store, dispatcher, dataDir };
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}

async function settled(store: SqliteStore, id: string): Promise<MessageRecord> {
  return waitFor(async () => {
    const m = await store.getMessage(id);
    return m && m.status !== 'queued' ? m : undefined;
  });
}

describe('retries', () => {
  it('retries a retryable failure with exponential backoff until it is accepted', async () => {
    const gateway = new ScriptedGateway('primary', (sms, attempt) => (attempt < 3 ? serverError : accepted(sms)));
    const { store, dispatcher } = setUp([gateway], { retryBaseMs: 100 });
    const { message } = await store.createMessage(newMessage());
    dispatcher.start();
    try {
      const sent = await settled(store, message.id);
      expect(sent).toMatchObject({ status: 'sent', attempts: 3, sentVia: 'primary', vendorMessageId: `v-${message.id}`, errorCode: null });
      const [first, second, third] = gateway.sent.map((s) => s.at);
      // 100 ms, then 200 ms (random fixed at 0.5: no jitter); polling adds a little.
      expect(second! - first!).toBeGreaterThanOrEqual(95);
      expect(third! - second!).toBeGreaterThanOrEqual(195);
      expect(third! - second!).toBeGreaterThan((second! - first!) * 1.5);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('sends the texts waiting out their backoff as soon as the gateway answers again after an outage', async () => {
    let down = true;
    const gateway = new ScriptedGateway('primary', (sms) => (down ? serverError : accepted(sms)));
    // Backoff far longer than the test: only the recovery can bring the retries forward.
    const { store, dispatcher } = setUp([gateway], { retryBaseMs: 30_000, maxAttempts: 10 });
    const waiting = await Promise.all([1, 2, 3].map(async () => (await store.createMessage(newMessage())).message));
    dispatcher.start();
    try {
      // Each failed once (BREAKER_THRESHOLD in a row: an outage) and waits ~30 s for its retry.
      await waitFor(async () => (await Promise.all(waiting.map((m) => store.getMessage(m.id)))).every((m) => m?.attempts === 1));
      expect(waiting).toHaveLength(BREAKER_THRESHOLD);
      down = false;
      const recoveredAt = Date.now();
      const { message: fresh } = await store.createMessage(newMessage());
      dispatcher.kick();
      for (const m of [fresh, ...waiting]) expect(await settled(store, m.id)).toMatchObject({ status: 'sent' });
      expect(Date.now() - recoveredAt).toBeLessThan(3_000);
      expect(gateway.sent.filter((s) => s.sms.id === waiting[0]?.id)).toHaveLength(2);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('gives up after the attempt limit and keeps the last error', async () => {
    const gateway = new ScriptedGateway('primary', () => serverError);
    const { store, dispatcher } = setUp([gateway], { maxAttempts: 3 });
    const { message } = await store.createMessage(newMessage());
    dispatcher.start();
    try {
      const failed = await settled(store, message.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 3, errorCode: 'http-503' });
      expect(failed.errorDetail).toContain('gave up after 3 attempts');
      expect(gateway.sent).toHaveLength(3);
      const events = await store.listEvents(message.callId);
      expect(events.map((e) => e.type)).toEqual(['sms-queued', 'sms-failed']);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('records a permanent failure at once, without retrying', async () => {
    const gateway = new ScriptedGateway('primary', () => ({
      outcome: 'permanent',
      code: 'twilio-21211',
      detail: "The 'To' number is not a valid phone number.",
      reason: 'invalid-number',
    }));
    const { store, dispatcher } = setUp([gateway]);
    const { message } = await store.createMessage(newMessage());
    dispatcher.start();
    try {
      expect(await settled(store, message.id)).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'twilio-21211' });
      await sleep(100);
      expect(gateway.sent).toHaveLength(1);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('treats an attempt that outlives its timeout as retryable', async () => {
    const gateway = new ScriptedGateway('primary', (sms, attempt) =>
      attempt === 1 ? new Promise<SendOutcome>(() => undefined) : accepted(sms),
    );
    const { store, dispatcher } = setUp([gateway], { attemptTimeoutMs: 200 });
    const { message } = await store.createMessage(newMessage());
    dispatcher.start();
    try {
      expect(await settled(store, message.id)).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('spreads retries with jitter between half and one and a half times the delay', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 0.999)).toBe(1499);
    expect(retryDelayMs(3, 1000, () => 0.5)).toBe(4000);
    expect(retryDelayMs(30, 1000, () => 0.5)).toBe(600_000);
  });
});

describe('failover', () => {
  it('moves a message to the fallback gateway after it failed twice on the primary', async () => {
    const primary = new ScriptedGateway('primary', () => serverError);
    const fallback = new ScriptedGateway('fallback', accepted);
    const { store, dispatcher } = setUp([primary, fallback]);
    const { message } = await store.createMessage(newMessage({ fallbackGateway: 'fallback' }));
    dispatcher.start();
    try {
      expect(await settled(store, message.id)).toMatchObject({ status: 'sent', sentVia: 'fallback', attempts: 3, gateway: 'primary' });
      expect(primary.sent).toHaveLength(2);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('sends new messages straight to the fallback while the primary is known to be down', async () => {
    const primary = new ScriptedGateway('primary', () => serverError);
    const fallback = new ScriptedGateway('fallback', accepted);
    const { store, dispatcher } = setUp([primary, fallback], { retryBaseMs: 5_000 });
    dispatcher.start();
    try {
      // Enough first attempts fail on the primary to open its breaker...
      const first = await Promise.all(
        Array.from({ length: BREAKER_THRESHOLD }, () => store.createMessage(newMessage({ fallbackGateway: 'fallback' }))),
      );
      await waitFor(async () => primary.sent.length >= BREAKER_THRESHOLD);
      // ...then a new message skips it.
      const { message } = await store.createMessage(newMessage({ fallbackGateway: 'fallback' }));
      expect(await dispatcher.sendNow(message.id, 1_000)).toEqual({ kind: 'sent' });
      expect(await store.getMessage(message.id)).toMatchObject({ sentVia: 'fallback', attempts: 1 });
      expect(primary.sent.map((s) => s.sms.id)).not.toContain(message.id);
      expect(first).toHaveLength(BREAKER_THRESHOLD);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });
});

describe('throttling', () => {
  it('pauses a gateway for its Retry-After when it answers 429, without spending attempts', async () => {
    let throttled = false;
    const gateway = new ScriptedGateway('primary', (sms) => {
      if (!throttled) {
        throttled = true;
        return { outcome: 'retryable', code: 'http-429', detail: 'Too Many Requests', throttled: true, retryAfterMs: 400 };
      }
      return accepted(sms);
    });
    const { store, dispatcher } = setUp([gateway], { concurrency: 1, maxAttempts: 2 });
    const messages = await Promise.all([1, 2, 3].map(() => store.createMessage(newMessage())));
    const started = Date.now();
    dispatcher.start();
    try {
      for (const { message } of messages) expect(await settled(store, message.id)).toMatchObject({ status: 'sent' });
      const afterThrottle = gateway.sent.slice(1).map((s) => s.at - started);
      // Nothing reached the gateway during the pause it asked for.
      for (const at of afterThrottle) expect(at).toBeGreaterThanOrEqual(390);
      // The throttled message still had attempts left: the pause did not use them up.
      const attempts = await Promise.all(messages.map(async ({ message }) => (await store.getMessage(message.id))!.attempts));
      expect(Math.max(...attempts)).toBeLessThanOrEqual(2);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });
});

describe('concurrency', () => {
  it('never has more vendor requests in flight than configured, and sends every message once', async () => {
    const gateway = new ScriptedGateway('primary', async (sms) => {
      await sleep(15);
      return accepted(sms);
    });
    const { store, dispatcher } = setUp([gateway], { concurrency: 3 });
    const messages = await Promise.all(Array.from({ length: 40 }, () => store.createMessage(newMessage())));
    dispatcher.start();
    try {
      for (const { message } of messages) await settled(store, message.id);
      expect(gateway.maxInFlight).toBeLessThanOrEqual(3);
      expect(gateway.maxInFlight).toBeGreaterThan(1);
      const ids = gateway.sent.map((s) => s.sms.id);
      expect(new Set(ids).size).toBe(40);
      expect(ids).toHaveLength(40);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });
});

describe("the caller's first attempt", () => {
  it('answers "pending" when the gateway is slower than the caller may wait, and the text still goes', async () => {
    const gateway = new ScriptedGateway('primary', async (sms) => {
      await sleep(600);
      return accepted(sms);
    });
    const { store, dispatcher } = setUp([gateway]);
    dispatcher.start();
    try {
      const { message } = await store.createMessage(newMessage());
      const started = Date.now();
      expect(await dispatcher.sendNow(message.id, 150)).toEqual({ kind: 'pending' });
      expect(Date.now() - started).toBeLessThan(400);
      expect(await settled(store, message.id)).toMatchObject({ status: 'sent', attempts: 1 });
      expect(gateway.sent).toHaveLength(1);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('sends a message admitted leased to it without claiming it again (sendLeased)', async () => {
    const gateway = new ScriptedGateway('primary', accepted);
    const { store, dispatcher } = setUp([gateway]);
    try {
      const { message } = await store.createMessage(newMessage({ leaseUntil: dispatcher.firstLease() }));
      const claim = jest.spyOn(store, 'claimMessage');
      expect(await dispatcher.sendLeased(message, 1_000)).toEqual({ kind: 'sent' });
      expect(claim).not.toHaveBeenCalled();
      expect(await store.getMessage(message.id)).toMatchObject({ status: 'sent', attempts: 1, leaseUntil: null });
      expect(gateway.sent).toHaveLength(1);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('does not text a number that opted out, and says so', async () => {
    const gateway = new ScriptedGateway('primary', accepted);
    const { store, dispatcher } = setUp([gateway]);
    try {
      const draft = newMessage();
      await store.suppress({ number: draft.to, keyword: 'STOP', source: 'twilio', createdAt: new Date().toISOString() });
      const { message } = await store.createMessage(draft);
      expect(await dispatcher.sendNow(message.id, 500)).toEqual({ kind: 'refused', reason: 'unsubscribed' });
      expect(await store.getMessage(message.id)).toMatchObject({ status: 'failed', errorCode: 'suppressed' });
      expect(gateway.sent).toHaveLength(0);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('does not text a number that opted out while its gateway is paused: refused, not queued for after the pause', async () => {
    let throttled = false;
    const gateway = new ScriptedGateway('primary', (sms) => {
      if (throttled) return accepted(sms);
      throttled = true;
      return { outcome: 'retryable', code: 'http-429', detail: 'Too Many Requests', throttled: true, retryAfterMs: 60_000 };
    });
    const { store, dispatcher } = setUp([gateway]);
    try {
      // The first text pauses the gateway for a minute.
      const { message: first } = await store.createMessage(newMessage());
      expect(await dispatcher.sendNow(first.id, 500)).toEqual({ kind: 'pending' });
      const draft = newMessage();
      await store.suppress({ number: draft.to, keyword: 'STOP', source: 'twilio', createdAt: new Date().toISOString() });
      const { message } = await store.createMessage(draft);
      expect(await dispatcher.sendNow(message.id, 500)).toEqual({ kind: 'refused', reason: 'unsubscribed' });
      expect(await store.getMessage(message.id)).toMatchObject({ status: 'failed', errorCode: 'suppressed', attemptStartedAt: null });
      expect(gateway.sent).toHaveLength(1);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('adds a number the vendor reports as unsubscribed to the suppression list', async () => {
    const gateway = new ScriptedGateway('primary', () => ({
      outcome: 'permanent',
      code: 'twilio-21610',
      detail: 'Attempt to send to unsubscribed recipient',
      reason: 'unsubscribed',
    }));
    const { store, dispatcher } = setUp([gateway]);
    try {
      const { message } = await store.createMessage(newMessage());
      expect(await dispatcher.sendNow(message.id, 500)).toEqual({ kind: 'refused', reason: 'unsubscribed' });
      expect(await store.isSuppressed(message.to)).toBe(true);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });
});

describe("the caller's call ending, written with the first attempt's result", () => {
  /** A call in "sending" for the message, and an endCall that notes what it was asked to end with. */
  async function sendingCall(store: SqliteStore, message: MessageRecord) {
    const at = new Date().toISOString();
    await store.createCall(
      { id: message.callId, campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: message.to, platformCallId: 'p', state: 'sending', result: null, lastPage: null, createdAt: at, expiresAt: at },
      [],
    );
    const asked: FirstAttempt[] = [];
    const endCall: EndCall = (attempt) => {
      asked.push(attempt);
      return { callId: message.callId, update: { state: 'sent' }, events: [{ type: 'handed-back', detail: { reason: attempt.kind } }], at, from: 'sending' };
    };
    return { asked, endCall };
  }

  it('ends the call in the write that records a sent text, and says so', async () => {
    const { store, dispatcher } = setUp([new ScriptedGateway('primary', accepted)]);
    try {
      const { message } = await store.createMessage(newMessage());
      const { asked, endCall } = await sendingCall(store, message);
      expect(await dispatcher.sendNow(message.id, 1_000, endCall)).toEqual({ kind: 'sent', ended: true });
      expect(asked).toEqual([{ kind: 'sent' }]);
      expect(await store.getCall(message.callId)).toMatchObject({ state: 'sent' });
      expect((await store.listEvents(message.callId)).map((e) => e.type)).toEqual(['sms-queued', 'sms-sent', 'handed-back']);
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('reports a call another request moved on first: the text is recorded, the call left as it is', async () => {
    const { store, dispatcher } = setUp([new ScriptedGateway('primary', accepted)]);
    try {
      const { message } = await store.createMessage(newMessage());
      const { endCall } = await sendingCall(store, message);
      await store.updateCall(message.callId, { state: 'failed' }, [], new Date().toISOString());
      expect(await dispatcher.sendNow(message.id, 1_000, endCall)).toEqual({ kind: 'sent', ended: false });
      expect(await store.getMessage(message.id)).toMatchObject({ status: 'sent' });
      expect(await store.getCall(message.callId)).toMatchObject({ state: 'failed' });
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('leaves the ending to the caller once its wait has run out', async () => {
    const gateway = new ScriptedGateway('primary', async (sms) => {
      await sleep(300);
      return accepted(sms);
    });
    const { store, dispatcher } = setUp([gateway]);
    try {
      const { message } = await store.createMessage(newMessage());
      const { asked, endCall } = await sendingCall(store, message);
      expect(await dispatcher.sendNow(message.id, 50, endCall)).toEqual({ kind: 'pending' });
      expect(await settled(store, message.id)).toMatchObject({ status: 'sent' });
      expect(asked).toEqual([]);
      expect(await store.getCall(message.callId)).toMatchObject({ state: 'sending' });
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });

  it('does not carry it on a refusal the fallback answers for: the caller hears the fallback\'s outcome', async () => {
    const gateway = new ScriptedGateway('primary', () => ({ outcome: 'permanent', code: 'rejected', detail: 'no', reason: 'rejected' }));
    const { store, dispatcher } = setUp([gateway]);
    try {
      const fallback = { channel: 'sms' as const, gateway: 'primary', fallbackGateway: null, body: 'Chat with us', afterSeconds: null };
      const { message } = await store.createMessage(newMessage({ channel: 'whatsapp', fallback }));
      const { asked, endCall } = await sendingCall(store, message);
      const answer = await dispatcher.sendNow(message.id, 1_000, endCall);
      expect(answer).not.toHaveProperty('ended');
      expect(asked).toEqual([]);
      expect(await store.getCall(message.callId)).toMatchObject({ state: 'sending' });
    } finally {
      await dispatcher.stop();
      await store.close();
    }
  });
});

describe('leases', () => {
  it('lets a second dispatcher take a message whose dispatcher died mid-send, once its lease ran out', async () => {
    const dataDir = path.join(tempDir('outbox'), 'data');
    const stuck = new ScriptedGateway('primary', () => new Promise<SendOutcome>(() => undefined));
    const first = setUp([stuck], { attemptTimeoutMs: 1_500 }, dataDir);
    const { message } = await first.store.createMessage(newMessage());
    void first.dispatcher.sendNow(message.id, 0);
    await waitFor(async () => stuck.sent.length === 0 && stuck.inFlight === 1);
    const leased = await first.store.getMessage(message.id);
    expect(leased?.leaseUntil).not.toBeNull();

    // Another process on the same store: it must not touch the leased message...
    const healthy = new ScriptedGateway('primary', accepted);
    const second = setUp([healthy], {}, dataDir);
    expect(await second.store.claimDueMessages(new Date().toISOString(), new Date(Date.now() + 1000).toISOString(), 10)).toEqual([]);
    // ...until the lease has run out.
    const later = new Date(Date.parse(leased!.leaseUntil!) + 1).toISOString();
    const claimed = await second.store.claimDueMessages(later, new Date(Date.parse(later) + 1000).toISOString(), 10);
    expect(claimed.map((m) => m.id)).toEqual([message.id]);
    await second.store.close();
    await first.dispatcher.stop();
    await first.store.close();
  });
});

describe('lease renewal', () => {
  it('extends a lease only for the dispatcher that still holds it', async () => {
    const { store } = setUp([]);
    try {
      const { message } = await store.createMessage(newMessage());
      const now = new Date();
      const held = new Date(now.getTime() + 1_000).toISOString();
      await store.claimMessage(message.id, now.toISOString(), held);
      expect(await store.renewLease(message.id, held, new Date(now.getTime() + 5_000).toISOString())).toBe(true);
      // The lease is no longer the one first taken: a stale holder cannot renew it.
      expect(await store.renewLease(message.id, held, new Date(now.getTime() + 9_000).toISOString())).toBe(false);
    } finally {
      await store.close();
    }
  });
});
