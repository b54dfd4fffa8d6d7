import path from 'node:path';
import type { TwilioSettings } from '../../src/sms/gateway-config';
import { TwilioGateway } from '../../src/sms/twilio';
import { startFakeServer } from '../fakes/fake-server';
import { startTwilioWithList, TWILIO_ACCOUNT, twilioError, type TwilioMessageLedger } from '../fakes/twilio';
import type { FakeServer } from '../fakes/fake-server';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';

/**
 * Twilio's resend check: Twilio takes no reference of ours, so "do you have this text?"
 * is its Message list filtered by To (and From), matched on body and creation time. The
 * fake keeps what it accepted and lists it in the documented ListMessageResponse shape
 * (test/fakes/twilio.ts); the Prism test checks the request against the official spec.
 */

const STATUS_URL = 'https://ivr.example.com/webhooks/twilio/status';
const signal = () => new AbortController().signal;

describe('TwilioGateway.findSent against a fake Twilio that keeps its Messages', () => {
  let twilio: FakeServer & { ledger: TwilioMessageLedger };
  beforeAll(async () => {
    twilio = await startTwilioWithList();
  });
  afterAll(() => twilio.close());
  beforeEach(() => {
    twilio.ledger.messages.length = 0;
    twilio.requests.length = 0;
  });

  const gateway = (overrides: Partial<TwilioSettings> = {}) =>
    new TwilioGateway({ ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: twilio.url, ...overrides }, { statusUrl: STATUS_URL });
  const sms = { id: 'm1', to: '+14155550100', body: 'Chat with us: https://t.example.test/s/abc' };

  it('says lookup is how a resend is kept from texting twice', () => {
    expect(gateway().resendSafety).toBe('lookup');
  });

  it('finds a text Twilio accepted whose answer was lost, by recipient, body and time, and returns its sid', async () => {
    const since = new Date().toISOString();
    const sent = await gateway().send(sms, signal());
    expect(sent.outcome).toBe('accepted');
    const found = await gateway().findSent(sms, since, signal());
    expect(found).toEqual({ kind: 'found', vendorMessageId: (sent as { vendorMessageId: string }).vendorMessageId, code: 'queued' });
    const lookup = twilio.requests.at(-1)!;
    expect(lookup.method).toBe('GET');
    expect(Object.fromEntries(lookup.query)).toEqual({ To: sms.to, PageSize: '50' });
  });

  it('finds it whichever of our senders sent it (a Messaging Service pool, another instance)', async () => {
    const since = new Date().toISOString();
    await gateway({ from: '+15005550001' }).send(sms, signal());
    expect(await gateway({ messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' }).findSent(sms, since, signal())).toMatchObject({ kind: 'found' });
  });

  it('answers not-found when the number has no such text: another body, or one sent before the attempt', async () => {
    await gateway().send({ ...sms, body: 'another campaign' }, signal());
    expect(await gateway().findSent(sms, new Date().toISOString(), signal())).toEqual({ kind: 'not-found' });
    await gateway().send(sms, signal());
    // An identical text from well before this attempt (yesterday's call) is not this one.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await gateway().findSent(sms, tomorrow, signal())).toEqual({ kind: 'not-found' });
  });

  it('pages through the list (next_page_uri) until it finds the text', async () => {
    const g = gateway();
    const since = new Date(Date.now() - 1_000).toISOString();
    await g.send(sms, signal());
    for (let i = 0; i < 60; i += 1) await g.send({ ...sms, body: `other ${i}` }, signal());
    const found = await g.findSent(sms, since, signal());
    expect(found.kind).toBe('found');
    expect(twilio.requests.filter((r) => r.method === 'GET').map((r) => r.query.get('Page'))).toEqual([null, '1']);
  });

  it('answers unknown (ask again later) when the list fails or cannot be read, never not-found', async () => {
    const broken = await startFakeServer(() => twilioError(503, 20500, 'Service Unavailable'));
    try {
      const found = await gateway({ baseUrl: broken.url }).findSent(sms, new Date().toISOString(), signal());
      expect(found).toMatchObject({ kind: 'unknown' });
      expect((found as { detail: string }).detail).toContain('503');
    } finally {
      await broken.close();
    }
    const garbled = await startFakeServer(() => ({ status: 200, body: '<html>captive portal</html>' }));
    try {
      expect(await gateway({ baseUrl: garbled.url }).findSent(sms, new Date().toISOString(), signal())).toMatchObject({ kind: 'unknown' });
    } finally {
      await garbled.close();
    }
  });

  it('never follows a next_page_uri to another host', async () => {
    const elsewhere = await startFakeServer(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [], next_page_uri: 'http://198.51.100.7/steal' }),
    }));
    try {
      expect(await gateway({ baseUrl: elsewhere.url }).findSent(sms, new Date().toISOString(), signal())).toMatchObject({ kind: 'unknown' });
      expect(elsewhere.requests).toHaveLength(1);
    } finally {
      await elsewhere.close();
    }
  });
});

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/twilio_api_v2010.json');
const describeContract = describeIfSpec(SPEC, 'the Twilio Message list contract test');

describeContract('TwilioGateway.findSent against the official Twilio API spec (Prism)', () => {
  let prism: PrismMock | undefined;
  beforeAll(async () => {
    // Not --errors: the spec's own list example breaks its own "uri" format (its
    // first_page_uri and next_page_uri are relative, as Twilio's are), which --errors turns
    // into a 500. A request that breaks the spec is refused all the same (422).
    prism = await startPrism(SPEC, { timeoutMs: 50_000 });
  }, 60_000);
  afterAll(async () => {
    await prism?.stop();
  });

  it("sends a list request the spec accepts and reads the spec's own example page (readFullPage1)", async () => {
    const g = new TwilioGateway({ ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: prism!.url }, { statusUrl: STATUS_URL });
    // The example page holds one outbound text, body "testing", created Fri, 24 May 2019 17:44:46 +0000.
    const found = await g.findSent({ id: 'm1', to: '+123456789', body: 'testing' }, '2019-05-24T17:44:00Z', new AbortController().signal);
    if (found.kind === 'unknown') throw new Error(found.detail);
    expect(found).toEqual({ kind: 'found', vendorMessageId: 'SMded05904ccb347238880ca9264e8fe1c', code: 'sent' });
  }, 60_000);
});
