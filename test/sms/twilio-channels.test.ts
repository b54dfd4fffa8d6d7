import { createGateways } from '../../src/sms/create-gateway';
import { gatewaySettingsFrom, type TwilioSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms } from '../../src/sms/port';
import { TwilioGateway } from '../../src/sms/twilio';
import {
  TWILIO_ACCOUNT,
  acceptTwilioMessage,
  signedTwilioRequest,
  startFakeTwilio,
  twilioError,
  twilioInboundFields,
  twilioMessage,
  twilioStatusFields,
  type FakeTwilio,
} from '../fakes/twilio';

/**
 * WhatsApp and RCS through Twilio's Messages resource: how each is addressed
 * (https://www.twilio.com/docs/rcs/send-an-rcs-message, Content templates with
 * ContentSid/ContentVariables), the WhatsApp error codes
 * (https://www.twilio.com/docs/api/errors, https://www.twilio.com/docs/whatsapp/api/error-code-mapping),
 * read receipts and WhatsApp replies.
 */

const STATUS_URL = 'https://ivr.example.com/webhooks/twilio/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/twilio/inbound';
const SMS_SERVICE = 'MG0123456789abcdef0123456789abcdef';
const RCS_SERVICE = 'MGfedcba9876543210fedcba9876543210';
const WHATSAPP_FROM = '+15005550010';

const WHATSAPP: OutgoingSms = {
  id: 'msg-w1',
  to: '+14155550100',
  body: 'Chat with us: https://x.example/c/abc',
  channel: 'whatsapp',
  template: { name: 'HX0123456789abcdef0123456789abcdef', language: 'en_US', body: ['https://x.example/c/abc', 'Acme'], urlButton: 'abc' },
};
const RCS: OutgoingSms = { id: 'msg-r1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc', channel: 'rcs' };

let fake: FakeTwilio;

beforeAll(async () => {
  fake = await startFakeTwilio();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.messages.length = 0;
  fake.respond(acceptTwilioMessage);
});

function gateway(overrides: Partial<TwilioSettings> = {}): TwilioGateway {
  return new TwilioGateway(
    { ...TWILIO_ACCOUNT, from: '+15005550006', whatsappFrom: WHATSAPP_FROM, rcsMessagingServiceSid: RCS_SERVICE, baseUrl: fake.url, ...overrides },
    { statusUrl: STATUS_URL },
  );
}

const sentForm = () => Object.fromEntries(new URLSearchParams(fake.requests[0]!.body));

describe('which channels a Twilio gateway carries', () => {
  it('carries WhatsApp with a WhatsApp sender and RCS with an RCS Messaging Service', () => {
    expect(gateway().channels).toEqual(['sms', 'whatsapp', 'rcs']);
  });

  it('carries SMS alone when neither is configured', () => {
    expect(gateway({ whatsappFrom: undefined, rcsMessagingServiceSid: undefined }).channels).toEqual(['sms']);
  });

  it('the server’s gateways (wrapped to redact refusals) still name their channels, so campaigns can be checked against them', () => {
    const built = createGateways({
      gateways: { twilio: { ...TWILIO_ACCOUNT, from: '+15005550006', whatsappFrom: WHATSAPP_FROM, baseUrl: fake.url } },
      sandboxFailNumbers: [],
      publicBaseUrl: 'https://ivr.example.com',
    });

    expect(built.get('twilio')!.channels).toEqual(['sms', 'whatsapp']);
  });

  it('reads TWILIO_WHATSAPP_FROM (with or without its whatsapp: prefix) and TWILIO_RCS_MESSAGING_SERVICE_SID', () => {
    const { settings, problems } = gatewaySettingsFrom({
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_WHATSAPP_FROM: `whatsapp:${WHATSAPP_FROM}`,
      TWILIO_RCS_MESSAGING_SERVICE_SID: RCS_SERVICE,
    });

    expect(problems).toEqual([]);
    expect(settings.twilio).toMatchObject({ whatsappFrom: WHATSAPP_FROM, rcsMessagingServiceSid: RCS_SERVICE });
  });
});

describe('WhatsApp through Twilio: the request', () => {
  it('sends the Content template to whatsapp:+E164 from the WhatsApp sender, variables numbered body first, then the URL button', async () => {
    const outcome = await gateway().send(WHATSAPP, AbortSignal.timeout(5000));

    expect(sentForm()).toEqual({
      To: 'whatsapp:+14155550100',
      From: `whatsapp:${WHATSAPP_FROM}`,
      ContentSid: WHATSAPP.template!.name,
      ContentVariables: JSON.stringify({ 1: 'https://x.example/c/abc', 2: 'Acme', 3: 'abc' }),
      StatusCallback: STATUS_URL,
    });
    expect(outcome).toMatchObject({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^SM/) });
  });

  it('sends through the Messaging Service when no WhatsApp sender is configured', async () => {
    await gateway({ whatsappFrom: undefined, messagingServiceSid: SMS_SERVICE }).send(WHATSAPP, AbortSignal.timeout(5000));

    expect(sentForm()).toMatchObject({ To: 'whatsapp:+14155550100', MessagingServiceSid: SMS_SERVICE });
    expect(sentForm()).not.toHaveProperty('From');
  });

  it('sends a WhatsApp message without a template as Body (a reply inside the 24-hour window)', async () => {
    await gateway().send({ ...WHATSAPP, template: undefined }, AbortSignal.timeout(5000));

    expect(sentForm()).toMatchObject({ To: 'whatsapp:+14155550100', Body: WHATSAPP.body });
    expect(sentForm()).not.toHaveProperty('ContentSid');
  });

  it('leaves SMS exactly as before', async () => {
    await gateway().send({ id: 'm', to: '+14155550100', body: 'hi' }, AbortSignal.timeout(5000));

    expect(sentForm()).toEqual({ To: '+14155550100', From: '+15005550006', Body: 'hi', StatusCallback: STATUS_URL });
  });
});

describe('RCS through Twilio: the request', () => {
  it('sends to the plain number through the RCS Messaging Service, so Twilio itself falls back to SMS', async () => {
    const outcome = await gateway().send(RCS, AbortSignal.timeout(5000));

    expect(sentForm()).toEqual({ To: '+14155550100', MessagingServiceSid: RCS_SERVICE, Body: RCS.body, StatusCallback: STATUS_URL });
    expect(outcome).toMatchObject({ outcome: 'accepted' });
  });
});

describe('WhatsApp errors Twilio answers', () => {
  // Each code and message from https://www.twilio.com/docs/api/errors/<code>.
  it.each([
    [63003, 'Channel could not find To address', 'not-on-channel'],
    [63024, 'Invalid message recipient', 'not-on-channel'],
    [63032, 'We cannot send this message to this user because of a WhatsApp limitation', 'not-on-channel'],
    [63016, 'Failed to send freeform message because you are outside the allowed window. Please use a Template.', 'rejected'],
    [63014, 'Channel message blocked by user action', 'blocked'],
  ])('error %i is permanent: %s', async (code, message, reason) => {
    fake.respond(() => twilioError(400, code, message));

    const outcome = await gateway().send(WHATSAPP, AbortSignal.timeout(5000));

    expect(outcome).toEqual({ outcome: 'permanent', code: `twilio-${code}`, detail: expect.stringContaining(message), reason });
  });

  it('63007 (our WhatsApp sender is unknown or pending) is ours to fix: retryable, so a fallback gateway may send', async () => {
    fake.respond(() => twilioError(400, 63007, "Twilio could not find a Channel with the specified 'From' address"));

    const outcome = await gateway().send(WHATSAPP, AbortSignal.timeout(5000));

    expect(outcome).toMatchObject({ outcome: 'retryable', code: 'twilio-63007' });
  });
});

describe('Twilio callbacks on WhatsApp and RCS', () => {
  const signed = (fields: Record<string, string>, url = STATUS_URL) => signedTwilioRequest(TWILIO_ACCOUNT.authToken, url, fields);

  it('reads MessageStatus=read as read, a step past delivered', () => {
    const req = signed(twilioStatusFields({ messageSid: 'SMabc', status: 'read', to: 'whatsapp:+14155550100', from: `whatsapp:${WHATSAPP_FROM}` }));

    expect(gateway().parseReceipt(req)).toEqual({ ok: true, value: [{ vendorMessageId: 'SMabc', status: 'read', vendorStatus: 'read' }] });
  });

  it('keeps the WhatsApp error code of an undelivered message (63024: not on WhatsApp)', () => {
    const req = signed(twilioStatusFields({ messageSid: 'SMabc', status: 'undelivered', errorCode: '63024' }));

    expect(gateway().parseReceipt(req)).toMatchObject({ ok: true, value: [{ status: 'undelivered', errorCode: '63024' }] });
  });

  it('reads a WhatsApp reply as from the plain number, on the whatsapp channel', () => {
    const fields = twilioInboundFields({ from: 'whatsapp:+14155550100', to: `whatsapp:${WHATSAPP_FROM}`, body: 'STOP' });

    expect(gateway().parseInbound(signed(fields, INBOUND_URL))).toEqual({
      ok: true,
      value: { from: '+14155550100', to: WHATSAPP_FROM, text: 'STOP', vendorMessageId: fields.MessageSid, channel: 'whatsapp' },
    });
  });

  it('reads a plain-number reply as SMS (no channel named)', () => {
    const fields = twilioInboundFields({ from: '+14155550100', to: '+15005550006', body: 'STOP' });

    expect(gateway().parseInbound(signed(fields, INBOUND_URL))).toMatchObject({ ok: true, value: { from: '+14155550100' } });
    expect(gateway().parseInbound(signed(fields, INBOUND_URL))).not.toHaveProperty('value.channel');
  });

  it('refuses a forged WhatsApp reply, and one replayed with its From changed', () => {
    const fields = twilioInboundFields({ from: 'whatsapp:+14155550100', to: `whatsapp:${WHATSAPP_FROM}`, body: 'STOP' });
    const good = signed(fields, INBOUND_URL);
    const changed = { ...good, rawBody: good.rawBody.replace('4155550100', '4155550199'), params: { ...good.params, From: 'whatsapp:+14155550199' } };

    expect(gateway().parseInbound(signedTwilioRequest('not-our-token', INBOUND_URL, fields))).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound(changed)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('the resend lookup on WhatsApp', () => {
  it('finds a template Twilio accepted by its whatsapp: address (Twilio renders the template, so the body cannot match)', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    fake.messages.push(twilioMessage({ to: 'whatsapp:+14155550100', from: `whatsapp:${WHATSAPP_FROM}`, body: 'Hi! Chat with us at https://x.example/c/abc' }));

    const found = await gateway().findSent(WHATSAPP, since, AbortSignal.timeout(5000));

    expect(found).toMatchObject({ kind: 'found' });
    expect(new URL(fake.requests[0]!.url, 'http://x').searchParams.get('To')).toBe('whatsapp:+14155550100');
  });

  it('does not take an SMS to the same number for the WhatsApp message', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    fake.messages.push(twilioMessage({ to: '+14155550100', from: '+15005550006', body: WHATSAPP.body }));

    expect(await gateway().findSent(WHATSAPP, since, AbortSignal.timeout(5000))).toEqual({ kind: 'not-found' });
  });
});
