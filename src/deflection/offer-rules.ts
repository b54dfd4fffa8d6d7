import { isOpen } from '../availability/schedule';
import type { AvailabilityCheck, AvailabilityRequest } from '../availability/port';
import type { Campaign } from '../campaigns/schema';
import type { Store } from '../store/port';
import { startOfLocalDay } from '../time-zone';

/**
 * Whether a call gets the offer at all: the service is on, the campaign is within its
 * hours and under its hourly and daily caps, and someone is there to chat (the availability check).
 * The cheap local rules run first, so a closed campaign never costs a remote check.
 */

export type SkipReason =
  | 'service-off'
  | 'outside-hours'
  | 'campaign-cap'
  | 'not-available'
  | 'wait-too-long'
  | 'availability-error';

export type OfferDecision =
  | {
      offer: true;
      /** What the availability check said: static (no check), available, or error (offered anyway). */
      availability: 'static' | 'available' | 'error';
      /** A one-time chat URL to text instead of the campaign link, and when it stops working. */
      chatUrl?: string;
      chatUrlExpiresAt?: string;
      detail?: string;
    }
  | { offer: false; reason: SkipReason; detail?: string };

export interface OfferRulesDeps {
  store: Pick<Store, 'getServiceSwitch' | 'countMessages'>;
  /** The campaign's availability check; undefined for static campaigns. */
  availabilityOf(campaign: Campaign): AvailabilityCheck | undefined;
  now: () => Date;
}

export class OfferRules {
  constructor(private readonly deps: OfferRulesDeps) {}

  async decide(campaign: Campaign, request: AvailabilityRequest): Promise<OfferDecision> {
    const at = this.deps.now();
    if (!(await this.deps.store.getServiceSwitch()).enabled) return { offer: false, reason: 'service-off' };
    if (campaign.hours && !isOpen(campaign.hours, campaign.timeZone ?? 'UTC', at)) {
      return { offer: false, reason: 'outside-hours' };
    }
    // A campaign at either cap would refuse the text anyway: better not to offer it.
    const { hourlyCap, dailyCap } = campaign.limits;
    const caps = [
      ...(hourlyCap !== null ? [{ max: hourlyCap, since: new Date(at.getTime() - 3_600_000 + 1).toISOString() }] : []),
      ...(dailyCap !== null ? [{ max: dailyCap, since: startOfLocalDay(at, campaign.timeZone ?? 'UTC').toISOString() }] : []),
    ];
    for (const cap of caps) {
      if ((await this.deps.store.countMessages({ campaignId: campaign.id, since: cap.since })) >= cap.max) {
        return { offer: false, reason: 'campaign-cap' };
      }
    }
    return this.availability(campaign, request);
  }

  /** The remote check alone (also used to fetch a fresh chat URL when the first one ran out). */
  async availability(campaign: Campaign, request: AvailabilityRequest): Promise<OfferDecision> {
    const check = this.deps.availabilityOf(campaign);
    if (!check || campaign.availability.kind === 'static') return { offer: true, availability: 'static' };
    const settings = campaign.availability;
    const answer = await check.check(request, new AbortController().signal);
    if (answer.kind === 'error') {
      return settings.onError === 'offer'
        ? { offer: true, availability: 'error', detail: answer.detail }
        : { offer: false, reason: 'availability-error', detail: answer.detail };
    }
    if (answer.kind === 'not-available') {
      return { offer: false, reason: 'not-available', ...(answer.detail ? { detail: answer.detail } : {}) };
    }
    const wait = answer.expectedWaitSeconds;
    if (settings.maxWaitSeconds !== undefined && wait !== undefined && wait > settings.maxWaitSeconds) {
      return { offer: false, reason: 'wait-too-long', detail: `expected wait ${wait} s` };
    }
    if (!answer.chatUrl) return { offer: true, availability: 'available' };
    const validMs = (answer.validForSeconds ?? 0) * 1000;
    return {
      offer: true,
      availability: 'available',
      chatUrl: answer.chatUrl,
      ...(validMs > 0 ? { chatUrlExpiresAt: new Date(this.deps.now().getTime() + validMs).toISOString() } : {}),
    };
  }
}
