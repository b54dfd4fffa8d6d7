import { withPlatform } from '../deflection/platform-override';
import type { RecipePage } from '../deflection/page-recipe';
import type { Page } from '../vxml/model';
import type { PlatformName } from '../vxml/platforms/profiles';
import { MASKED_NUMBER_SLOT, type PageRenderer } from '../vxml/render-cache';

/**
 * A recipe's document through the render cache, for the `platform=` it is served to.
 * A question is shared between calls by its key with the call id put in; an ending that
 * declares a masked number (the answer to every submit) by its key with the number put
 * in, since otherwise nearly every submit's answer, to a number not seen before, would
 * be a new shape: a whole xmlbuilder2 render, about half a millisecond of CPU on the
 * submit's path. Same bytes as rendering the recipe's page.
 */
export function renderRecipe(renderer: PageRenderer, recipe: RecipePage, platformName: PlatformName | undefined): string {
  const forPlatform = (page: Page) => (platformName ? withPlatform(page, platformName) : page);
  const masked = recipe.maskedNumber;
  if (masked) {
    const slotted = recipe.withMaskedNumber(MASKED_NUMBER_SLOT);
    const shared = renderer.renderEnding(`${platformName ?? ''}\u0000${slotted.key}`, masked, () => forPlatform(slotted.build()));
    if (shared !== undefined) return shared;
  }
  return renderer.renderKeyed(`${platformName ?? ''}\u0000${recipe.key}`, recipe.call.id, () => forPlatform(recipe.build()));
}
