import { CampaignSchema, promptFor } from '../src/campaigns/schema';
import { confirmAniPage, endPage, offerPage, readBackPage, rootPage } from '../src/deflection/pages';
import { PageRenderer } from '../src/vxml/render-cache';
import { renderPage } from '../src/vxml/render';

// The cache must be invisible: every document it serves is byte for byte what renderPage makes.
const campaign = CampaignSchema.parse({
  id: 'support',
  name: 'Support chat',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
});
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
