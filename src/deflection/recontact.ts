import type { Campaigns } from '../campaigns/registry';
import type { NewEvent, Store } from '../store/port';

const DAY_MS = 86_400_000;

/** recontactDays when the texting campaign is gone from the catalog (the schema's default). */
export const DEFAULT_RECONTACT_DAYS = 7;

/**
 * Issue 19 part 3: is this call a recontact? The caller's number (E.164; '' for a
 * withheld, empty or unreadable ANI, which never matches) was texted, or called for a
 * text, by any campaign within that campaign's recontactDays: the deflection did not
 * stick. One indexed store query, bounded by the longest window of any campaign; the
 * latest such text decides (an older text of a campaign with a longer window is not
 * looked for: a caller texted twice is a recontact of the later text).
 */
export async function recontactEvent(
  store: Store,
  campaigns: Pick<Campaigns, 'get' | 'all'>,
  caller: string,
  at: Date,
): Promise<NewEvent | undefined> {
  if (!caller) return undefined;
  const longest = Math.max(DEFAULT_RECONTACT_DAYS, ...campaigns.all().map((c) => c.recontactDays));
  const since = new Date(at.getTime() - longest * DAY_MS).toISOString();
  const match = await store.lastTextFor(caller, since, at.toISOString());
  if (!match) return undefined;
  const days = (at.getTime() - Date.parse(match.textedAt)) / DAY_MS;
  const window = campaigns.get(match.campaignId)?.recontactDays ?? DEFAULT_RECONTACT_DAYS;
  if (days > window) return undefined;
  return {
    type: 'recontact',
    detail: {
      earlierCallId: match.callId,
      earlierCampaign: match.campaignId,
      // Tenths of a day: enough to read "called back after 2.5 days", no false precision.
      daysSince: Math.round(days * 10) / 10,
      matchedBy: match.matchedBy,
    },
  };
}
