import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import type { MessageRecord } from '../../src/store/port';
import type { FakeServer } from '../fakes/fake-server';
import { TWILIO_ACCOUNT, startFakeTwilio, type FakeTwilio } from '../fakes/twilio';
import {
  acceptWhatsappMessage,
  metaSignature,
  startFakeWhatsapp,
  statusBody,
  whatsappError,
  WA_APP_SECRET,
  WA_PHONE_NUMBER_ID,
  WA_TOKEN,
  WA_VERIFY_TOKEN,
  WA_VERSION,
} from '../fakes/whatsapp-cloud';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Issue 18's "Done when", second half: each fallback path through the real app, WhatsApp
 * first (the real whatsapp-cloud adapter against the fake Cloud API), SMS second (the real
 * Twilio adapter against the fake Twilio, which counts the texts it was given). What the
 * caller notices: exactly one text, never two, and no WhatsApp message after the text.
 *
 * Time is the server's injected clock: the window passes when the test moves it. The
 * dispatcher polls on its own (the test server's fast outboxPollMs); "nothing more
 * happened" is checked after two whole polls have run since the moment in question
 * (counted on the store's claimDueMessages, which each poll calls after its fallback
 * sweep), never after a wait of some length.
 *
 * Meta's documented behaviour used here: error 131026 "Message undeliverable" (not on
 * WhatsApp, among others), answered on the send or in a later "failed" status
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes); statuses
 * signed with X-Hub-Signature-256 (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 */

jest.setTimeout(60_000);

const DNIS = '+18005550100';
const ANI = '+16175551234';
const WINDOW_S = 120;
const CALLBACK = '/webhooks/whatsapp-cloud/status';
const NOT_ON_WHATSAPP = [{ code: 131026, title: 'Message undeliverable' }];

let meta: FakeServer;
let twilio: FakeTwilio;
let srv: TestServer;
let clock: number;

function fallbackCampaign(): CampaignInput {
  return campaign({
    gateway: 'twilio',
    channels: {
      mode: 'fallback',
      fallbackAfterSeconds: WINDOW_S,
      list: [
        {
          channel: 'whatsapp',
          gateway: 'whatsapp-cloud',
          template: { name: 'chat_link', language: 'en_US', body: ['{link}'], urlButton: '{code}' },
          consent: 'By pressing 1 you agree to get WhatsApp messages from Acme.',
        },
        { channel: 'sms' },
      ],
    },
  });
}

beforeEach(async () => {
  meta = await startFakeWhatsapp();
  twilio = await startFakeTwilio();
  clock = Date.now();
  srv = startTestServer({
    env: {
      WHATSAPP_ACCESS_TOKEN: WA_TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: WA_PHONE_NUMBER_ID,
      WHATSAPP_APP_SECRET: WA_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: WA_VERIFY_TOKEN,
      WHATSAPP_API_BASE_URL: meta.url,
      WHATSAPP_API_VERSION: WA_VERSION,
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.url,
    },
    campaigns: [fallbackCampaign()],
    now: () => new Date(clock),
  });
});
afterEach(async () => {
  await srv.close();
  await Promise.all([meta.close(), twilio.close()]);
});

// --- Helpers ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once probe() is truthy. The bound is on a broken test, not on the machine: nothing asserts how long it took. */
async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves once two whole dispatcher polls (fallback sweep, then claim) have run from now on. */
async function twoPolls(): Promise<void> {
  const claims = jest.spyOn(srv.store, 'claimDueMessages');
  try {
    const start = claims.mock.calls.length;
    await waitFor(() => claims.mock.calls.length >= start + 2, 'two polls');
    await Promise.allSettled(claims.mock.results.slice(start).map((r) => r.value as Promise<unknown>));
  } finally {
    claims.mockRestore();
  }
}

/** The texts Twilio accepted: what reached the caller's phone as SMS. */
const texts = () => twilio.messages;
/** The send requests the WhatsApp fake received. */
const whatsappSends = () => meta.requests.length;

async function call(): Promise<IvrCaller> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

async function stored(): Promise<MessageRecord[]> {
  return srv.store.listMessages({ limit: 10 });
}

async function whatsappMessage(): Promise<MessageRecord> {
  const m = (await stored()).find((x) => x.channel === 'whatsapp');
  if (!m) throw new Error('no WhatsApp message stored');
  return m;
}

/** A status Meta posts to the callback URL, signed with the app secret. */
async function postStatus(wamid: string, status: string, errors?: { code: number; title: string }[]) {
  const body = statusBody(wamid, status, ANI.slice(1), errors);
  return request(srv.app).post(CALLBACK).set('Content-Type', 'application/json').set('X-Hub-Signature-256', await metaSignature(body)).send(body);
}

/** The one text went to the caller with the link, and is stored as the WhatsApp message's fallback. */
async function expectOneFallbackText(): Promise<void> {
  // Twilio's fake has the text before our outbox records its answer: wait for the record.
  await waitFor(async () => (await stored()).some((m) => m.channel === 'sms' && m.vendorMessageId !== null), 'the fallback text recorded as sent');
  expect(texts()).toHaveLength(1);
  expect(texts()[0]).toMatchObject({ to: ANI, body: expect.stringMatching(/^Chat with us: https:\/\/t\.example\.test\/s\//) });
  const first = await whatsappMessage();
  const sms = (await stored()).filter((m) => m.channel === 'sms');
  expect(sms).toEqual([expect.objectContaining({ fallbackOf: first.id, gateway: 'twilio', vendorMessageId: texts()[0]!.sid })]);
  expect(first.fellBackAt).not.toBeNull();
}

const passWindow = () => {
  clock += (WINDOW_S + 1) * 1000;
};

// --- The paths -------------------------------------------------------------------------

it('not on WhatsApp (131026 on the send): one text at once, and the caller hears a text was sent', async () => {
  meta.respond(() => whatsappError(400, 131026, '(#131026) Message undeliverable', 'OAuthException', 'Message undeliverable'));

  const caller = await call();
  expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
  await expectOneFallbackText();

  passWindow();
  await twoPolls();
  expect(texts()).toHaveLength(1);
  expect(whatsappSends()).toBe(1);
});

it('not on WhatsApp reported later (accepted, then a signed "failed" with 131026): one text after the receipt', async () => {
  const caller = await call();
  expect(caller.prompts()).toBe("We've sent you a WhatsApp message. Goodbye.");
  const first = await whatsappMessage();
  await twoPolls();
  expect(texts()).toHaveLength(0);

  // A forged or unsigned "failed" makes no text.
  const failed = statusBody(first.vendorMessageId!, 'failed', ANI.slice(1), NOT_ON_WHATSAPP);
  const posting = () => request(srv.app).post(CALLBACK).set('Content-Type', 'application/json');
  expect((await posting().set('X-Hub-Signature-256', await metaSignature(failed, 'not-the-app-secret')).send(failed)).status).toBe(403);
  expect((await posting().send(failed)).status).toBe(401);
  await twoPolls();
  expect(texts()).toHaveLength(0);
  expect((await whatsappMessage()).status).toBe('sent');

  expect((await postStatus(first.vendorMessageId!, 'failed', NOT_ON_WHATSAPP)).status).toBe(200);
  await waitFor(() => texts().length > 0, 'the fallback text');
  await expectOneFallbackText();

  // The window passing, and the same failed receipt again, make no second text.
  passWindow();
  expect((await postStatus(first.vendorMessageId!, 'failed', NOT_ON_WHATSAPP)).status).toBe(200);
  await twoPolls();
  expect(texts()).toHaveLength(1);
});

it('no delivery within the window: one text once the clock passes it; a delivered receipt after that changes nothing more', async () => {
  await call();
  const first = await whatsappMessage();
  clock += (WINDOW_S - 1) * 1000;
  await twoPolls();
  expect(texts()).toHaveLength(0);

  clock += 2000;
  await waitFor(() => texts().length > 0, 'the fallback text');
  await expectOneFallbackText();

  expect((await postStatus(first.vendorMessageId!, 'delivered')).status).toBe(200);
  expect((await postStatus(first.vendorMessageId!, 'read')).status).toBe(200);
  passWindow();
  await twoPolls();
  expect(texts()).toHaveLength(1);
  expect(whatsappSends()).toBe(1);

  // The channel report counts the fallback once, from WhatsApp to SMS.
  const day = 86_400_000;
  const report = await request(srv.app)
    .get(`/api/reports/channels?from=${new Date(clock - 2 * day).toISOString()}&to=${new Date(clock + day).toISOString()}`)
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(report.status).toBe(200);
  expect(report.body.fallbacks).toEqual([expect.objectContaining({ from: 'whatsapp', to: 'sms', messages: 1 })]);
});

it('a delivered receipt before the window: no text, ever', async () => {
  await call();
  const first = await whatsappMessage();
  expect((await postStatus(first.vendorMessageId!, 'delivered')).status).toBe(200);

  passWindow();
  await twoPolls();
  clock += 24 * 3600 * 1000;
  await twoPolls();
  expect(texts()).toHaveLength(0);
  expect((await stored()).filter((m) => m.channel === 'sms')).toEqual([]);
  expect((await whatsappMessage()).status).toBe('delivered');
});

it('vendor down (500 every time): one text when the window passes, and WhatsApp is never sent after it, even once Meta recovers', async () => {
  meta.respond(() => whatsappError(500, 1, 'An unknown error occurred', 'OAuthException'));

  const caller = await call();
  expect(caller.prompts()).not.toContain('sent you a text');
  expect(texts()).toHaveLength(0);
  expect((await whatsappMessage()).status).toBe('queued');

  passWindow();
  await waitFor(() => texts().length > 0, 'the fallback text');
  await expectOneFallbackText();
  const triedWhatsapp = whatsappSends();
  expect(triedWhatsapp).toBeGreaterThan(0);

  // Meta is back; the queued WhatsApp message's retries fall due: none goes out.
  meta.respond((req) => acceptWhatsappMessage(req));
  for (let i = 0; i < 3; i++) {
    clock += 3600 * 1000;
    await twoPolls();
  }
  expect(whatsappSends()).toBe(triedWhatsapp);
  expect(texts()).toHaveLength(1);
});

it('replays: the same failed receipt posted twice at once still makes one text', async () => {
  await call();
  const first = await whatsappMessage();

  const answers = await Promise.all([postStatus(first.vendorMessageId!, 'failed', NOT_ON_WHATSAPP), postStatus(first.vendorMessageId!, 'failed', NOT_ON_WHATSAPP)]);
  expect(answers.map((a) => a.status)).toEqual([200, 200]);
  await waitFor(() => texts().length > 0, 'the fallback text');
  await twoPolls();
  await expectOneFallbackText();
});

it('replays: a failed receipt racing the window sweep still makes one text', async () => {
  await call();
  const first = await whatsappMessage();

  // The window passes while the failed receipt arrives: the sweep and the receipt both see the message due.
  passWindow();
  expect((await postStatus(first.vendorMessageId!, 'failed', NOT_ON_WHATSAPP)).status).toBe(200);
  await waitFor(() => texts().length > 0, 'the fallback text');
  await twoPolls();
  await expectOneFallbackText();
  expect((await srv.store.listEvents(first.callId)).filter((e) => e.type === 'channel-fallback')).toHaveLength(1);
});
