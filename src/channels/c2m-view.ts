import type { Campaign, ChannelEntry } from '../campaigns/schema';
import type { CallRecord } from '../store/port';

/**
 * LivePerson decides, per caller, whether Connect-to-Messaging may be offered (its
 * eligibility call at the start). A call it did not say yes to sees the campaign without
 * its c2m entry: the offer, the keys it accepts, the message and the fallback plan are
 * all worked out from that view, at every step, from what the call stored (an eligibility
 * answer, or none). So a repeated request rebuilds the same page on any instance.
 */

export type C2mEntry = Extract<ChannelEntry, { channel: 'c2m' }>;

/** The campaign's C2M entry, if it lists one. */
export function c2mEntryOf(campaign: Campaign): C2mEntry | undefined {
  return campaign.channels?.list.find((e): e is C2mEntry => e.channel === 'c2m');
}

/**
 * The campaign as this call sees it: without the c2m entry unless LivePerson said the
 * caller is eligible; undefined when that leaves no channel (C2M was the only one).
 */
export function campaignSeenBy(campaign: Campaign, call: Pick<CallRecord, 'c2mEligibility'>): Campaign | undefined {
  const channels = campaign.channels;
  if (!channels || call.c2mEligibility || !c2mEntryOf(campaign)) return campaign;
  // One view per campaign object (campaigns are never changed in place): every call
  // without eligibility sees the same object, so the render cache keys on it too.
  if (views.has(campaign)) return views.get(campaign);
  const list = channels.list.filter((e) => e.channel !== 'c2m');
  const view = list.length ? { ...campaign, channels: { ...channels, list } } : undefined;
  views.set(campaign, view);
  return view;
}

const views = new WeakMap<Campaign, Campaign | undefined>();
