import { CampaignSchema } from '../../src/campaigns/schema';
import { RecipePage, type PageRecipe, type RecipeCall } from '../../src/deflection/page-recipe';
import { withPlatform } from '../../src/deflection/platform-override';
import { renderRecipe } from '../../src/http/render-recipe';
import { PLATFORM_NAMES, type PlatformName } from '../../src/vxml/platforms/profiles';
import { SLOT, PageRenderer } from '../../src/vxml/render-cache';
import { renderPage } from '../../src/vxml/render';
import { expectValidVxml } from '../helpers/vxml-schema';
import { supportCampaign } from '../helpers/support-campaign';

// Every submit is answered with an ending that declares the caller's masked number, and
// the question before it reads back the caller's last four digits. The routes share one
// rendered document between numbers and put each number in: what a caller gets must be
// byte for byte what rendering that page makes.
const campaign = supportCampaign;
const call = (id: string, mode: 'goto' | 'subdialog'): RecipeCall => ({ id, mode, variant: null, channel: null });
const sent = (maskedNumber: string): PageRecipe => ({ builder: 'end', result: { status: 'sent', reason: 'accepted', maskedNumber }, prompts: ['sent'] });
const handedBack = (maskedNumber: string): PageRecipe => ({ builder: 'end', result: { status: 'failed', reason: 'limit-reached', maskedNumber }, prompts: ['limitReached'] });
const direct = (recipe: RecipePage, platform: PlatformName | undefined) => renderPage(platform ? withPlatform(recipe.build(), platform) : recipe.build());

describe('renderRecipe: endings shared between masked numbers', () => {
  const numbers = ['+*******1234', '+*******9876', '+**********0000', '+*******1234'];

  test.each([undefined, ...PLATFORM_NAMES])('each number gets exactly the document its own page renders to (platform=%s)', (platform) => {
    const renderer = new PageRenderer();
    for (const mode of ['goto', 'subdialog'] as const) {
      for (const make of [sent, handedBack]) {
        for (const number of numbers) {
          const recipe = new RecipePage(make(number), campaign, call('Abc_defGHIjklMNOpqrs-01', mode));
          const document = renderRecipe(renderer, recipe, platform);
          expect(document).toBe(direct(recipe, platform));
          expect(document).toContain(`'${number}'`);
          expect(document).not.toContain(SLOT);
        }
      }
    }
  });

  test('one rendered document serves every number of one shape', () => {
    const renderer = new PageRenderer();
    for (const number of ['+*******0001', '+*******0002', '+*******0003']) renderRecipe(renderer, new RecipePage(sent(number), campaign, call('Abc_defGHIjklMNOpqrs-01', 'goto')), undefined);
    expect((renderer as unknown as { cache: Map<string, unknown> }).cache.size).toBe(1);
  });

  test('an ending without a number, or with one the slot cannot stand for, is rendered as it is', () => {
    const renderer = new PageRenderer();
    for (const masked of ['', "+***'1234", 'unknown']) {
      const recipe = new RecipePage(sent(masked), campaign, call('Abc_defGHIjklMNOpqrs-01', 'goto'));
      expect(recipe.slotValue).toBeUndefined();
      expect(renderRecipe(renderer, recipe, undefined)).toBe(direct(recipe, undefined));
    }
  });

  test('a campaign prompt that happens to spell the slot is not shared, and still served right', () => {
    const odd = CampaignSchema.parse({ ...campaign, prompts: { sent: `Sent. ${SLOT}.` } });
    const renderer = new PageRenderer();
    const recipe = new RecipePage(sent('+*******1234'), odd, call('Abc_defGHIjklMNOpqrs-01', 'goto'));
    const document = renderRecipe(renderer, recipe, undefined);
    expect(document).toBe(direct(recipe, undefined));
    expect(document).toContain(`Sent. ${SLOT}.`);
    expect(document).toContain("'+*******1234'");
  });

  test('an ending of another shape (status, prompts) is not served another shape\'s document', () => {
    const renderer = new PageRenderer();
    const first = renderRecipe(renderer, new RecipePage(sent('+*******1234'), campaign, call('Abc_defGHIjklMNOpqrs-01', 'goto')), undefined);
    const second = renderRecipe(renderer, new RecipePage(handedBack('+*******1234'), campaign, call('Abc_defGHIjklMNOpqrs-01', 'goto')), undefined);
    expect(second).not.toBe(first);
    expect(second).toContain("'limit-reached'");
  });

  test('the shared ending is valid VoiceXML with the number put in', async () => {
    const recipe = new RecipePage(sent('+*******1234'), campaign, call('Abc_defGHIjklMNOpqrs-01', 'subdialog'));
    await expectValidVxml(renderRecipe(new PageRenderer(), recipe, undefined));
  });
});

describe('renderRecipe: the last four digits read back, shared between callers', () => {
  const recorded = CampaignSchema.parse({ ...campaign, digitAudio: 'https://audio.example.com/digits/' });
  const ids = ['Abc_defGHIjklMNOpqrs-01', 'Zyx_wvuTSRqpoNMLkji-99'];
  const confirmAni = (lastFour: string): PageRecipe => ({ builder: 'confirm-ani', lastFour });

  test.each([undefined, ...PLATFORM_NAMES])('each caller gets exactly the page its own digits and call id render to (platform=%s)', (platform) => {
    for (const owner of [campaign, recorded]) {
      const renderer = new PageRenderer();
      for (const mode of ['goto', 'subdialog'] as const) {
        for (const id of ids) {
          for (const lastFour of ['1234', '0000', '9876', '1234']) {
            const recipe = new RecipePage(confirmAni(lastFour), owner, call(id, mode));
            const document = renderRecipe(renderer, recipe, platform);
            expect(document).toBe(direct(recipe, platform));
            expect(document).toContain(`call=${id}`);
            expect(document).not.toContain(SLOT);
          }
        }
      }
    }
  });

  test('TTS digits share one document per shape; recordings (one file a digit) cannot, and are rendered as they are', () => {
    const renderer = new PageRenderer();
    const cache = (renderer as unknown as { cache: Map<string, unknown[]> }).cache;
    for (const lastFour of ['1111', '2222', '3333']) renderRecipe(renderer, new RecipePage(confirmAni(lastFour), campaign, call(ids[0] as string, 'goto')), 'generic');
    expect(cache.size).toBe(1);
    for (const lastFour of ['1111', '2222']) {
      const recipe = new RecipePage(confirmAni(lastFour), recorded, call(ids[0] as string, 'goto'));
      const document = renderRecipe(renderer, recipe, 'generic');
      expect(document).toContain(`digits/${lastFour[0]}.wav`);
    }
    // The slotted shape is remembered as not shareable (no second render of it per call),
    // and each number is rendered under its own key as before.
    expect([...cache.values()].filter((parts) => parts.length === 0)).toHaveLength(1);
  });

  test('the shared question is valid VoiceXML with the digits and the call id put in', async () => {
    const recipe = new RecipePage(confirmAni('4321'), campaign, call(ids[1] as string, 'goto'));
    await expectValidVxml(renderRecipe(new PageRenderer(), recipe, undefined));
  });
});
