import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../src/log';
import request from 'supertest';
import type { Express } from 'express';
import type { GatewayName } from '../src/sms/gateway-config';
import type { WebhookRequest } from '../src/sms/port';
import { signTimestamped } from '../src/signing/timestamped-hmac';
import {
  bodyOf,
  clickatellAccepted,
  messagesOf,
  clickatellReplyCallback,
  clickatellStatusCallback,
  recipientOf as clickatellRecipientOf,
  startFakeClickatell,
} from './fakes/clickatell';
import { clickatellHttpId, fieldsOf, startFakeClickatellHttp } from './fakes/clickatell-http';
import { json, type FakeReply, type RecordedRequest } from './fakes/fake-server';
import { acceptPlivoMessage, signedPlivoRequest, plivoInboundFields, plivoStatusFields, startFakePlivo } from './fakes/plivo';
import { acceptTwilioMessage, signedTwilioRequest, startFakeTwilio, twilioInboundFields, twilioStatusFields } from './fakes/twilio';
import { acceptTelnyxMessage, signedTelnyxRequest, startFakeTelnyx, telnyxDeliveryEvent, telnyxInboundEvent, telnyxKeys } from './fakes/telnyx';
import { formOf, startFakeVonage, vonageAccepted, vonageInbound, vonageReceipt } from './fakes/vonage';
import { startFakeVoxeo, voxeoOk } from './fakes/voxeo';
import { bodyOf as sinchBodyOf, sinchCallback, sinchMoText, sinchRecipientReport, startFakeSinch } from './fakes/sinch';
import { STATUS as INFOBIP_STATUS, destinationOf, infobipDeliveryReport, infobipInbound, infobipReportResult, startFakeInfobip } from './fakes/infobip';
import { startFakeWebhookGateway } from './fakes/webhook';
import {
  AMAZON_ACCOUNT,
  INBOUND_TOPIC,
  OTHER_KEY,
  STATUS_TOPIC,
  acceptSendTextMessage,
  smsEvent,
  snsNotification,
  startFakeAmazonSms,
  startFakeSns,
  twoWayPayload,
} from './fakes/amazon';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from './helpers/server';

/**
 * Every vendor end to end: a whole call through the real app, the text through the real
 * adapter to that vendor's fake on loopback, the message seen through /api/messages, and
 * (for vendors that send them) a signed delivery receipt through the real webhook route.
 * SMS_GATEWAY stays at its default (sandbox): the campaign's own `gateway` picks the
 * vendor. Every log line is captured, every VoiceXML document kept, and none of them (nor
 * the admin API) may contain a credential.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';

/** What the vendor's fake accepted: the send request and the message id it answered with. */
interface Acceptance {
  req: RecordedRequest;
  id: string;
}

interface Started {
  env: Record<string, string>;
  /** Every request the fake received (accepted or not). */
  requests: RecordedRequest[];
  /** Requests that got past the fake's credential checks and were accepted. */
  accepted: Acceptance[];
  close(): Promise<void>;
}

interface Receipts {
  /** A correctly signed/authenticated "delivered" receipt for the vendor's message id. */
  delivered(vendorMessageId: string): WebhookRequest;
  /** The same receipt, signed with the wrong secret. */
  forged(vendorMessageId: string): WebhookRequest;
}

interface VendorCase {
  name: Exclude<GatewayName, 'sandbox'>;
  /** Must appear nowhere: VoiceXML, logs, admin API. */
  secrets: string[];
  /** Not secret by themselves (account ids, user names), but kept out of VoiceXML and logs. */
  identifiers: string[];
  start(): Promise<Started>;
  /** The destination as the vendor's API takes it. */
  expectedTo: string;
  recipientOf(req: RecordedRequest): string | undefined;
  /** Asserts the request carried the vendor's credentials the way the vendor expects them. */
  expectCredentials(req: RecordedRequest): void;
  receipts?: Receipts;
  /** A correctly signed inbound "STOP" from `from` to our sender, as the vendor posts it (vendors that forward inbound texts). */
  stop?(from: string): WebhookRequest;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const hexId = (): string => randomBytes(16).toString('hex');
const statusUrl = (name: string): string => `${PUBLIC_BASE_URL}/webhooks/${name}/status`;
const inboundUrl = (name: string): string => `${PUBLIC_BASE_URL}/webhooks/${name}/inbound`;

/** Records what the fake accepted, then answers as the fake would. */
function recording(accepted: Acceptance[], answer: (req: RecordedRequest) => { reply: FakeReply; id: string | undefined }) {
  return (req: RecordedRequest): FakeReply => {
    const { reply, id } = answer(req);
    if (id !== undefined && reply.status >= 200 && reply.status < 300) accepted.push({ req, id });
    return reply;
  };
}

function jsonOfReply(reply: FakeReply): Record<string, unknown> {
  return JSON.parse(reply.body ?? '{}') as Record<string, unknown>;
}

// --- Twilio ----------------------------------------------------------------------------

const TW = {
  accountSid: 'ACtwAccountSid00000000000000000042',
  authToken: 'tw-auth-token-SECRET-1234',
  from: '+15005550006',
};

const twilio: VendorCase = {
  name: 'twilio',
  secrets: [TW.authToken, basic(TW.accountSid, TW.authToken)],
  identifiers: [TW.accountSid],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeTwilio(
      TW,
      recording(accepted, (req) => {
        const reply = acceptTwilioMessage(req);
        const sid = reply.status === 201 ? jsonOfReply(reply).sid : undefined;
        return { reply, id: typeof sid === 'string' ? sid : undefined };
      }),
    );
    return {
      env: { TWILIO_ACCOUNT_SID: TW.accountSid, TWILIO_AUTH_TOKEN: TW.authToken, TWILIO_FROM: TW.from, TWILIO_BASE_URL: fake.url },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI,
  recipientOf: (req) => new URLSearchParams(req.body).get('To') ?? undefined,
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(basic(TW.accountSid, TW.authToken));
    expect(req.path).toBe(`/2010-04-01/Accounts/${TW.accountSid}/Messages.json`);
    const form = new URLSearchParams(req.body);
    expect(form.get('From')).toBe(TW.from);
    expect(form.get('StatusCallback')).toBe(statusUrl('twilio'));
  },
  receipts: {
    delivered: (sid) =>
      signedTwilioRequest(TW.authToken, statusUrl('twilio'), twilioStatusFields({ messageSid: sid, status: 'delivered', accountSid: TW.accountSid, to: ANI })),
    forged: (sid) =>
      signedTwilioRequest('not-the-auth-token-0000', statusUrl('twilio'), twilioStatusFields({ messageSid: sid, status: 'delivered', accountSid: TW.accountSid, to: ANI })),
  },
  stop: (from) =>
    signedTwilioRequest(TW.authToken, inboundUrl('twilio'), twilioInboundFields({ from, to: TW.from, body: 'STOP', accountSid: TW.accountSid })),
};

// --- Vonage ----------------------------------------------------------------------------

const VN = {
  apiKey: 'vn-api-key-KEY-2345',
  apiSecret: 'vn-api-secret-SECRET-2345',
  signatureSecret: 'vn-signature-secret-SECRET-2345',
  from: 'AcmeInc',
};

const vonage: VendorCase = {
  name: 'vonage',
  secrets: [VN.apiSecret, VN.signatureSecret, VN.apiKey],
  identifiers: [],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeVonage(
      VN,
      recording(accepted, (req) => {
        const id = randomBytes(8).toString('hex').toUpperCase();
        return { reply: vonageAccepted(formOf(req).get('to') ?? '', id), id };
      }),
    );
    return {
      env: {
        VONAGE_API_KEY: VN.apiKey,
        VONAGE_API_SECRET: VN.apiSecret,
        VONAGE_FROM: VN.from,
        VONAGE_SIGNATURE_SECRET: VN.signatureSecret,
        VONAGE_BASE_URL: fake.url,
      },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => formOf(req).get('to') ?? undefined,
  expectCredentials(req) {
    const form = formOf(req);
    expect(form.get('api_key')).toBe(VN.apiKey);
    expect(form.get('api_secret')).toBe(VN.apiSecret);
    // In the body, never the URL.
    expect(req.url).toBe('/sms/json');
    expect(form.get('from')).toBe(VN.from);
    expect(form.get('callback')).toBe(statusUrl('vonage'));
  },
  receipts: {
    delivered: (id) =>
      vonageReceipt({ messageId: id, status: 'delivered', msisdn: ANI.slice(1), 'api-key': VN.apiKey }, { secret: VN.signatureSecret, url: statusUrl('vonage') }),
    forged: (id) =>
      vonageReceipt({ messageId: id, status: 'delivered', msisdn: ANI.slice(1), 'api-key': VN.apiKey }, { secret: 'not-the-signature-secret', url: statusUrl('vonage') }),
  },
  stop: (from) =>
    vonageInbound(
      { msisdn: from.slice(1), to: VN.from, 'api-key': VN.apiKey, 'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' ') },
      { secret: VN.signatureSecret, url: inboundUrl('vonage') },
    ),
};

// --- Clickatell One API ---------------------------------------------------------------

const CK = {
  apiKey: 'ck-api-key-SECRET-3456',
  from: '+14155550100',
  callbackUser: 'ck-callback-user-3456',
  callbackPassword: 'ck-callback-password-SECRET-3456',
};
const ckCredentials = { user: CK.callbackUser, password: CK.callbackPassword };

const clickatell: VendorCase = {
  name: 'clickatell',
  secrets: [CK.apiKey, CK.callbackPassword, basic(CK.callbackUser, CK.callbackPassword)],
  identifiers: [CK.callbackUser],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeClickatell(
      CK.apiKey,
      recording(accepted, (req) => {
        const id = hexId();
        return { reply: clickatellAccepted(clickatellRecipientOf(req) ?? '', id), id };
      }),
    );
    return {
      env: {
        CLICKATELL_API_KEY: CK.apiKey,
        CLICKATELL_FROM: CK.from,
        CLICKATELL_CALLBACK_USER: CK.callbackUser,
        CLICKATELL_CALLBACK_PASSWORD: CK.callbackPassword,
        CLICKATELL_BASE_URL: fake.url,
      },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => {
    const messages = messagesOf(req);
    return messages?.length === 1 ? clickatellRecipientOf(req) : undefined;
  },
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(CK.apiKey);
    expect(req.path).toBe('/v1/message');
    expect(messagesOf(req)?.[0]).toMatchObject({ channel: 'sms', from: CK.from.slice(1) });
  },
  receipts: {
    delivered: (id) =>
      clickatellStatusCallback({ messageId: id, statusCode: 5, status: 'DEVICE_ACK' }, { credentials: ckCredentials, url: statusUrl('clickatell') }),
    forged: (id) =>
      clickatellStatusCallback(
        { messageId: id, statusCode: 5, status: 'DEVICE_ACK' },
        { credentials: { user: CK.callbackUser, password: 'not-the-callback-password' }, url: statusUrl('clickatell') },
      ),
  },
  stop: (from) =>
    clickatellReplyCallback(
      { from: from.slice(1), to: CK.from.slice(1), content: 'STOP', messageId: hexId(), timestamp: Date.now() },
      { credentials: ckCredentials, url: inboundUrl('clickatell') },
    ),
};

// --- Clickatell legacy HTTP ------------------------------------------------------------

const CKH = {
  user: 'ckh-user-4567',
  password: 'ckh-password-SECRET-4567',
  apiId: 'ckh-api-id-4567',
  from: '+14155550111',
};

const clickatellHttp: VendorCase = {
  name: 'clickatell-http',
  secrets: [CKH.password],
  identifiers: [CKH.user, CKH.apiId],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeClickatellHttp(
      CKH,
      recording(accepted, () => {
        const id = hexId();
        return { reply: clickatellHttpId(id), id };
      }),
    );
    return {
      env: {
        CLICKATELL_HTTP_USER: CKH.user,
        CLICKATELL_HTTP_PASSWORD: CKH.password,
        CLICKATELL_HTTP_API_ID: CKH.apiId,
        CLICKATELL_HTTP_FROM: CKH.from,
        CLICKATELL_HTTP_BASE_URL: fake.url,
      },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => fieldsOf(req).get('to') ?? undefined,
  expectCredentials(req) {
    const form = new URLSearchParams(req.body);
    expect(form.get('user')).toBe(CKH.user);
    expect(form.get('password')).toBe(CKH.password);
    expect(form.get('api_id')).toBe(CKH.apiId);
    // In the POST body, never the query string.
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/http/sendmsg');
    expect(form.get('from')).toBe(CKH.from.slice(1));
  },
};

// --- Voxeo -----------------------------------------------------------------------------

const VX = {
  botKey: 'vx-botkey-SECRET-5678',
  user: 'vx-user-5678',
  password: 'vx-password-SECRET-5678',
  from: '+14155550122',
};

const voxeo: VendorCase = {
  name: 'voxeo',
  secrets: [VX.botKey, VX.password, basic(VX.user, VX.password)],
  identifiers: [VX.user],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeVoxeo(
      VX,
      recording(accepted, () => {
        const id = `vx${hexId()}`;
        return { reply: voxeoOk(id), id };
      }),
    );
    return {
      env: { VOXEO_BOTKEY: VX.botKey, VOXEO_USER: VX.user, VOXEO_PASSWORD: VX.password, VOXEO_FROM: VX.from, VOXEO_URL: fake.endpoint },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => new URLSearchParams(req.body).get('user') ?? undefined,
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(basic(VX.user, VX.password));
    expect(req.url).toBe('/1.0/messaging');
    const form = new URLSearchParams(req.body);
    // The fake does not check the botkey: the real API needs it to know the application.
    expect(form.get('botkey')).toBe(VX.botKey);
    expect(form.get('apimethod')).toBe('send');
    expect(form.get('network')).toBe('SMS');
  },
};

// --- Plivo -----------------------------------------------------------------------------

const PL = {
  authId: 'MAplivoAuthId00000042',
  authToken: 'pl-auth-token-SECRET-6789',
  from: '14155550199',
};

const plivo: VendorCase = {
  name: 'plivo',
  secrets: [PL.authToken, basic(PL.authId, PL.authToken)],
  identifiers: [PL.authId],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakePlivo(
      PL,
      recording(accepted, (req) => {
        const reply = acceptPlivoMessage(req);
        const [uuid] = reply.status === 202 ? (jsonOfReply(reply).message_uuid as unknown[]) : [];
        return { reply, id: typeof uuid === 'string' ? uuid : undefined };
      }),
    );
    return {
      env: { PLIVO_AUTH_ID: PL.authId, PLIVO_AUTH_TOKEN: PL.authToken, PLIVO_FROM: PL.from, PLIVO_BASE_URL: fake.url },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => {
    const dst = bodyOf(req)?.dst;
    return typeof dst === 'string' ? dst : undefined;
  },
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(basic(PL.authId, PL.authToken));
    expect(req.path).toBe(`/v1/Account/${PL.authId}/Message/`);
    expect(bodyOf(req)).toMatchObject({ src: PL.from, url: statusUrl('plivo'), method: 'POST' });
  },
  receipts: {
    delivered: (uuid) =>
      signedPlivoRequest(PL.authToken, statusUrl('plivo'), plivoStatusFields({ messageUuid: uuid, status: 'delivered', from: PL.from, to: ANI.slice(1) })),
    forged: (uuid) =>
      signedPlivoRequest('not-the-plivo-auth-token', statusUrl('plivo'), plivoStatusFields({ messageUuid: uuid, status: 'delivered', from: PL.from, to: ANI.slice(1) })),
  },
  // Plivo signs messaging callbacks V2 (URL + nonce) and Ma-V2: the shape a real STOP arrives in.
  stop: (from) => signedPlivoRequest(PL.authToken, inboundUrl('plivo'), plivoInboundFields({ from: from.slice(1), to: PL.from, text: 'STOP' }), { scheme: 'v2' }),
};

// --- Telnyx ----------------------------------------------------------------------------

const TX = {
  apiKey: 'KEY01-tx-api-key-SECRET-8901',
  from: '+18445550001',
  keys: telnyxKeys(),
};

const telnyx: VendorCase = {
  name: 'telnyx',
  secrets: [TX.apiKey],
  identifiers: [],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeTelnyx(
      TX.apiKey,
      recording(accepted, (req) => {
        const reply = acceptTelnyxMessage(req);
        const data = reply.status === 200 ? (jsonOfReply(reply).data as Record<string, unknown>) : {};
        return { reply, id: typeof data.id === 'string' ? data.id : undefined };
      }),
    );
    return {
      env: { TELNYX_API_KEY: TX.apiKey, TELNYX_FROM: TX.from, TELNYX_PUBLIC_KEY: TX.keys.publicKey, TELNYX_BASE_URL: fake.url },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI,
  recipientOf: (req) => {
    const to = bodyOf(req)?.to;
    return typeof to === 'string' ? to : undefined;
  },
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(`Bearer ${TX.apiKey}`);
    expect(req.path).toBe('/v2/messages');
    expect(bodyOf(req)).toMatchObject({ from: TX.from, webhook_url: statusUrl('telnyx'), use_profile_webhooks: false });
  },
  receipts: {
    delivered: (id) =>
      signedTelnyxRequest(TX.keys.secretKey, statusUrl('telnyx'), telnyxDeliveryEvent({ messageId: id, status: 'delivered', from: TX.from, to: ANI })),
    // Signed with another account's key: what a forger without Telnyx's private key can do.
    forged: (id) =>
      signedTelnyxRequest(telnyxKeys().secretKey, statusUrl('telnyx'), telnyxDeliveryEvent({ messageId: id, status: 'delivered', from: TX.from, to: ANI })),
  },
  stop: (from) => signedTelnyxRequest(TX.keys.secretKey, inboundUrl('telnyx'), telnyxInboundEvent({ from, to: TX.from, text: 'STOP' })),
};

// --- In-house webhook gateway ----------------------------------------------------------

const WH = { secret: 'wh-webhook-secret-SECRET-7890' };

function signedWebhookReceipt(secret: string, id: string): WebhookRequest {
  const payload = { id, status: 'delivered' };
  const rawBody = JSON.stringify(payload);
  const { timestamp, signature } = signTimestamped(secret, rawBody, new Date());
  return {
    url: statusUrl('webhook'),
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature-timestamp': timestamp, 'x-signature': signature },
    rawBody,
    params: payload,
  };
}

const webhook: VendorCase = {
  name: 'webhook',
  secrets: [WH.secret],
  identifiers: [],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeWebhookGateway(WH.secret, (message, req) => {
      // Only reached once the fake has checked our signature and timestamp.
      const id = `gw-${message.id}`;
      accepted.push({ req, id });
      return json(200, { id });
    });
    return {
      env: { SMS_WEBHOOK_URL: `${fake.url}/sms`, SMS_WEBHOOK_SECRET: WH.secret },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI,
  recipientOf: (req) => {
    const to = bodyOf(req)?.to;
    return typeof to === 'string' ? to : undefined;
  },
  expectCredentials(req) {
    expect(req.url).toBe('/sms');
    expect(req.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(req.headers['x-signature-timestamp']).toMatch(/^\d+$/);
  },
  receipts: {
    delivered: (id) => signedWebhookReceipt(WH.secret, id),
    forged: (id) => signedWebhookReceipt('not-the-webhook-secret', id),
  },
};

// --- Sinch -----------------------------------------------------------------------------

const SN = {
  servicePlanId: 'sinchServicePlan0000000000000042',
  apiToken: 'sn-api-token-SECRET-8901',
  from: '+14155550142',
  callbackSecret: 'sn-callback-secret-SECRET-8901',
};

const sinch: VendorCase = {
  name: 'sinch',
  secrets: [SN.apiToken, SN.callbackSecret],
  identifiers: [SN.servicePlanId],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeSinch({ servicePlanId: SN.servicePlanId, apiToken: SN.apiToken });
    fake.respond(
      recording(accepted, (req) => {
        const reply = fake.accept(req) as FakeReply;
        const id = reply.status === 201 ? jsonOfReply(reply).id : undefined;
        return { reply, id: typeof id === 'string' ? id : undefined };
      }),
    );
    return {
      env: {
        SINCH_SERVICE_PLAN_ID: SN.servicePlanId,
        SINCH_API_TOKEN: SN.apiToken,
        SINCH_FROM: SN.from,
        SINCH_CALLBACK_SECRET: SN.callbackSecret,
        SINCH_BASE_URL: fake.url,
      },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI,
  recipientOf: (req) => {
    const to = sinchBodyOf(req)?.to;
    return Array.isArray(to) && to.length === 1 && typeof to[0] === 'string' ? to[0] : undefined;
  },
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(`Bearer ${SN.apiToken}`);
    expect(req.path).toBe(`/xms/v1/${SN.servicePlanId}/batches`);
    expect(sinchBodyOf(req)).toMatchObject({ from: SN.from, callback_url: statusUrl('sinch'), client_reference: expect.any(String) });
  },
  receipts: {
    delivered: (id) => sinchCallback(statusUrl('sinch'), sinchRecipientReport({ batchId: id, status: 'Delivered', recipient: ANI }), { secret: SN.callbackSecret }),
    forged: (id) => sinchCallback(statusUrl('sinch'), sinchRecipientReport({ batchId: id, status: 'Delivered', recipient: ANI }), { secret: 'not-the-sinch-secret' }),
  },
  stop: (from) => sinchCallback(inboundUrl('sinch'), sinchMoText({ from, to: SN.from, body: 'STOP' }), { secret: SN.callbackSecret }),
};

// --- Infobip ---------------------------------------------------------------------------

const IB = {
  apiKey: 'ib-api-key-SECRET-9012',
  from: 'AcmeInc',
  callbackUser: 'ib-callback-user-9012',
  callbackPassword: 'ib-callback-password-SECRET-9012',
};

const infobip: VendorCase = {
  name: 'infobip',
  secrets: [IB.apiKey, IB.callbackPassword, basic(IB.callbackUser, IB.callbackPassword)],
  identifiers: [IB.callbackUser],
  async start() {
    const accepted: Acceptance[] = [];
    const fake = await startFakeInfobip(IB.apiKey);
    fake.respond(
      recording(accepted, (req) => {
        const reply = fake.accept(req) as FakeReply;
        const [message] = jsonOfReply(reply).messages as Record<string, unknown>[];
        return { reply, id: typeof message?.messageId === 'string' ? message.messageId : undefined };
      }),
    );
    return {
      env: {
        INFOBIP_API_KEY: IB.apiKey,
        INFOBIP_BASE_URL: fake.url,
        INFOBIP_FROM: IB.from,
        INFOBIP_CALLBACK_USER: IB.callbackUser,
        INFOBIP_CALLBACK_PASSWORD: IB.callbackPassword,
      },
      requests: fake.requests,
      accepted,
      close: () => fake.close(),
    };
  },
  expectedTo: ANI.slice(1),
  recipientOf: (req) => destinationOf(req)?.to,
  expectCredentials(req) {
    expect(req.headers.authorization).toBe(`App ${IB.apiKey}`);
    expect(req.path).toBe('/sms/2/text/advanced');
    expect(destinationOf(req)?.messageId).toEqual(expect.any(String));
  },
  receipts: {
    delivered: (id) =>
      infobipDeliveryReport(statusUrl('infobip'), [infobipReportResult({ messageId: id, status: INFOBIP_STATUS.DELIVERED_TO_HANDSET, to: ANI.slice(1) })], {
        credentials: { user: IB.callbackUser, password: IB.callbackPassword },
      }),
    forged: (id) =>
      infobipDeliveryReport(statusUrl('infobip'), [infobipReportResult({ messageId: id, status: INFOBIP_STATUS.DELIVERED_TO_HANDSET, to: ANI.slice(1) })], {
        credentials: { user: IB.callbackUser, password: 'not-the-infobip-password' },
      }),
  },
  stop: (from) =>
    infobipInbound(inboundUrl('infobip'), { from: from.slice(1), to: '14155550142', text: 'STOP' }, { credentials: { user: IB.callbackUser, password: IB.callbackPassword } }),
};


// --- Amazon (AWS End User Messaging SMS, events and two-way texts through SNS) -----------

const AM = { ...AMAZON_ACCOUNT, secretAccessKey: 'am-secret-access-key-SECRET-8901', sessionToken: 'am-session-token-SECRET-8901', from: '+12065550152' };

const amazon: VendorCase = {
  name: 'amazon',
  secrets: [AM.secretAccessKey, AM.sessionToken],
  identifiers: [AM.accessKeyId],
  async start() {
    const accepted: Acceptance[] = [];
    const [fake, sns] = await Promise.all([
      startFakeAmazonSms(
        AM,
        recording(accepted, (req) => {
          const reply = acceptSendTextMessage(req);
          const id = reply.status === 200 ? jsonOfReply(reply).MessageId : undefined;
          return { reply, id: typeof id === 'string' ? id : undefined };
        }),
      ),
      startFakeSns(),
    ]);
    return {
      env: {
        AMAZON_SMS_REGION: AM.region,
        AMAZON_SMS_ORIGINATION_IDENTITY: AM.from,
        AMAZON_SMS_CONFIGURATION_SET: 'ivr-deflect',
        AMAZON_SMS_ENDPOINT: fake.url,
        AMAZON_SMS_SNS_TOPIC_ARNS: `${STATUS_TOPIC},${INBOUND_TOPIC}`,
        AMAZON_SMS_SNS_BASE_URL: sns.url,
        AWS_ACCESS_KEY_ID: AM.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AM.secretAccessKey,
        AWS_SESSION_TOKEN: AM.sessionToken,
      },
      requests: fake.requests,
      accepted,
      close: async () => {
        await Promise.all([fake.close(), sns.close()]);
      },
    };
  },
  expectedTo: ANI,
  recipientOf: (req) => {
    const to = bodyOf(req)?.DestinationPhoneNumber;
    return typeof to === 'string' ? to : undefined;
  },
  expectCredentials(req) {
    // The fake has checked the SigV4 signature (with aws4) before accepting.
    expect(req.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${AM.accessKeyId}/`));
    expect(req.headers['x-amz-security-token']).toBe(AM.sessionToken);
    expect(bodyOf(req)).toMatchObject({ OriginationIdentity: AM.from, ConfigurationSetName: 'ivr-deflect' });
  },
  receipts: {
    delivered: (id) => snsNotification(statusUrl('amazon'), STATUS_TOPIC, smsEvent({ messageId: id, eventType: 'TEXT_DELIVERED', to: ANI, from: AM.from })),
    forged: (id) =>
      snsNotification(statusUrl('amazon'), STATUS_TOPIC, smsEvent({ messageId: id, eventType: 'TEXT_DELIVERED', to: ANI, from: AM.from }), { key: OTHER_KEY }),
  },
  stop: (from) => snsNotification(inboundUrl('amazon'), INBOUND_TOPIC, twoWayPayload({ from, to: AM.from, body: 'STOP' })),
};

const VENDORS: VendorCase[] = [twilio, vonage, clickatell, clickatellHttp, voxeo, plivo, telnyx, sinch, infobip, amazon, webhook];

// --- Helpers ---------------------------------------------------------------------------

/** A vendor's callback (as the fakes build them) sent through real HTTP to the app. */
function deliver(app: Express, callback: WebhookRequest) {
  if (!callback.url.startsWith(`${PUBLIC_BASE_URL}/`)) throw new Error(`callback URL ${callback.url} is not under ${PUBLIC_BASE_URL}`);
  const pathAndQuery = callback.url.slice(PUBLIC_BASE_URL.length);
  const agent = request(app);
  const method = callback.method.toUpperCase();
  let req =
    method === 'GET' ? agent.get(pathAndQuery) : method === 'POST' ? agent.post(pathAndQuery) : agent.put(pathAndQuery);
  for (const [name, value] of Object.entries(callback.headers)) if (value !== undefined) req = req.set(name, value);
  return callback.rawBody ? req.send(callback.rawBody) : req;
}

/** The places a credential could leak to, each with what was found there. */
function leaksIn(places: Record<string, string[]>, values: string[]): string[] {
  const found: string[] = [];
  for (const [place, texts] of Object.entries(places)) {
    texts.forEach((text, i) => {
      for (const value of values) if (text.includes(value)) found.push(`${place}[${i}] contains "${value}"`);
    });
  }
  return found;
}

// --- The test --------------------------------------------------------------------------

describe.each(VENDORS)('gateway $name, end to end', (vendor) => {
  let started: Started | undefined;
  let server: TestServer | undefined;
  let logText = '';

  afterEach(async () => {
    await server?.close();
    await started?.close();
    server = undefined;
    started = undefined;
  });

  async function messagesJson(): Promise<{ text: string; messages: Array<Record<string, unknown>> }> {
    const res = await request(server!.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    return { text: res.text, messages: res.body.messages as Array<Record<string, unknown>> };
  }

  const title = [
    "texts the caller through the campaign's gateway",
    vendor.receipts ? 'refuses a forged receipt, takes a signed one' : '(no receipts)',
    vendor.stop ? 'texts nobody who sent STOP' : '(no inbound texts)',
    'and leaks no credential',
  ].join(', ');
  it(title, async () => {
    logText = '';
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        logText += chunk.toString();
        callback();
      },
    });
    const log = createLogger('trace', sink); // the production logger, redaction and all

    started = await vendor.start();
    // SMS_GATEWAY is left at its default: only the campaign names the vendor.
    expect(started.env).not.toHaveProperty('SMS_GATEWAY');
    server = startTestServer({ env: started.env, campaigns: [campaign({ gateway: vendor.name })], log });

    // 1. A whole call.
    const caller = new IvrCaller(server.app);
    const documents: string[] = [];
    await caller.start({ dnis: DNIS, ani: ANI });
    documents.push(caller.xml, (await caller.fetchRoot()).xml);
    await caller.press('1');
    documents.push(caller.xml);
    await caller.press('1');
    documents.push(caller.xml);
    // Nothing was served that the list above missed.
    expect(caller.documents).toEqual([documents[0], documents[2], documents[3]]);
    expect(caller.ending().result).toMatchObject({ status: 'sent', reason: 'accepted' });

    // 2. Exactly one send, to the caller, with the vendor's credentials, accepted by the fake.
    const sends = started.requests;
    expect(sends).toHaveLength(1);
    const [send] = sends;
    expect(vendor.recipientOf(send!)).toBe(vendor.expectedTo);
    vendor.expectCredentials(send!);
    expect(started.accepted).toHaveLength(1);
    expect(started.accepted[0]?.req).toBe(send);
    const vendorMessageId = started.accepted[0]!.id;

    // 3. The admin API: sent through this vendor under the fake's id.
    const afterSend = await messagesJson();
    expect(afterSend.messages).toHaveLength(1);
    expect(afterSend.messages[0]).toMatchObject({ to: ANI, status: 'sent', gateway: vendor.name, sentVia: vendor.name, vendorMessageId });
    const apiTexts = [afterSend.text];
    const callbackAnswers: string[] = [];

    // 4. Receipts: a forged one is refused and changes nothing; a signed one delivers.
    if (vendor.receipts) {
      const forged = await deliver(server.app, vendor.receipts.forged(vendorMessageId));
      callbackAnswers.push(forged.text);
      expect([401, 403]).toContain(forged.status);
      const afterForged = await messagesJson();
      apiTexts.push(afterForged.text);
      expect(afterForged.messages[0]).toMatchObject({ status: 'sent', vendorMessageId });

      const receipt = await deliver(server.app, vendor.receipts.delivered(vendorMessageId));
      callbackAnswers.push(receipt.text);
      expect(receipt.status >= 200 && receipt.status < 300 ? '2xx' : `${receipt.status} ${receipt.text}`).toBe('2xx');
      const afterReceipt = await messagesJson();
      apiTexts.push(afterReceipt.text);
      expect(afterReceipt.messages[0]).toMatchObject({ status: 'delivered', sentVia: vendor.name, vendorMessageId });
    }

    // 5. STOP from the caller, as the vendor forwards it: the next call texts them nothing.
    if (vendor.stop) {
      const stopped = await deliver(server.app, vendor.stop(ANI));
      callbackAnswers.push(stopped.text);
      expect(stopped.status >= 200 && stopped.status < 300 ? '2xx' : `${stopped.status} ${stopped.text}`).toBe('2xx');
      const again = new IvrCaller(server.app);
      await again.start({ dnis: DNIS, ani: ANI });
      documents.push(again.xml);
      await again.press('1');
      documents.push(again.xml);
      await again.press('1');
      documents.push(again.xml);
      expect(again.prompts()).toContain('That number has asked us not to send it texts.');
      expect(started.requests).toHaveLength(1);
    }

    // 6. No credential anywhere: VoiceXML, logs, admin API (and callback answers).
    const logLines = logText.split('\n').filter(Boolean);
    // The capture works: the send (and the refused receipt) were logged, at every level.
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.some((e) => e.level === 20)).toBe(true);
    expect(entries.some((e) => e.level === 30 && e.gateway === vendor.name)).toBe(true);
    if (vendor.receipts) expect(entries.some((e) => e.level === 40 && e.gateway === vendor.name)).toBe(true);
    const everything = [...vendor.secrets, ...vendor.identifiers];
    expect(leaksIn({ 'VoiceXML document': documents, 'log line': logLines }, everything)).toEqual([]);
    expect(leaksIn({ '/api/messages': apiTexts, 'webhook answer': callbackAnswers }, vendor.secrets)).toEqual([]);
  });
});
