import type { CampaignInput } from '../../src/campaigns/schema';
import { IvrCaller } from '../helpers/ivr-caller';
import { expectValidVxml } from '../helpers/vxml-schema';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Calls of a campaign with channels (issue 18), through the real app, store and sandbox
 * gateway: what the caller hears and presses, and what is stored to be sent.
 */

const DNIS = 'tel:+18005550100';
const ANI = '+16175551234';
const NOT_ON_WHATSAPP = '+16175559876';
const CONSENT = 'By pressing 1 you agree to get WhatsApp messages from Acme.';

const WHATSAPP = {
  channel: 'whatsapp' as const,
  gateway: 'sandbox' as const,
  template: { name: 'chat_link', language: 'en_US', body: ['{link}'], urlButton: '{code}' },
  consent: CONSENT,
};

function fallbackCampaign(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return campaign({
    channels: { mode: 'fallback', fallbackAfterSeconds: 90, list: [WHATSAPP, { channel: 'sms' }] },
    ...overrides,
  });
}

function choiceCampaign(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return campaign({
    channels: { mode: 'choice', list: [{ channel: 'sms', key: '1' }, { ...WHATSAPP, consent: 'By pressing 3 you agree to get WhatsApp messages from Acme.', key: '3' }] },
    ...overrides,
  });
}

let server: TestServer | undefined;
afterEach(() => server?.close());

function start(campaigns: CampaignInput[]): TestServer {
  server = startTestServer({ campaigns, env: { SANDBOX_NOT_ON_CHANNEL_NUMBERS: NOT_ON_WHATSAPP } });
  return server;
}

function callIdOf(caller: IvrCaller): string {
  const match = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'));
  if (!match?.[1]) throw new Error('no call id in the document');
  return match[1];
}

async function messagesOf(srv: TestServer, callId: string) {
  return srv.store.listMessages({ callId, limit: 10 });
}

/** The consent record stored with a message. */
async function consentOf(srv: TestServer, messageId: string) {
  const all = await srv.store.listConsent({ from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z', limit: 100 });
  return all.find((c) => c.messageId === messageId);
}

describe('fallback mode: WhatsApp first, SMS if it does not get through', () => {
  it('offers WhatsApp with its consent, sends the template with the link and stores the SMS plan', async () => {
    const srv = start([fallbackCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    expect(caller.prompts()).toBe(
      `To get a WhatsApp message with a link to chat with us now, press 1. To stay on the line, press 2. ${CONSENT}`,
    );
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a WhatsApp message. Goodbye.");
    expect(caller.ending()).toMatchObject({ result: { status: 'sent', reason: 'accepted' } });

    const [message, ...others] = await messagesOf(srv, callId);
    expect(others).toHaveLength(0);
    const link = /https:\/\/t\.example\.test\/s\/([0-9A-Za-z]+)/.exec(message?.template?.body[0] ?? '');
    expect(link).not.toBeNull();
    expect(message).toMatchObject({
      channel: 'whatsapp',
      gateway: 'sandbox',
      template: { name: 'chat_link', language: 'en_US', body: [link?.[0]], urlButton: link?.[1] },
    });
    expect(message?.fallback).toEqual({
      channel: 'sms',
      gateway: 'sandbox',
      fallbackGateway: null,
      body: `Chat with us: ${link?.[0]}`,
      afterSeconds: 90,
    });
    expect((await srv.store.getCall(callId))?.channel).toBe('whatsapp');
  });

  it('records the WhatsApp consent wording with the consent', async () => {
    const srv = start([fallbackCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    const [message] = await messagesOf(srv, callId);
    const consent = await consentOf(srv, message!.id);
    expect(consent).toMatchObject({ channel: 'whatsapp', channelConsentText: CONSENT });
    expect(consent?.offerText).toContain(CONSENT);
  });

  it('a number not on WhatsApp gets the SMS plan in the same wait, and hears that a text (not a WhatsApp message) was sent', async () => {
    const srv = start([fallbackCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: NOT_ON_WHATSAPP });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    const messages = await messagesOf(srv, callId);
    const first = messages.find((m) => m.channel === 'whatsapp');
    expect(first).toMatchObject({ status: 'failed' });
    expect(first?.fallback?.channel).toBe('sms');
    expect(messages.filter((m) => m.channel === 'sms')).toEqual([expect.objectContaining({ status: 'sent', fallbackOf: first?.id })]);
  });

  it('the opt-out checked is the call\'s channel: a number that opted out of WhatsApp is asked for another', async () => {
    const srv = start([fallbackCampaign()]);
    const asked = jest.spyOn(srv.store, 'isSuppressed');
    await srv.store.suppress({ number: ANI, keyword: 'STOP', source: 'sandbox', channel: 'whatsapp', createdAt: new Date().toISOString() });
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await caller.press('1');
    await caller.press('1');
    expect(asked).toHaveBeenCalledWith(ANI, 'whatsapp');
    expect(caller.prompts()).toContain('That number has asked us not to send it texts.');
    expect(await messagesOf(srv, callIdOf(caller))).toHaveLength(0);
  });

  it('a campaign without channels asks about SMS as before (no channel named)', async () => {
    const srv = start([campaign()]);
    const asked = jest.spyOn(srv.store, 'isSuppressed');
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    expect(asked).toHaveBeenCalledWith(ANI);
    const [message] = await messagesOf(srv, callId);
    expect(message).toMatchObject({ channel: 'sms', template: null, fallback: null });
    expect((await srv.store.getCall(callId))?.channel).toBeNull();
  });
});

describe('choice mode: the caller picks the channel', () => {
  it('lists each channel with its key; pressing 3 sends WhatsApp and records the choice', async () => {
    const srv = start([choiceCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    expect(caller.prompts()).toBe(
      'We can send you a link to chat with us now. For a text message, press 1. For a WhatsApp message, press 3. ' +
        'By pressing 3 you agree to get WhatsApp messages from Acme. To stay on the line, press 2.',
    );
    const callId = callIdOf(caller);
    await caller.press('3');
    expect(caller.prompts()).toContain('ending in 1234');
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a WhatsApp message. Goodbye.");

    const call = await srv.store.getCall(callId);
    expect(call?.channel).toBe('whatsapp');
    const events = await srv.store.listEvents(callId);
    expect(events.find((e) => e.type === 'channel-chosen')?.detail).toEqual({ channel: 'whatsapp' });
    const [message] = await messagesOf(srv, callId);
    // Choice mode: the SMS entry is the plan, sent only if WhatsApp fails (no timer).
    expect(message).toMatchObject({ channel: 'whatsapp', fallback: { channel: 'sms', afterSeconds: null } });
    expect(await consentOf(srv, message!.id)).toMatchObject({
      channel: 'whatsapp',
      channelConsentText: 'By pressing 3 you agree to get WhatsApp messages from Acme.',
    });
  });

  it('pressing 1 sends a text, with no fallback plan', async () => {
    const srv = start([choiceCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');
    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    const [message] = await messagesOf(srv, callId);
    expect(message).toMatchObject({ channel: 'sms', fallback: null, template: null });
    expect(message?.body).toMatch(/^Chat with us: https:\/\/t\.example\.test\/s\//);
  });

  it('a key that names no channel is a no-match, not an accept', async () => {
    const srv = start([choiceCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    const callId = callIdOf(caller);
    await caller.press('4');
    expect(caller.prompts()).toContain("Sorry, I didn't get that.");
    expect((await srv.store.getCall(callId))?.state).toBe('offered');
  });
});

describe('channel documents are VoiceXML 2.1', () => {
  it.each([
    ['fallback, English', fallbackCampaign()],
    ['choice, English', choiceCampaign()],
    ['fallback, Spanish', fallbackCampaign({ language: 'es-US' })],
    ['choice, Spanish', choiceCampaign({ language: 'es-US' })],
  ])('%s: the offer and the sent page', async (_name, c) => {
    const srv = start([c]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await expectValidVxml(caller.xml);
    const spanish = c.language === 'es-US';
    const choice = c.channels?.mode === 'choice';
    if (spanish) expect(caller.prompts()).toContain(choice ? 'Para un mensaje de WhatsApp, oprima 3.' : 'Para recibir un mensaje de WhatsApp');
    await caller.press(choice ? '3' : '1');
    await caller.press('1');
    await expectValidVxml(caller.xml);
    expect(caller.prompts()).toBe(spanish ? 'Le hemos enviado un mensaje de WhatsApp. Adiós.' : "We've sent you a WhatsApp message. Goodbye.");
  });
});

describe('the number confirmation names the channel', () => {
  it('a WhatsApp call is told "we\'ll send a WhatsApp message to the number you\'re calling from", in English and Spanish; SMS keeps "we\'ll text"', async () => {
    const srv = start([
      fallbackCampaign(),
      fallbackCampaign({ id: 'soporte', dnis: ['+18005550199'], language: 'es-US' }),
      campaign({ id: 'plain', dnis: ['+18005550188'] }),
    ]);
    const heard = async (dnis: string, keys: string[]) => {
      const caller = new IvrCaller(srv.app);
      await caller.start({ dnis, ani: ANI });
      for (const key of keys) await caller.press(key);
      return caller.prompts();
    };
    expect(await heard(DNIS, ['1'])).toContain("We'll send a WhatsApp message to the number you're calling from, ending in 1234.");
    expect(await heard('+18005550199', ['1'])).toContain('Enviaremos un mensaje de WhatsApp al número desde el que llama, que termina en 1234.');
    expect(await heard('+18005550188', ['1'])).toContain("We'll text the number you're calling from");
  });

  it('choice mode: the channel the caller just picked is the one named', async () => {
    const srv = start([choiceCampaign()]);
    const caller = new IvrCaller(srv.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await caller.press('3');
    expect(caller.prompts()).toContain("We'll send a WhatsApp message to the number you're calling from");
  });
});
