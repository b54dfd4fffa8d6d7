import { CampaignSchema } from '../../src/campaigns/schema';
import { RecipePage, type PageRecipe, type RecipeCall } from '../../src/deflection/page-recipe';
import { withPlatform } from '../../src/deflection/platform-override';
import { renderRecipe } from '../../src/http/render-recipe';
import { PLATFORM_NAMES, type PlatformName } from '../../src/vxml/platforms/profiles';
import { MASKED_NUMBER_SLOT, PageRenderer } from '../../src/vxml/render-cache';
import { renderPage } from '../../src/vxml/render';
import { expectValidVxml } from '../helpers/vxml-schema';

// Every submit is answered with an ending that declares the caller's masked number. The
// routes share one rendered ending between numbers and put each number in: what a caller
// gets must be byte for byte what rendering that ending's page makes.
const campaign = CampaignSchema.parse({
  id: 'support',
  name: 'Support chat',
  dnis: ['+16175550100'],
  message: 'Chat with us: {link}',
  link: 'https://chat.example.com/start?call={callId}',
});
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
          expect(document).not.toContain(MASKED_NUMBER_SLOT);
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
      expect(recipe.maskedNumber).toBeUndefined();
      expect(renderRecipe(renderer, recipe, undefined)).toBe(direct(recipe, undefined));
    }
  });

  test('a campaign prompt that happens to spell the slot is not shared, and still served right', () => {
    const odd = CampaignSchema.parse({ ...campaign, prompts: { sent: `Sent. ${MASKED_NUMBER_SLOT}.` } });
    const renderer = new PageRenderer();
    const recipe = new RecipePage(sent('+*******1234'), odd, call('Abc_defGHIjklMNOpqrs-01', 'goto'));
    const document = renderRecipe(renderer, recipe, undefined);
    expect(document).toBe(direct(recipe, undefined));
    expect(document).toContain(`Sent. ${MASKED_NUMBER_SLOT}.`);
    expect(document).toContain("'+*******1234'");
  });

  test('the shared ending is valid VoiceXML with the number put in', async () => {
    const recipe = new RecipePage(sent('+*******1234'), campaign, call('Abc_defGHIjklMNOpqrs-01', 'subdialog'));
    await expectValidVxml(renderRecipe(new PageRenderer(), recipe, undefined));
  });
});
