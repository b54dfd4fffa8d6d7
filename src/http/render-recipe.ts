import { withPlatform } from '../deflection/platform-override';
import type { RecipePage } from '../deflection/page-recipe';
import type { Page } from '../vxml/model';
import type { PlatformName } from '../vxml/platforms/profiles';
import { SLOT, type PageRenderer } from '../vxml/render-cache';

/**
 * A recipe's document through the render cache, for the `platform=` it is served to.
 * A question is shared between calls by its key with the call id put in. The ending that
 * answers every submit (it declares the caller's masked number) and the question reading
 * back the caller's last four digits are shared by their key with that value put in too:
 * otherwise nearly every call's number makes them a new shape, a whole xmlbuilder2 render
 * (about half a millisecond of CPU and 100 KB of garbage each) on the submit's path.
 * Same bytes as rendering the recipe's page.
 */
export function renderRecipe(renderer: PageRenderer, recipe: RecipePage, platformName: PlatformName | undefined): string {
  const forPlatform = (page: Page) => (platformName ? withPlatform(page, platformName) : page);
  const value = recipe.slotValue;
  if (value !== undefined) {
    const slotted = recipe.withSlotValue(SLOT);
    const shared = renderer.renderSlotted(`${platformName ?? ''}\u0000${slotted.key}`, recipe.call.id, value, () => forPlatform(slotted.build()));
    if (shared !== undefined) return shared;
  }
  return renderer.renderKeyed(`${platformName ?? ''}\u0000${recipe.key}`, recipe.call.id, () => forPlatform(recipe.build()));
}
