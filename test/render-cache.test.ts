import { CampaignSchema, promptFor } from '../src/campaigns/schema';
import { confirmAniPage, endPage, offerPage, readBackPage, rootPage } from '../src/deflection/pages';
import { RecipePage, type PageRecipe, type RecipeCall } from '../src/deflection/page-recipe';
import { campaignSeenBy } from '../src/channels/c2m-view';
import { PageRenderer } from '../src/vxml/render-cache';
import { renderPage } from '../src/vxml/render';
import { supportCampaign } from './helpers/support-campaign';

// The cache must be invisible: every document it serves is byte for byte what renderPage makes.
const campaign = supportCampaign;
const offer = promptFor(campaign, 'offer');
const ids = ['Abc_defGHIjklMNOpqrs-01', 'Zyx_wvuTSRqpoNMLkji-99', 'AAAAAAAAAAAAAAAAAAAAAA'];

describe('PageRenderer', () => {
  test('pages of different calls come out exactly as renderPage makes them', () => {
    const renderer = new PageRenderer();
    for (const id of [...ids, ...ids]) {
      for (const mode of ['goto', 'subdialog'] as const) {
        const ctx = { campaign, callId: id, mode };
        for (const page of [offerPage(ctx, offer), confirmAniPage(ctx, '1234'), readBackPage(ctx, '6175551234')]) {
          expect(renderer.render(page)).toBe(renderPage(page));
        }
      }
    }
  });

  test('a second call of the same shape is served from the cache with its own id', () => {
    const renderer = new PageRenderer();
    renderer.render(offerPage({ campaign, callId: ids[0] as string, mode: 'goto' }, offer));
    const second = renderer.render(offerPage({ campaign, callId: ids[1] as string, mode: 'goto' }, offer));
    expect(second).toContain(`call=${ids[1]}`);
    expect(second).not.toContain(ids[0]);
  });

  test('pages without a call (root, endings) are cached as they are', () => {
    const renderer = new PageRenderer();
    const pages = [rootPage(campaign, 'goto'), endPage(campaign, 'goto', { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' })];
    for (const page of [...pages, ...pages]) expect(renderer.render(page)).toBe(renderPage(page));
  });

  test('it holds at most its limit of shapes, dropping the least recently used', () => {
    const renderer = new PageRenderer(2);
    const page = (lastFour: string) => confirmAniPage({ campaign, callId: ids[0] as string, mode: 'goto' }, lastFour);
    for (const lastFour of ['0001', '0002', '0003', '0001']) expect(renderer.render(page(lastFour))).toBe(renderPage(page(lastFour)));
    expect((renderer as unknown as { cache: Map<string, unknown> }).cache.size).toBe(2);
  });
});

// The routes render what the service answers from its recipe, keyed on the recipe's builder
// and arguments, the campaign, the call's mode, variant and channel: no page model is built
// for a shape rendered before. Every key must name all the page depends on.
const choice = CampaignSchema.parse({
  id: 'choice',
  name: 'Choice',
  dnis: ['+16175550101'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
  variants: [
    { id: 'short', weight: 1, offer: 'Press 1 for a text, 3 for WhatsApp. Press 2 to wait.' },
    { id: 'long', weight: 1, offer: 'We can text you a link to chat. Press 1 for a text, 3 for WhatsApp, 2 to wait.' },
  ],
  channels: {
    mode: 'choice',
    list: [
      { channel: 'sms', key: '1' },
      { channel: 'whatsapp', gateway: 'sandbox', template: { name: 'chat_link', language: 'en_US', body: ['{link}'], urlButton: '{code}' }, consent: 'By pressing 3 you agree to get WhatsApp messages from Acme.', key: '3' },
      { channel: 'c2m', skill: 'support', handoffId: 'H123', key: '5' },
    ],
  },
});
// A call LivePerson did not say yes to sees the campaign without C2M: a view of it.
const withoutC2m = campaignSeenBy(choice, { c2mEligibility: null })!;

const recipes: PageRecipe[] = [
  { builder: 'offer' },
  { builder: 'offer', noMatches: 1 },
  { builder: 'offer', noMatches: 2 },
  { builder: 'confirm-ani', lastFour: '1234' },
  { builder: 'confirm-ani', lastFour: '9876' },
  { builder: 'read-back', digits: '6175551234' },
  { builder: 'read-back', digits: '6175554321', noMatches: 1 },
  { builder: 'enter-number' },
  { builder: 'enter-number', after: 'invalidNumber' },
  { builder: 'enter-number', after: 'optedOut' },
  { builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' }, prompts: ['sent'] },
  { builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******9876' }, prompts: ['sent'] },
  { builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' }, prompts: ['pending'], channel: 'whatsapp' },
  { builder: 'end', result: { status: 'declined', reason: 'caller-declined', maskedNumber: '' }, prompts: ['declined'] },
  { builder: 'end', result: { status: 'failed', reason: 'call-expired', maskedNumber: '' }, prompts: [] },
];
const calls: RecipeCall[] = ids.slice(0, 2).flatMap((id) =>
  (['goto', 'subdialog'] as const).flatMap((mode) =>
    [null, 'short', 'long'].flatMap((variant) => [null, 'whatsapp'].map((channel) => ({ id, mode, variant, channel }) as RecipeCall)),
  ),
);

describe('PageRenderer, pages known by their recipe', () => {
  test('every recipe kind, for every call, comes out as renderPage makes the page it builds', () => {
    const renderer = new PageRenderer(10_000);
    // Twice over: the first pass fills the cache, the second is served from it.
    for (let pass = 0; pass < 2; pass++) {
      for (const campaignSeen of [campaign, choice, withoutC2m]) {
        for (const recipe of recipes) {
          for (const call of calls) {
            const served = new RecipePage(recipe, campaignSeen, call);
            expect(renderer.renderKeyed(served.key, call.id, () => served.build())).toBe(renderPage(served.build()));
          }
        }
      }
    }
  });

  test('recipes that differ in one argument, or calls in mode, variant or channel, never share an entry', () => {
    const renderer = new PageRenderer(10_000);
    const call: RecipeCall = { id: ids[0] as string, mode: 'goto', variant: 'short', channel: 'sms' };
    const variations: Array<[PageRecipe, RecipeCall, typeof campaign]> = [
      [{ builder: 'confirm-ani', lastFour: '1234' }, call, choice],
      [{ builder: 'confirm-ani', lastFour: '1235' }, call, choice],
      [{ builder: 'confirm-ani', lastFour: '1234', noMatches: 1 }, call, choice],
      [{ builder: 'confirm-ani', lastFour: '1234' }, { ...call, channel: 'whatsapp' }, choice],
      [{ builder: 'confirm-ani', lastFour: '1234' }, { ...call, mode: 'subdialog' }, choice],
      [{ builder: 'offer' }, call, choice],
      [{ builder: 'offer' }, { ...call, variant: 'long' }, choice],
      [{ builder: 'offer' }, call, withoutC2m],
      [{ builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' }, prompts: ['sent'] }, call, choice],
      [{ builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******1235' }, prompts: ['sent'] }, call, choice],
    ];
    const documents = variations.map(([recipe, c, seen]) => {
      const served = new RecipePage(recipe, seen, c);
      return renderer.renderKeyed(served.key, c.id, () => served.build());
    });
    expect(new Set(documents).size).toBe(variations.length);
    expect((renderer as unknown as { cache: Map<string, unknown> }).cache.size).toBe(variations.length);
  });

  test('the view of a campaign without C2M is one object per campaign, so its calls share documents', () => {
    expect(campaignSeenBy(choice, { c2mEligibility: null })).toBe(withoutC2m);
    expect(withoutC2m.channels?.list.map((e) => e.channel)).toEqual(['sms', 'whatsapp']);
    const key = (seen: typeof campaign) => new RecipePage({ builder: 'offer' }, seen, { id: ids[0] as string, mode: 'goto', variant: null }).key;
    expect(key(campaignSeenBy(choice, { c2mEligibility: null })!)).toBe(key(withoutC2m));
    // An edited campaign is a new object: its calls get new documents, not the old ones.
    expect(key(CampaignSchema.parse({ ...choice }))).not.toBe(key(choice));
  });

  test('a question whose call id is too short to split on is rendered for that call alone', () => {
    const renderer = new PageRenderer();
    const served = new RecipePage({ builder: 'confirm-ani', lastFour: '1234' }, campaign, { id: 'short-id', mode: 'goto', variant: null });
    expect(renderer.renderKeyed(served.key, 'short-id', () => served.build())).toBe(renderPage(served.build()));
    const other = new RecipePage({ builder: 'confirm-ani', lastFour: '1234' }, campaign, { id: 'other-id', mode: 'goto', variant: null });
    expect(renderer.renderKeyed(other.key, 'other-id', () => other.build())).toBe(renderPage(other.build()));
  });
});
