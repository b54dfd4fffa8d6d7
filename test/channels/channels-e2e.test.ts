import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import type { WebhookRequest } from '../../src/sms/port';
import type { FakeServer, RecordedRequest } from '../fakes/fake-server';
import { TWILIO_ACCOUNT, signedTwilioRequest, startFakeTwilio, twilioStatusFields, type FakeTwilio } from '../fakes/twilio';
import { signedVonageWebhook, startFakeVonageMessages, vonageApplication, vonageStatusBody, type FakeVonageMessages } from '../fakes/vonage-messages';
import {
  signedWhatsappRequest,
  startFakeWhatsapp,
  statusBody as whatsappStatusBody,
  WA_APP_SECRET,
  WA_PHONE_NUMBER_ID,
  WA_TOKEN,
  WA_VERIFY_TOKEN,
  WA_VERSION,
} from '../fakes/whatsapp-cloud';
import { IvrCaller } from '../helpers/ivr-caller';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, waitForTheGateway, type TestServer } from '../helpers/server';
import { expectValidVxml } from '../helpers/vxml-schema';

/**
 * Issue 18's "Done when", first half: a whole call per channel through the real app (IVR
 * documents, store, outbox, the real adapter on loopback to the vendor's fake, the real
 * webhook routes), one case per vendor and channel. For each, what a user notices:
 * the caller hears the channel's "sent" prompt; the vendor got the documented request;
 * /api/messages shows the message on its channel; signed delivered then read receipts
 * move it forward, while a forged and an unsigned one are refused and change nothing;
 * /api/consent holds the channel and its consent wording; /api/reports/channels counts it.
 *
 * The WhatsApp Cloud call goes through Prism's validating proxy with Meta's own OpenAPI
 * spec (with the button-index erratum explained in test/sms/whatsapp-cloud-contract.test.ts),
 * so every request the adapter makes in a whole call is checked against Meta's spec.
 */

jest.setTimeout(60_000);

const DNIS = '+18005550100';
const ANI = '+16175551234';
const WA_CONSENT = 'By pressing 1 you agree to get WhatsApp messages from Acme.';
const RCS_CONSENT = 'By pressing 1 you agree to get chat messages from Acme in your Messages app.';
const TEMPLATE = { name: 'chat_link', language: 'en_US', body: ['{link}'], urlButton: '{code}' };
/** Twilio names a WhatsApp template by its Content SID. */
const CONTENT_SID = 'HXb5b62575e6e4ff6129ad7c8efe1f983e';
const TW_WHATSAPP_FROM = '+14155238886';
const TW_RCS_SERVICE = 'MG0123456789abcdef0123456789abcdef';
const VN_APP = vonageApplication();
const VN_WHATSAPP_FROM = '14155550102';
const VN_RCS_FROM = 'AcmeRcsAgent';

type FirstChannel = 'whatsapp' | 'rcs';

interface Vendor {
  /** Every request the vendor's fake received. */
  requests: RecordedRequest[];
  env: Record<string, string>;
  close(): Promise<void>;
}

interface ChannelCase {
  label: string;
  channel: FirstChannel;
  gateway: 'whatsapp-cloud' | 'twilio' | 'vonage-messages';
  /** The channels entry for the campaign. */
  entry: NonNullable<CampaignInput['channels']>['list'][number];
  consent: string;
  start(): Promise<Vendor>;
  /** The vendor's request, as its documentation says it should look, for this call's link. */
  expectRequest(req: RecordedRequest, link: { url: string; code: string }): void;
  /** The vendor's id of the message in its answer to the send. */
  vendorIdOf(vendor: Vendor, stored: Record<string, unknown>): string;
  /** A signed status callback; `secret` overrides the signing secret (a forgery). */
  receipt(vendorId: string, status: 'delivered' | 'read', secret?: string): WebhookRequest;
  /** The header that carries the signature (removed for the unsigned replay). */
  signatureHeader: string;
  /** Credentials that must appear in no VoiceXML document and no admin API answer. */
  secrets: string[];
}

const statusUrl = (gateway: string) => `${PUBLIC_BASE_URL}/webhooks/${gateway}/status`;
const bodyJson = (req: RecordedRequest) => JSON.parse(req.body) as Record<string, unknown>;
const formOf = (req: RecordedRequest) => Object.fromEntries(new URLSearchParams(req.body));

function twilioVendor(fake: FakeTwilio, extra: Record<string, string>): Vendor {
  return {
    requests: fake.requests,
    env: { TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid, TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken, TWILIO_FROM: '+15005550006', TWILIO_BASE_URL: fake.url, ...extra },
    close: () => fake.close(),
  };
}
let twilioFake: FakeTwilio | undefined;
let vonageFake: FakeVonageMessages | undefined;

const twilioReceipt =
  (to: string, from: string) =>
  (sid: string, status: string, secret: string = TWILIO_ACCOUNT.authToken): WebhookRequest =>
    signedTwilioRequest(secret, statusUrl('twilio'), twilioStatusFields({ messageSid: sid, status, to, from }));

const vonageReceipt =
  (channel: FirstChannel) =>
  (uuid: string, status: string, secret: string = VN_APP.signatureSecret): WebhookRequest =>
    signedVonageWebhook(secret, statusUrl('vonage-messages'), vonageStatusBody({ uuid, status, channel }));

const vonageEnv = (url: string): Record<string, string> => ({
  VONAGE_MESSAGES_APPLICATION_ID: VN_APP.applicationId,
  VONAGE_MESSAGES_PRIVATE_KEY: VN_APP.privateKey,
  VONAGE_MESSAGES_SIGNATURE_SECRET: VN_APP.signatureSecret,
  VONAGE_MESSAGES_SMS_FROM: '18445550001',
  VONAGE_MESSAGES_WHATSAPP_FROM: VN_WHATSAPP_FROM,
  VONAGE_MESSAGES_RCS_FROM: VN_RCS_FROM,
  VONAGE_MESSAGES_BASE_URL: url,
});

const TWILIO_WHATSAPP: ChannelCase = {
  label: 'WhatsApp via twilio (Content template)',
  channel: 'whatsapp',
  gateway: 'twilio',
  entry: { channel: 'whatsapp', gateway: 'twilio', template: { ...TEMPLATE, name: CONTENT_SID }, consent: WA_CONSENT },
  consent: WA_CONSENT,
  async start() {
    twilioFake = await startFakeTwilio();
    return twilioVendor(twilioFake, { TWILIO_WHATSAPP_FROM: TW_WHATSAPP_FROM });
  },
  expectRequest(req, link) {
    // https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder
    const form = formOf(req);
    expect(form).toMatchObject({ To: `whatsapp:${ANI}`, From: `whatsapp:${TW_WHATSAPP_FROM}`, ContentSid: CONTENT_SID });
    expect(JSON.parse(form.ContentVariables ?? '{}')).toEqual({ 1: link.url, 2: link.code });
    expect(form.Body).toBeUndefined();
  },
  vendorIdOf: () => twilioFake!.messages[0]!.sid,
  receipt: (sid, status, secret) => twilioReceipt(`whatsapp:${ANI}`, `whatsapp:${TW_WHATSAPP_FROM}`)(sid, status, secret),
  signatureHeader: 'x-twilio-signature',
  secrets: [TWILIO_ACCOUNT.authToken],
};

const TWILIO_RCS: ChannelCase = {
  label: 'RCS via twilio (Messaging Service with an RCS sender)',
  channel: 'rcs',
  gateway: 'twilio',
  entry: { channel: 'rcs', gateway: 'twilio', message: 'Chat with us in Messages: {link}', consent: RCS_CONSENT },
  consent: RCS_CONSENT,
  async start() {
    twilioFake = await startFakeTwilio();
    return twilioVendor(twilioFake, { TWILIO_RCS_MESSAGING_SERVICE_SID: TW_RCS_SERVICE });
  },
  expectRequest(req, link) {
    // https://www.twilio.com/docs/rcs/send-an-rcs-message: the service's RCS sender, SMS fallback by Twilio.
    expect(formOf(req)).toMatchObject({ To: ANI, MessagingServiceSid: TW_RCS_SERVICE, Body: `Chat with us in Messages: ${link.url}` });
    expect(formOf(req).From).toBeUndefined();
  },
  vendorIdOf: () => twilioFake!.messages[0]!.sid,
  receipt: (sid, status, secret) => twilioReceipt(ANI, TW_RCS_SERVICE)(sid, status, secret),
  signatureHeader: 'x-twilio-signature',
  secrets: [TWILIO_ACCOUNT.authToken],
};

const VONAGE_WHATSAPP: ChannelCase = {
  label: 'WhatsApp via vonage-messages (template)',
  channel: 'whatsapp',
  gateway: 'vonage-messages',
  entry: { channel: 'whatsapp', gateway: 'vonage-messages', template: TEMPLATE, consent: WA_CONSENT },
  consent: WA_CONSENT,
  async start() {
    vonageFake = await startFakeVonageMessages(VN_APP);
    const fake = vonageFake;
    return { requests: fake.requests, env: vonageEnv(fake.url), close: () => fake.close() };
  },
  expectRequest(req, link) {
    // https://developer.vonage.com/en/messages/concepts/whatsapp (template with WhatsApp's components)
    // A URL button's variable goes in a custom message carrying WhatsApp's template object
    // ("Sending WhatsApp templates with buttons" on that page).
    expect(bodyJson(req)).toEqual({
      channel: 'whatsapp',
      message_type: 'custom',
      to: ANI.slice(1),
      from: VN_WHATSAPP_FROM,
      client_ref: expect.any(String),
      custom: {
        type: 'template',
        template: {
          name: 'chat_link',
          language: { policy: 'deterministic', code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: link.url }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: link.code }] },
          ],
        },
      },
    });
  },
  vendorIdOf: () => vonageFake!.accepted[0]!.uuid,
  receipt: (uuid, status, secret) => vonageReceipt('whatsapp')(uuid, status, secret),
  signatureHeader: 'authorization',
  secrets: [VN_APP.signatureSecret, VN_APP.privateKey.split('\n')[1]!],
};

const VONAGE_RCS: ChannelCase = {
  label: 'RCS via vonage-messages (SMS failover by Vonage)',
  channel: 'rcs',
  gateway: 'vonage-messages',
  entry: { channel: 'rcs', gateway: 'vonage-messages', message: 'Chat with us in Messages: {link}', consent: RCS_CONSENT },
  consent: RCS_CONSENT,
  async start() {
    vonageFake = await startFakeVonageMessages(VN_APP);
    const fake = vonageFake;
    return { requests: fake.requests, env: vonageEnv(fake.url), close: () => fake.close() };
  },
  expectRequest(req, link) {
    // https://developer.vonage.com/en/api/messages (RCS text) and .../guides/failover-message
    const body = bodyJson(req);
    expect(body).toMatchObject({ channel: 'rcs', message_type: 'text', to: ANI.slice(1), from: VN_RCS_FROM, text: `Chat with us in Messages: ${link.url}` });
  },
  vendorIdOf: () => vonageFake!.accepted[0]!.uuid,
  receipt: (uuid, status, secret) => vonageReceipt('rcs')(uuid, status, secret),
  signatureHeader: 'authorization',
  secrets: [VN_APP.signatureSecret, VN_APP.privateKey.split('\n')[1]!],
};

// --- Helpers ---------------------------------------------------------------------------

function fallbackCampaign(entry: ChannelCase['entry'], overrides: Partial<CampaignInput> = {}): CampaignInput {
  return campaign({ channels: { mode: 'fallback', fallbackAfterSeconds: 120, list: [entry, { channel: 'sms' }] }, ...overrides });
}

function deliver(srv: TestServer, callback: WebhookRequest, drop?: string) {
  let req = request(srv.app).post(callback.url.slice(PUBLIC_BASE_URL.length));
  for (const [name, value] of Object.entries(callback.headers)) if (value !== undefined && name !== drop) req = req.set(name, value);
  return req.send(callback.rawBody);
}

const admin = (srv: TestServer, url: string) => request(srv.app).get(url).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

async function messages(srv: TestServer): Promise<Array<Record<string, unknown>>> {
  const res = await admin(srv, '/api/messages?reveal=true&reason=test+assertions');
  expect(res.status).toBe(200);
  return res.body.messages;
}

/** Today, give or take a day: the reports take at most a year. */
const RANGE = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 86_400_000).toISOString()}`;

function linkOf(srv: Record<string, unknown>): { url: string; code: string } {
  const match = /https:\/\/t\.example\.test\/s\/([0-9A-Za-z]+)/.exec(String(srv.body ?? ''));
  if (!match?.[1]) throw new Error(`no short link in ${String(srv.body)}`);
  return { url: match[0], code: match[1] };
}

/** The whole call and everything a user can see of it afterwards. */
async function wholeCall(c: ChannelCase, vendor: Vendor, srv: TestServer): Promise<void> {
  // 1. The caller accepts and confirms; the prompt names the channel.
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  expect(caller.prompts()).toContain(c.consent);
  await caller.press('1');
  await caller.press('1');
  await expectValidVxml(caller.xml);
  expect(caller.prompts()).toBe(c.channel === 'whatsapp' ? "We've sent you a WhatsApp message. Goodbye." : "We've sent you a message in your Messages app. Goodbye.");

  // 2. One request, in the vendor's documented form, with this call's link.
  expect(vendor.requests).toHaveLength(1);
  const [stored] = await messages(srv);
  const link = linkOf(stored!);
  c.expectRequest(vendor.requests[0]!, link);

  // 3. /api/messages: on its channel, through its gateway, under the vendor's id.
  const vendorId = c.vendorIdOf(vendor, stored!);
  expect(await messages(srv)).toEqual([expect.objectContaining({ to: ANI, channel: c.channel, gateway: c.gateway, status: 'sent', vendorMessageId: vendorId })]);

  // 4. Forged and unsigned receipts are refused and change nothing.
  const forged = await deliver(srv, c.receipt(vendorId, 'delivered', 'not-the-signing-secret-000000'));
  expect([401, 403]).toContain(forged.status);
  const unsigned = await deliver(srv, c.receipt(vendorId, 'delivered'), c.signatureHeader);
  expect([401, 403]).toContain(unsigned.status);
  expect((await messages(srv))[0]).toMatchObject({ status: 'sent' });

  // 5. Signed delivered, then read.
  expect((await deliver(srv, c.receipt(vendorId, 'delivered'))).status).toBeLessThan(300);
  expect((await messages(srv))[0]).toMatchObject({ status: 'delivered' });
  expect((await deliver(srv, c.receipt(vendorId, 'read'))).status).toBeLessThan(300);
  expect((await messages(srv))[0]).toMatchObject({ status: 'read' });

  // 6. The consent record names the channel and the wording the caller heard.
  const consent = await admin(srv, `/api/consent?${RANGE}`);
  expect(consent.status).toBe(200);
  expect(consent.body.consent).toEqual([expect.objectContaining({ channel: c.channel, channelConsentText: c.consent })]);

  // 7. The channel report counts it: sent, delivered, read; no SMS, no fallback.
  const report = await admin(srv, `/api/reports/channels?${RANGE}`);
  expect(report.status).toBe(200);
  expect(report.body.rows).toEqual([expect.objectContaining({ channel: c.channel, created: 1, sent: 1, delivered: 1, read: 1, failed: 0 })]);
  expect(report.body.fallbacks).toEqual([]);

  // 8. No credential in what the caller's platform or an administrator was served.
  const served = [...caller.documents, JSON.stringify(await messages(srv)), consent.text, report.text];
  for (const secret of c.secrets) expect(served.filter((text) => text.includes(secret))).toEqual([]);
}

// --- The calls -------------------------------------------------------------------------

describe.each([TWILIO_WHATSAPP, TWILIO_RCS, VONAGE_WHATSAPP, VONAGE_RCS])('a whole call: $label', (c) => {
  let vendor: Vendor | undefined;
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.close();
    await vendor?.close();
    srv = undefined;
    vendor = undefined;
  });

  it('sent prompt, documented request, delivered then read, forged and unsigned receipts refused, consent and report by channel', async () => {
    vendor = await c.start();
    srv = startTestServer(waitForTheGateway({ env: vendor.env, campaigns: [fallbackCampaign(c.entry)] }));
    await wholeCall(c, vendor, srv);
  });
});

// --- WhatsApp Cloud, through Prism's validating proxy -----------------------------------

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/whatsapp_business_messaging_v23.0.yaml');
const BROKEN_INDEX_PATTERN = 'pattern: ^[2-6, 11-14]$';

describeIfSpec(SPEC, 'the WhatsApp Cloud whole call through Prism')('a whole call: WhatsApp via whatsapp-cloud, validated by Prism against Meta’s spec', () => {
  let meta: FakeServer | undefined;
  let proxy: PrismMock | undefined;
  let srv: TestServer | undefined;

  beforeAll(async () => {
    const original = fs.readFileSync(SPEC, 'utf8');
    // The spec's button index pattern refuses "0" (see whatsapp-cloud-contract.test.ts); a copy fixes it.
    expect(original).toContain(BROKEN_INDEX_PATTERN);
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wa-spec-')), 'whatsapp.yaml');
    fs.writeFileSync(copy, original.split(BROKEN_INDEX_PATTERN).join('pattern: ^[0-9]$'));
    meta = await startFakeWhatsapp();
    proxy = await startPrism(copy, { command: 'proxy', upstream: meta.url, args: ['--errors'], timeoutMs: 80_000 });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([proxy?.stop(), meta?.close()]);
  });
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('template with the link as body parameter and URL button; Prism finds no violation; delivered then read; forged and unsigned refused', async () => {
    const fake = meta!;
    const start = fake.requests.length;
    const vendor: Vendor = {
      get requests() {
        return fake.requests.slice(start);
      },
      env: {
        WHATSAPP_ACCESS_TOKEN: WA_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID: WA_PHONE_NUMBER_ID,
        WHATSAPP_APP_SECRET: WA_APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: WA_VERIFY_TOKEN,
        // The adapter talks to Prism, which checks each request and answer against the spec and forwards to the fake.
        WHATSAPP_API_BASE_URL: proxy!.url,
        WHATSAPP_API_VERSION: WA_VERSION,
      },
      close: async () => undefined,
    };
    const c: ChannelCase = {
      label: 'whatsapp-cloud',
      channel: 'whatsapp',
      gateway: 'whatsapp-cloud',
      entry: { channel: 'whatsapp', gateway: 'whatsapp-cloud', template: TEMPLATE, consent: WA_CONSENT },
      consent: WA_CONSENT,
      start: async () => vendor,
      expectRequest(req, link) {
        // https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
        expect(req.headers.authorization).toBe(`Bearer ${WA_TOKEN}`);
        const body = bodyJson(req);
        expect(body).toMatchObject({ messaging_product: 'whatsapp', to: ANI, type: 'template', template: { name: 'chat_link', language: { code: 'en_US' } } });
        const components = (body.template as { components: Array<Record<string, unknown>> }).components;
        expect(components).toEqual([
          expect.objectContaining({ type: 'body', parameters: [expect.objectContaining({ type: 'text', text: link.url })] }),
          expect.objectContaining({ type: 'button', sub_type: 'url', index: '0', parameters: [expect.objectContaining({ type: 'text', text: link.code })] }),
        ]);
      },
      // The fake answers with a fresh wamid, passed back through Prism: the stored id has Meta's form.
      vendorIdOf: (_vendor, stored) => {
        expect(stored.vendorMessageId).toMatch(/^wamid\./);
        return String(stored.vendorMessageId);
      },
      receipt: (id, status, secret) => signedWhatsappRequest(statusUrl('whatsapp-cloud'), whatsappStatusBody(id, status, ANI.slice(1)), secret ?? WA_APP_SECRET),
      signatureHeader: 'x-hub-signature-256',
      secrets: [WA_TOKEN, WA_APP_SECRET, WA_VERIFY_TOKEN],
    };
    srv = startTestServer(waitForTheGateway({ env: vendor.env, campaigns: [fallbackCampaign(c.entry)] }));
    await wholeCall(c, vendor, srv);
    expect(proxy!.output()).not.toMatch(/violation/i);
  });
});

// --- Choice mode, English and Spanish ----------------------------------------------------

describe.each([
  ['en-US', 'For a WhatsApp message, press 3.', "We've sent you a WhatsApp message. Goodbye."],
  ['es-US', 'Para un mensaje de WhatsApp, oprima 3.', 'Le hemos enviado un mensaje de WhatsApp. Adiós.'],
] as const)('choice mode in %s: the caller presses the WhatsApp key', (language, choice, sent) => {
  let vendor: Vendor | undefined;
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.close();
    await vendor?.close();
  });

  it('every document is VoiceXML 2.1; WhatsApp goes out through twilio with the template; the consent names WhatsApp', async () => {
    vendor = await TWILIO_WHATSAPP.start();
    const consent = language === 'es-US' ? 'Al oprimir 3 acepta recibir mensajes de WhatsApp de Acme.' : 'By pressing 3 you agree to get WhatsApp messages from Acme.';
    srv = startTestServer(
      waitForTheGateway({
        env: vendor.env,
        campaigns: [
          campaign({
            language,
            channels: { mode: 'choice', list: [{ channel: 'sms', key: '1' }, { ...TWILIO_WHATSAPP.entry, consent, key: '3' } as ChannelCase['entry']] },
          }),
        ],
      }),
    );
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await expectValidVxml(caller.xml);
    expect(caller.prompts()).toContain(choice);
    expect(caller.prompts()).toContain(consent);
    await caller.press('3');
    await expectValidVxml(caller.xml);
    await caller.press('1');
    await expectValidVxml(caller.xml);
    expect(caller.prompts()).toBe(sent);

    expect(vendor.requests).toHaveLength(1);
    const [stored] = await messages(srv);
    TWILIO_WHATSAPP.expectRequest(vendor.requests[0]!, linkOf(stored!));
    expect(stored).toMatchObject({ channel: 'whatsapp', gateway: 'twilio', status: 'sent' });
    const record = await admin(srv, `/api/consent?${RANGE}`);
    expect(record.body.consent).toEqual([expect.objectContaining({ channel: 'whatsapp', channelConsentText: consent })]);
  });
});

// --- The vendor's own SMS failover ------------------------------------------------------

/**
 * RCS with smsFallbackByVendor (the default): Vonage is asked to send the SMS itself when
 * the handset cannot take RCS (a `failover` array, https://developer.vonage.com/en/messages/guides/failover-message),
 * and no SMS plan of ours is stored beside it, so the caller can never get two texts.
 */
it('RCS via vonage-messages asks Vonage for its SMS failover (smsFallbackByVendor: true), and stores no fallback of its own', async () => {
  const vendor = await VONAGE_RCS.start();
  const srv = startTestServer(waitForTheGateway({ env: vendor.env, campaigns: [fallbackCampaign({ ...VONAGE_RCS.entry, smsFallbackByVendor: true } as ChannelCase['entry'])] }));
  try {
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await caller.press('1');
    await caller.press('1');
    expect(vendor.requests).toHaveLength(1);
    expect(bodyJson(vendor.requests[0]!).failover).toEqual([expect.objectContaining({ channel: 'sms', message_type: 'text', to: ANI.slice(1) })]);
    const [stored] = await srv.store.listMessages({ limit: 5 });
    expect(stored).toMatchObject({ channel: 'rcs', smsFallbackByVendor: true, fallback: null });
  } finally {
    await srv.close();
    await vendor.close();
  }
});
