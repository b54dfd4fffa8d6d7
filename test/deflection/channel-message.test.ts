import { CampaignSchema, type CampaignInput } from '../../src/campaigns/schema';
import { channelEndPrompt, channelOfferPrompt } from '../../src/campaigns/channel-prompts';
import { C2M_GATEWAY, codeOf, fallbackPlanFor, messageFor, type MessageInputs } from '../../src/deflection/channel-message';

/** The message a call's channel gets, and its stored fallback plan, from the campaign. */

const LINK = 'https://t.example.test/s/Ab3dE9x';
const BASE: CampaignInput = {
  id: 'support',
  name: 'Support',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
};
const ELIGIBLE = { c2mEligibility: { callId: 'lp-call-1', phone: '+16175551234', availableChannels: ['sms'], recommendedChannel: 'sms', checkedAt: '2026-12-04T00:00:00.000Z' } };
const NOT_CHECKED = { c2mEligibility: null };

function inputs(channels: CampaignInput['channels'], extra: Partial<CampaignInput> = {}): MessageInputs {
  const campaign = CampaignSchema.parse({ ...BASE, ...extra, channels });
  return { campaign, smsTemplate: campaign.message, link: LINK, smsRoute: { gateway: 'twilio', fallbackGateway: 'vonage' } };
}

/** RCS whose SMS fallback is ours to send (smsFallbackByVendor false). */
const RCS = { channel: 'rcs' as const, gateway: 'vonage-messages' as const, message: 'Tap to chat: {link}', smsFallbackByVendor: false };
const C2M = { channel: 'c2m' as const, skill: 'support', handoffId: 'H123', overrideChannel: 'whatsapp' as const };

describe('the message on the call channel', () => {
  it('the code is what follows /s/ in the short link', () => {
    expect(codeOf(LINK)).toBe('Ab3dE9x');
  });

  it('RCS: its own text with the link, on its gateway, with no failover gateway', () => {
    const m = messageFor('rcs', inputs({ list: [RCS, { channel: 'sms' }] }), NOT_CHECKED);
    expect(m).toEqual({ channel: 'rcs', body: `Tap to chat: ${LINK}`, gateway: 'vonage-messages', fallbackGateway: null });
  });

  it('an SMS entry keeps the campaign route unless it names its own gateway', () => {
    expect(messageFor('sms', inputs({ list: [{ channel: 'sms' }] }), NOT_CHECKED)).toMatchObject({ gateway: 'twilio', fallbackGateway: 'vonage', body: `Chat with us: ${LINK}` });
    expect(messageFor('sms', inputs({ list: [{ channel: 'sms', gateway: 'vonage', message: 'Hi {link}' }] }), NOT_CHECKED)).toMatchObject({
      gateway: 'vonage',
      fallbackGateway: null,
      body: `Hi ${LINK}`,
    });
  });

  it("C2M: LivePerson's gateway, with the eligibility call's id and the override channel", () => {
    expect(messageFor('c2m', inputs({ list: [C2M] }), ELIGIBLE)).toMatchObject({
      channel: 'c2m',
      gateway: C2M_GATEWAY,
      // In LivePerson's words: it lists WhatsApp as "wa".
      c2m: { callId: 'lp-call-1', overrideChannel: 'wa' },
    });
    expect(messageFor('c2m', inputs({ list: [C2M] }), NOT_CHECKED).c2m).toBeUndefined();
  });
});

describe('the fallback plan', () => {
  it('fallback mode: the next entry, after fallbackAfterSeconds; the last entry has none', () => {
    const i = inputs({ fallbackAfterSeconds: 300, list: [RCS, { channel: 'sms' }] });
    expect(fallbackPlanFor('rcs', i, NOT_CHECKED)).toEqual({
      channel: 'sms',
      gateway: 'twilio',
      fallbackGateway: 'vonage',
      body: `Chat with us: ${LINK}`,
      afterSeconds: 300,
    });
    expect(fallbackPlanFor('sms', i, NOT_CHECKED)).toBeNull();
  });

  it('choice mode: the SMS entry on failure only, and nothing when SMS was chosen or is not listed', () => {
    const withSms = inputs({ mode: 'choice', list: [{ channel: 'sms', key: '1' }, { ...RCS, key: '3' }] });
    expect(fallbackPlanFor('rcs', withSms, NOT_CHECKED)).toMatchObject({ channel: 'sms', afterSeconds: null });
    expect(fallbackPlanFor('sms', withSms, NOT_CHECKED)).toBeNull();
    const noSms = inputs({ mode: 'choice', list: [{ ...RCS, key: '1' }, { ...C2M, key: '3' }] });
    expect(fallbackPlanFor('rcs', noSms, NOT_CHECKED)).toBeNull();
  });

  it('RCS whose vendor sends the SMS itself (the default) gets no SMS plan of ours: one text, never two; the message asks the vendor for it', () => {
    const vendorFallback = { ...RCS, smsFallbackByVendor: true };
    const i = inputs({ list: [vendorFallback, { channel: 'sms' }] });
    expect(messageFor('rcs', i, NOT_CHECKED)).toMatchObject({ channel: 'rcs', smsFallbackByVendor: true });
    expect(fallbackPlanFor('rcs', i, NOT_CHECKED)).toBeNull();
    const byDefault = inputs({ list: [{ channel: 'rcs', gateway: 'twilio', message: 'Tap: {link}' }, { channel: 'sms' }] });
    expect(fallbackPlanFor('rcs', byDefault, NOT_CHECKED)).toBeNull();
  });

  it('a campaign without channels has none', () => {
    expect(fallbackPlanFor(null, inputs(undefined), NOT_CHECKED)).toBeNull();
  });
});

describe('channel prompts', () => {
  it("an entry's own offer and sent replace the defaults; its consent still follows the offer", () => {
    const { campaign } = inputs({
      list: [{ ...RCS, consent: 'You agree to messages.', prompts: { offer: 'Press 1 for a rich message.', sent: 'Done.' } }],
    });
    expect(channelOfferPrompt(campaign, undefined)).toBe('Press 1 for a rich message. You agree to messages.');
    expect(channelEndPrompt(campaign, 'rcs', 'sent')).toBe('Done.');
    expect(channelEndPrompt(campaign, 'rcs', 'pending')).toBe('Your message in your Messages app is on its way. Goodbye.');
  });

  it("a variant's offer replaces the wording, not the consent", () => {
    const { campaign } = inputs({ list: [{ ...RCS, consent: 'You agree to messages.' }] });
    expect(channelOfferPrompt(campaign, 'Skip the queue: press 1.')).toBe('Skip the queue: press 1. You agree to messages.');
  });

  it('choice mode names a star key as a word, in Spanish too', () => {
    const { campaign } = inputs({ mode: 'choice', list: [{ channel: 'sms', key: '*' }, { ...RCS, key: '3' }] }, { language: 'es-MX' });
    expect(channelOfferPrompt(campaign, undefined)).toBe(
      'Podemos enviarle un enlace para chatear con nosotros ahora. Para un mensaje de texto, oprima asterisco. ' +
        'Para un mensaje en su aplicación de Mensajes, oprima 3. Para permanecer en la línea, oprima 2.',
    );
  });
});
