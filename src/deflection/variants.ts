import { createHash } from 'node:crypto';
import type { Campaign, PromptOverride, Variant } from '../campaigns/schema';
import { channelOfferPrompt } from '../campaigns/channel-prompts';

/**
 * Weighted variants of the offer and the SMS text (A/B tests). A call draws one at start;
 * the choice is stored on the call, so its later steps and the reports agree on it.
 */

/** Draws a variant by weight; undefined when the campaign has none. random() is in [0, 1). */
export function pickVariant(campaign: Campaign, random: () => number): Variant | undefined {
  const candidates = campaign.variants.filter((v) => v.weight > 0);
  const total = candidates.reduce((sum, v) => sum + v.weight, 0);
  if (!total) return undefined;
  let point = random() * total;
  for (const v of candidates) {
    point -= v.weight;
    if (point < 0) return v;
  }
  // Floating point can leave a sliver at the top end.
  return candidates[candidates.length - 1];
}

export function variantOf(campaign: Campaign, id: string | null): Variant | undefined {
  return id ? campaign.variants.find((v) => v.id === id) : undefined;
}

/** The offer: the variant's wording or the campaign's; with channels, their wording and consent. */
export function offerPromptOf(campaign: Campaign, variant: Variant | undefined): PromptOverride {
  return channelOfferPrompt(campaign, variant?.offer);
}

export function messageTemplateOf(campaign: Campaign, variant: Variant | undefined): string {
  return variant?.message ?? campaign.message;
}

/** Equal wording, equal version: reports and consent exports group by it. */
export function wordingVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
