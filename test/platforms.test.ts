import { create } from 'xmlbuilder2';
import { CampaignSchema, type Campaign, type CampaignInput } from '../src/campaigns/schema';
import { unknownPlatformPage, withPlatform } from '../src/deflection/platform-override';
import { confirmAniPage, endPage, enterNumberPage, offerPage, readBackPage, rootPage, type CallContext } from '../src/deflection/pages';
import type { CallResult, Page } from '../src/vxml/model';
import { PLATFORM_NAMES, type PlatformName } from '../src/vxml/platforms/profiles';
import { renderPage } from '../src/vxml/render';
import { IvrCaller } from './helpers/ivr-caller';
import { campaign as serverCampaign, startTestServer } from './helpers/server';
import { expectValidVxml } from './helpers/vxml-schema';

/**
 * Platform profiles (README "Platforms"): every document of every profile is valid
 * VoiceXML 2.1, and each profile's differences show in the documents it writes.
 */

type El = {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
  parentNode: El | null;
  localName: string;
  textContent: string | null;
  hasAttribute(name: string): boolean;
};

function elements(xml: string, name: string): El[] {
  const root = (create(xml).node as unknown as { documentElement: El }).documentElement;
  return Array.from(root.getElementsByTagName(name));
}

function campaignWith(overrides: Partial<CampaignInput> = {}): Campaign {
  return CampaignSchema.parse({
    id: 'support',
    name: 'Support chat',
    dnis: ['+16175550100'],
    message: 'Chat with us: {link}',
    link: 'https://chat.example.com/start?call={callId}',
    keys: { accept: '5', decline: '6', confirm: '5', change: '6' },
    onSent: { action: 'hangup' },
    ...overrides,
  });
}

const SENT: CallResult = { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' };
const ENDINGS: Array<{ action: 'hangup' | 'exit' } | { action: 'goto'; url: string }> = [
  { action: 'hangup' },
  { action: 'exit' },
  { action: 'goto', url: 'https://ivr.example.com/back?x=1' },
];

/** Every page the call flow can build for a campaign, in both integration modes. */
function everyPage(c: Campaign): Array<[string, Page]> {
  const pages: Array<[string, Page]> = [];
  for (const mode of ['goto', 'subdialog'] as const) {
    const ctx: CallContext = { campaign: c, callId: 'call-0123456789abcdefghij', mode };
    pages.push(
      [`root ${mode}`, rootPage(c, mode)],
      [`offer ${mode}`, offerPage(ctx, 'Press 5 for a text, 6 to stay.')],
      [`confirm-ani ${mode}`, confirmAniPage(ctx, '1234')],
      [`read-back ${mode}`, readBackPage(ctx, '6175551234')],
      [`enter-number ${mode}`, enterNumberPage(ctx, 'invalidNumber')],
      [`end sent ${mode}`, endPage(c, mode, SENT, ['sent'])],
      [`end unknown call ${mode}`, endPage(undefined, mode, { status: 'failed', reason: 'call-expired', maskedNumber: '' })],
      [`unknown platform ${mode}`, unknownPlatformPage(mode)],
    );
  }
  return pages;
}

/** Documents already checked: profiles and endings share most of them, and the schema check is slow. */
const validated = new Set<string>();
async function expectValid(xml: string, label: string): Promise<void> {
  if (validated.has(xml)) return;
  await expectValidVxml(xml).catch((err: Error) => {
    throw new Error(`${label}: ${err.message}`);
  });
  validated.add(xml);
}

describe.each(PLATFORM_NAMES)('every document of the %s profile', (platform) => {
  it.each(ENDINGS.map((e) => [e.action, e] as const))('is valid VoiceXML 2.1 (campaign ending %s, with and without recorded digits)', async (_label, onSent) => {
    for (const digitAudio of [undefined, 'https://audio.example.com/digits/']) {
      const c = campaignWith({ platform, onSent, onHandBack: onSent, ...(digitAudio ? { digitAudio } : {}) });
      for (const [name, page] of everyPage(c)) {
        await expectValid(renderPage(page), `${platform} ${name}`);
        // platform= on the start URL: the same documents, with the platform carried in our URLs.
        await expectValid(renderPage(withPlatform(page, platform)), `${platform} ${name} (platform=)`);
      }
    }
    // A hang guard, not a speed requirement: the first profile checks some 60 documents with
    // the schema, several seconds each on a loaded 2-core machine.
  }, 900_000);
});

describe('the cisco profile', () => {
  const generic = campaignWith();
  const cisco = campaignWith({ platform: 'cisco' });
  const ctx = (c: Campaign): CallContext => ({ campaign: c, callId: 'call-0123456789abcdefghij', mode: 'goto' });

  it('listens for the campaign keys with <option dtmf> instead of an inline SRGS grammar (VVB: regex DTMF grammars only)', () => {
    const xml = renderPage(offerPage(ctx(cisco), 'Press 5 or 6.'));
    expect(elements(xml, 'grammar')).toHaveLength(0);
    expect(elements(xml, 'option').map((o) => [o.getAttribute('dtmf'), o.getAttribute('value')])).toEqual([
      ['5', '5'],
      ['6', '6'],
    ]);
    // The generic document keeps its SRGS grammar with the same keys.
    const genericXml = renderPage(offerPage(ctx(generic), 'Press 5 or 6.'));
    expect(elements(genericXml, 'option')).toHaveLength(0);
    expect(elements(genericXml, 'item').map((i) => i.textContent)).toEqual(['5', '6']);
  });

  it('keeps the builtin digits type for number entry (a builtin grammar VVB handles itself)', () => {
    const xml = renderPage(enterNumberPage(ctx(cisco)));
    expect(elements(xml, 'grammar')).toHaveLength(0);
    expect(elements(xml, 'field')[0]?.getAttribute('type')).toBe('digits?minlength=7;maxlength=15');
  });

  it('sets fetchaudiodelay and fetchaudiominimum where the send step plays hold audio, so the hold lasts only as long as the send', () => {
    const props = (xml: string) => Object.fromEntries(elements(xml, 'property').map((p) => [p.getAttribute('name'), p.getAttribute('value')]));
    const confirm = renderPage(confirmAniPage(ctx(cisco), '1234'));
    expect(props(confirm)).toMatchObject({ fetchaudiodelay: '1s', fetchaudiominimum: '0s' });
    expect(elements(confirm, 'submit').some((s) => s.getAttribute('fetchaudio'))).toBe(true);
    // Nowhere else, and never in generic documents.
    expect(props(renderPage(offerPage(ctx(cisco), 'Press 5.')))).not.toHaveProperty('fetchaudiominimum');
    expect(props(renderPage(confirmAniPage(ctx(generic), '1234')))).not.toHaveProperty('fetchaudiominimum');
  });

  it('hangs up with a bare <disconnect/> (VoiceXML 2.0 element set), the result declared in the document', () => {
    const xml = renderPage(endPage(cisco, 'goto', SENT, ['sent']));
    const [disconnect] = elements(xml, 'disconnect');
    expect(disconnect?.hasAttribute('namelist')).toBe(false);
    expect(elements(xml, 'var').map((a) => [a.getAttribute('name'), a.getAttribute('expr')])).toEqual([
      ['status', "'sent'"],
      ['reason', "'accepted'"],
      ['maskedNumber', "'+*******1234'"],
    ]);
    expect(elements(renderPage(endPage(generic, 'goto', SENT, ['sent'])), 'disconnect')[0]?.getAttribute('namelist')).toBe(
      'status reason maskedNumber',
    );
    // The root document's error handler ends the same way.
    const root = renderPage(rootPage(campaignWith({ platform: 'cisco', onHandBack: { action: 'hangup' } }), 'goto'));
    expect(elements(root, 'disconnect').every((d) => !d.hasAttribute('namelist'))).toBe(true);
  });

  it('reads digits back spaced out as text, not with say-as', () => {
    const xml = renderPage(readBackPage(ctx(cisco), '6175551234'));
    expect(elements(xml, 'say-as')).toHaveLength(0);
    expect(elements(xml, 'prompt')[0]?.textContent).toContain('6 1 7 5 5 5 1 2 3 4');
    expect(elements(renderPage(readBackPage(ctx(generic), '6175551234')), 'say-as').map((s) => s.textContent)).toEqual(['6175551234']);
  });
});

describe('digit read-back', () => {
  const ctx = (c: Campaign): CallContext => ({ campaign: c, callId: 'call-0123456789abcdefghij', mode: 'goto' });

  it.each([
    ['generic', 'say-as'],
    ['cisco', 'spaced'],
  ] as const)('with digitAudio plays one recording per digit, the %s TTS reading (%s) inside each <audio>', (platform, style) => {
    const c = campaignWith({ platform, digitAudio: 'https://audio.example.com/digits' });
    const xml = renderPage(confirmAniPage(ctx(c), '1204'));
    const audio = elements(xml, 'audio').filter((a) => a.getAttribute('src')?.startsWith('https://audio.example.com/'));
    expect(audio.map((a) => a.getAttribute('src'))).toEqual(['1', '2', '0', '4'].map((d) => `https://audio.example.com/digits/${d}.wav`));
    expect(audio.map((a) => a.textContent)).toEqual(['1', '2', '0', '4']);
    expect(audio.every((a) => a.getElementsByTagName('say-as').length === (style === 'say-as' ? 1 : 0))).toBe(true);
  });
});

describe('avaya, genesys and nuance', () => {
  // Their documentation shows no difference from W3C VoiceXML 2.1 for what we write
  // (README "Platforms"): the documents are generic's, byte for byte, apart from nothing.
  it.each(['avaya', 'genesys', 'nuance'] as const)('%s writes the generic documents', (platform) => {
    const generic = everyPage(campaignWith());
    const other = everyPage(campaignWith({ platform }));
    other.forEach(([name, page], i) => {
      const { platform: _p, ...rest } = page as Page & { platform?: PlatformName };
      expect({ name, xml: renderPage(rest as Page) }).toEqual({ name, xml: renderPage(generic[i]?.[1] as Page) });
      expect({ name, xml: renderPage(page) }).toEqual({ name, xml: renderPage(generic[i]?.[1] as Page) });
    });
  });
});

describe('the platform setting', () => {
  it('refuses an unknown platform when the campaign is loaded', () => {
    const parsed = CampaignSchema.safeParse({ ...campaignWith(), platform: 'asterisk' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['platform']);
  });
});

describe('platform= on the start URL', () => {
  const DNIS = 'tel:+18005550100';

  it('writes every document of the call for that platform, overriding the campaign', async () => {
    const server = startTestServer({ campaigns: [serverCampaign({ platform: 'generic' })] });
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: '+16175551234', platform: 'Cisco' });
      expect(elements(caller.xml, 'option').map((o) => o.getAttribute('dtmf'))).toEqual(['1', '2']);
      // The root document the browser loads is written for the same platform.
      expect(/<vxml [^>]*application="([^"]*)"/.exec(caller.xml)?.[1]).toContain('platform=cisco');
      await caller.press('1');
      expect(elements(caller.xml, 'option').map((o) => o.getAttribute('dtmf'))).toEqual(['1', '2']);
      expect(caller.spokenDigits()).toEqual([]);
      expect(caller.prompts()).toContain('1 2 3 4');
      await caller.press('1');
      expect(caller.ending().kind).toBe('disconnect');
      expect(elements(caller.xml, 'disconnect')[0]?.hasAttribute('namelist')).toBe(false);
      expect(caller.ending().result).toMatchObject({ status: 'sent' });
    } finally {
      server.close();
    }
  });

  it('uses the campaign platform when the start URL names none', async () => {
    const server = startTestServer({ campaigns: [serverCampaign({ platform: 'cisco' })] });
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: '+16175551234' });
      expect(elements(caller.xml, 'option')).toHaveLength(2);
      await caller.giveUp('noinput');
      expect(caller.ending().result).toMatchObject({ reason: 'no-input' });
    } finally {
      server.close();
    }
  });

  it('hands an unknown platform back at once, saying why, without starting a call', async () => {
    const server = startTestServer();
    try {
      const caller = new IvrCaller(server.app);
      await caller.start({ dnis: DNIS, ani: '+16175551234', platform: 'asterisk' });
      expect(caller.isQuestion()).toBe(false);
      expect(caller.ending()).toEqual({ kind: 'exit', result: { status: 'failed', reason: 'unknown-platform', maskedNumber: '' } });
      const events = await server.store.searchEvents({ from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', limit: 10 });
      expect(events).toEqual([]);
    } finally {
      server.close();
    }
  });
});
