import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { FileCampaignCatalog } from '../../src/campaigns/file-catalog';
import { CampaignError } from '../../src/campaigns/registry';
import { CampaignSchema, type CampaignInput } from '../../src/campaigns/schema';

/**
 * The campaign's `channels` (issue 18): a hand-written file with a channel mistake must be
 * refused at load, naming the file and the field, while a campaign without channels stays
 * exactly as it was (SMS).
 */

const BASE: CampaignInput = {
  id: 'support',
  name: 'Support chat',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
};

const WHATSAPP = {
  channel: 'whatsapp',
  gateway: 'sandbox',
  template: { name: 'chat_link', language: 'en_US', body: ['{link}'], urlButton: '{code}' },
  consent: 'By pressing 1 you agree to get WhatsApp messages from Acme.',
};

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** The problems the server reports loading this campaign from a file; [] when it loads. */
function problemsOf(extra: Record<string, unknown>): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'channels-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...BASE, ...extra }));
  try {
    FileCampaignCatalog.open({ dir, check: () => [], log: pino({ level: 'silent' }), watch: false });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(CampaignError);
    return (err as CampaignError).problems;
  }
}

describe('campaign channels', () => {
  it('a campaign without channels has none (SMS as before)', () => {
    expect(CampaignSchema.parse(BASE).channels).toBeUndefined();
  });

  it('fills the defaults: fallback mode, 120 s, RCS lets the vendor fall back to SMS', () => {
    const c = CampaignSchema.parse({
      ...BASE,
      channels: { list: [WHATSAPP, { channel: 'rcs', gateway: 'twilio', message: 'Chat: {link}' }, { channel: 'sms' }] },
    });
    expect(c.channels?.mode).toBe('fallback');
    expect(c.channels?.fallbackAfterSeconds).toBe(120);
    expect(c.channels?.list[1]).toMatchObject({ channel: 'rcs', smsFallbackByVendor: true });
  });

  it('a choice campaign with distinct keys and every channel loads', () => {
    expect(
      problemsOf({
        channels: {
          mode: 'choice',
          list: [
            { channel: 'sms', key: '1' },
            { ...WHATSAPP, key: '3' },
            { channel: 'rcs', gateway: 'vonage-messages', message: 'Chat: {link}', key: '4' },
            { channel: 'c2m', skill: 'support', handoffId: 'H123', overrideChannel: 'whatsapp', key: '5' },
          ],
        },
      }),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an empty list', { list: [] }, 'bad.json: channels.list: Too small: expected array to have >=1 items'],
    ['a channel listed twice', { list: [{ channel: 'sms' }, { channel: 'sms' }] }, 'bad.json: channels.list.1.channel: "sms" is listed twice'],
    ['an unknown channel', { list: [{ channel: 'fax' }] }, 'bad.json: channels.list.0.channel'],
    ['WhatsApp without consent', { list: [{ ...WHATSAPP, consent: undefined }] }, 'bad.json: channels.list.0.consent'],
    ['WhatsApp without a gateway', { list: [{ ...WHATSAPP, gateway: undefined }] }, 'bad.json: channels.list.0.gateway'],
    ['WhatsApp on a gateway that cannot carry it', { list: [{ ...WHATSAPP, gateway: 'plivo' }] }, 'bad.json: channels.list.0.gateway'],
    [
      'a WhatsApp language in BCP-47 spelling',
      { list: [{ ...WHATSAPP, template: { ...WHATSAPP.template, language: 'en-US' } }] },
      'bad.json: channels.list.0.template.language: must be a WhatsApp language code such as en_US, es or pt_BR',
    ],
    [
      'an unknown placeholder in a template variable',
      { list: [{ ...WHATSAPP, template: { ...WHATSAPP.template, body: ['{name}'] } }] },
      'bad.json: channels.list.0.template.body.0: may only use the placeholders {link} and {code}',
    ],
    ['RCS without {link}', { list: [{ channel: 'rcs', gateway: 'twilio', message: 'Chat with us' }] }, 'bad.json: channels.list.0.message: must contain {link}'],
    ['RCS on Plivo (no RCS)', { list: [{ channel: 'rcs', gateway: 'plivo', message: '{link}' }] }, 'bad.json: channels.list.0.gateway'],
    ['C2M without a handoff id', { list: [{ channel: 'c2m', skill: 'support' }] }, 'bad.json: channels.list.0.handoffId'],
    ['C2M overriding to RCS', { list: [{ channel: 'c2m', skill: 's', handoffId: 'H', overrideChannel: 'rcs' }] }, 'bad.json: channels.list.0.overrideChannel'],
    ['a key in fallback mode', { list: [{ channel: 'sms', key: '1' }] }, 'bad.json: channels.list.0.key: is only for choice mode (fallback mode uses keys.accept)'],
    ['choice mode without a key', { mode: 'choice', list: [{ channel: 'sms', key: '1' }, WHATSAPP] }, 'bad.json: channels.list.1.key: is required in choice mode'],
    ['a choice key equal to decline', { mode: 'choice', list: [{ channel: 'sms', key: '2' }] }, 'bad.json: channels.list.0.key: must differ from the decline key 2'],
    [
      'two channels on one key',
      { mode: 'choice', list: [{ channel: 'sms', key: '1' }, { ...WHATSAPP, key: '1' }] },
      'bad.json: channels.list.1.key: 1 is already the key of list[0]',
    ],
    ['fallback after 5 seconds', { fallbackAfterSeconds: 5, list: [{ channel: 'sms' }] }, 'bad.json: channels.fallbackAfterSeconds'],
    ['a fifth entry', { list: [{ channel: 'sms' }, WHATSAPP, { channel: 'rcs', gateway: 'twilio', message: '{link}' }, { channel: 'c2m', skill: 's', handoffId: 'H' }, { channel: 'sms' }] }, 'bad.json: channels.list'],
    ['an unknown mode', { mode: 'both', list: [{ channel: 'sms' }] }, 'bad.json: channels.mode'],
    ['an unknown placeholder in a channel prompt', { list: [{ ...WHATSAPP, prompts: { sent: 'Sent to {number}' } }] }, 'bad.json: channels.list.0.prompts.sent: unknown placeholder {number}'],
  ])('%s is refused with its path', (_name, channels, expected) => {
    const problems = problemsOf({ channels });
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('a language without default prompts must word the channel prompts itself', () => {
    const problems = problemsOf({ language: 'fr-FR', channels: { list: [WHATSAPP] } });
    expect(problems).toEqual(
      expect.arrayContaining([
        'bad.json: channels.list.0.prompts.offer: is required: there are no default prompts for language fr-FR',
        'bad.json: channels.list.0.prompts.sent: is required: there are no default prompts for language fr-FR',
      ]),
    );
  });
});
