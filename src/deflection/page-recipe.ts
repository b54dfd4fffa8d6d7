import type { Campaign } from '../campaigns/schema';
import type { PromptName } from '../campaigns/default-prompts';
import type { ChannelName } from '../channels/channel';
import type { CallRecord } from '../store/port';
import type { CallResult, Page, QuestionPage } from '../vxml/model';
import { afterNoMatches, confirmAniPage, endPage, enterNumberPage, offerPage, readBackPage, type CallContext } from './pages';
import { offerPromptOf, variantOf } from './variants';

/**
 * What a call stores as its last page: which builder of pages.ts made it and only the
 * arguments that cannot be derived from the call and its campaign (a whole rendered page
 * was about a kilobyte a call). Rebuilding it with the same builders serves the same bytes
 * while the campaign is unchanged.
 */
export type PageRecipe =
  | QuestionRecipe
  /** channel: the channel "sent" names (absent: the campaign's SMS wording). */
  | { builder: 'end'; result: CallResult; prompts: PromptName[]; channel?: ChannelName };

/**
 * A question, and how many answers outside its grammar the server has counted at it (a
 * lax platform submits any key it hears): the page is then served again as a no-match.
 */
export type QuestionRecipe = (
  /** The offer, in the wording of the call's variant. */
  | { builder: 'offer' }
  | { builder: 'confirm-ani'; lastFour: string }
  | { builder: 'read-back'; digits: string }
  | { builder: 'enter-number'; after?: 'invalidNumber' | 'optedOut' }
) & { noMatches?: number };

/** A call's last_page: a recipe, or a whole page in rows written before recipes existed. */
export type StoredPage = Page | PageRecipe;

/** Recipes name their builder; pages never have that key. */
export function isRecipe(stored: StoredPage): stored is PageRecipe {
  return 'builder' in stored;
}

/** What a recipe needs of the call: where its URLs lead, and the variant the caller heard. */
export type RecipeCall = Pick<CallRecord, 'id' | 'mode' | 'variant'> & Partial<Pick<CallRecord, 'channel'>>;

/**
 * The page a recipe makes for this call. Without its campaign only an ending can be built
 * (the builders allow it); a question then has no page (undefined).
 */
export function pageFromRecipe(recipe: PageRecipe, campaign: Campaign, call: RecipeCall): Page;
export function pageFromRecipe(recipe: PageRecipe, campaign: Campaign | undefined, call: RecipeCall): Page | undefined;
export function pageFromRecipe(recipe: PageRecipe, campaign: Campaign | undefined, call: RecipeCall): Page | undefined {
  if (recipe.builder === 'end') return endPage(campaign, call.mode, recipe.result, recipe.prompts, recipe.channel ?? null);
  if (!campaign) return undefined;
  const ctx = { campaign, callId: call.id, mode: call.mode };
  const page = questionPage(recipe, ctx, call);
  return recipe.noMatches ? afterNoMatches(page, campaign, recipe.noMatches) : page;
}

function questionPage(recipe: QuestionRecipe, ctx: CallContext, call: RecipeCall): QuestionPage {
  switch (recipe.builder) {
    case 'offer':
      return offerPage(ctx, offerPromptOf(ctx.campaign, variantOf(ctx.campaign, call.variant)));
    case 'confirm-ani':
      return confirmAniPage(ctx, recipe.lastFour, call.channel);
    case 'read-back':
      return readBackPage(ctx, recipe.digits);
    case 'enter-number':
      return enterNumberPage(ctx, recipe.after);
  }
}

/**
 * A page not built yet: a recipe and what it is built with. The IVR routes render it
 * through the render cache under `key`, so a call whose document shape was rendered before
 * builds no page model at all (building the model and serialising it for the cache's key
 * was a tenth of a call start's allocations). `build` makes the page the recipe makes.
 */
export class RecipePage {
  readonly kind = 'recipe';
  constructor(
    readonly recipe: PageRecipe,
    readonly campaign: Campaign,
    readonly call: RecipeCall,
  ) {}

  /** The kind of page the recipe makes: an ending, or a question. */
  get pageKind(): 'end' | 'question' {
    return this.recipe.builder === 'end' ? 'end' : 'question';
  }

  build(): Page {
    return pageFromRecipe(this.recipe, this.campaign, this.call);
  }

  /**
   * Everything the page depends on but the call id (the cache puts each call's own id in):
   * the campaign (by identity, see campaignTag), the call's mode, variant and channel, and
   * the recipe's builder and arguments. Two calls with the same key get the same page.
   */
  get key(): string {
    const { mode, variant, channel } = this.call;
    // The variant is JSON-quoted (it is free text); the others are numbers and fixed names.
    return `${campaignTag(this.campaign)}\u0000${mode}\u0000${JSON.stringify(variant ?? null)}\u0000${String(channel)}\u0000${JSON.stringify(this.recipe)}`;
  }

  /**
   * The one argument that makes nearly every call's page a shape of its own, when the cache
   * can share the page between its values and put the value in (PageRenderer.renderSlotted):
   * an ending's masked number ("+*******1234": every submit is answered with one) and the
   * last four digits the confirm question reads back. Only values of characters that
   * jsString and XML leave as they are.
   */
  get slotValue(): string | undefined {
    const { recipe } = this;
    if (recipe.builder === 'end') return /^\+?[*0-9]{4,}$/.test(recipe.result.maskedNumber) ? recipe.result.maskedNumber : undefined;
    if (recipe.builder === 'confirm-ani') return /^[0-9]{1,8}$/.test(recipe.lastFour) ? recipe.lastFour : undefined;
    return undefined;
  }

  /** The same page with `value` as the argument slotValue names. */
  withSlotValue(value: string): RecipePage {
    const { recipe } = this;
    if (recipe.builder === 'end') return new RecipePage({ ...recipe, result: { ...recipe.result, maskedNumber: value } }, this.campaign, this.call);
    if (recipe.builder === 'confirm-ani') return new RecipePage({ ...recipe, lastFour: value }, this.campaign, this.call);
    return this;
  }
}

/** What the service answers a request with: a page, or a recipe the routes render. */
export type Served = Page | RecipePage;

/** The page itself, for the few paths that change it before it is served. */
export function builtPage(served: Served): Page {
  return served instanceof RecipePage ? served.build() : served;
}

const campaignTags = new WeakMap<Campaign, number>();
let nextCampaignTag = 0;

/**
 * A number per campaign object. Campaigns are never changed in place: a catalog change or
 * an edit makes new objects (a new registry), so an edited campaign gets a new tag and its
 * calls new documents. Views of a campaign (campaignSeenBy) are made once per campaign.
 */
function campaignTag(campaign: Campaign): number {
  let tag = campaignTags.get(campaign);
  if (tag === undefined) {
    tag = nextCampaignTag++;
    campaignTags.set(campaign, tag);
  }
  return tag;
}
