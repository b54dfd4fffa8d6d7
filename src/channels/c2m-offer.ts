import type { Logger } from 'pino';
import { FixedWindowBudget } from '../fixed-window-budget';
import { maskNumber } from '../phone';
import { maskNumbersIn } from '../sms/numbers-in-text';
import type { C2mEligibility, CallUpdate, NewEvent } from '../store/port';
import type { C2mInvite } from './channel';
import type { C2mClient } from './c2m-client';

/**
 * Where C2M meets the call, kept out of the deflection service so its hook there is two
 * lines: one at start (may C2M be offered, and on which channel), one at the send (the
 * invite for the number the caller confirmed). Each returns what to store on the call
 * (CallUpdate + events, for store.updateCall) beside the decision; nothing here touches
 * the store or the caller's pages.
 *
 * The campaign's channel entry (src/campaigns/schema.ts):
 *   { "channel": "c2m", "skill": "support", "handoffId": "H123", "overrideChannel": "whatsapp" }
 */
export interface C2mChannelEntry {
  channel: 'c2m';
  skill: string;
  handoffId: string;
  /** A channel LivePerson said is available ("sms", "wa"...): asked for instead of its recommendation. */
  overrideChannel?: string;
  /** The handoff template's variables ({"1": "..."}), passed to eligibility as given. */
  templateVariables?: Record<string, string>;
}

/**
 * The page's limits on request fields (FAQ 8), for the campaign schema to check at load:
 * a longer handoff id or skill could only be refused at every call.
 */
export const C2M_FIELD_LIMITS = { handoffId: 16, skill: 255, consumerPhoneNumber: 15 } as const;

/** Why C2M is not offered: the campaign's next channel is, or the call is handed back when C2M is its only one. */
export type C2mSkipReason =
  /** LivePerson answered eligible: false. */
  | 'not-eligible'
  /** LivePerson refused the number (1001): at the send, the caller is asked for another. */
  | 'invalid-number'
  /** No engagement for the skill (1300): nobody to route the conversation to. */
  | 'no-engagement'
  /** The handoff, its channels, the account's C2M set-up (1200-1201, 1500-1600, 1901): logged at error level. */
  | 'misconfigured'
  /** The campaign's overrideChannel is not one LivePerson offers this number. */
  | 'channel-unavailable'
  /** Rate limit (1029 / 429): nobody waits on the line for a retry. */
  | 'rate-limited'
  /** Timeout, network, 5xx, credentials, an answer that is not LivePerson's. */
  | 'error';

export type C2mDecision =
  | { offer: true; invite: C2mInvite; eligibility: C2mEligibility; channel: string | null }
  | { offer: false; reason: C2mSkipReason };

export interface C2mStep {
  decision: C2mDecision;
  /** What to store on the call (empty when nothing changed). */
  update: CallUpdate;
  events: NewEvent[];
}

export interface C2mOfferDeps {
  client: Pick<C2mClient, 'eligibility'>;
  log: Pick<Logger, 'error' | 'warn' | 'info'>;
  now?: () => number;
  /**
   * The campaign's eligibility budget (C2mBudgets.forCampaign): anyone can walk calls, and
   * each one costs a LivePerson request (its limit is 30 a second for the account).
   */
  budget?: { take(): boolean; readonly max: number };
}

/**
 * Eligibility calls per campaign per clock minute, per instance: the same rule and the same
 * setting (AVAILABILITY_CHECKS_PER_MINUTE) as the remote availability checks.
 */
export class C2mBudgets {
  private readonly budgets = new Map<string, FixedWindowBudget>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  forCampaign(campaignId: string): FixedWindowBudget {
    let budget = this.budgets.get(campaignId);
    if (!budget) {
      budget = new FixedWindowBudget(this.perMinute, 60_000, this.now);
      this.budgets.set(campaignId, budget);
    }
    return budget;
  }
}

/**
 * At start: one eligibility call with the caller's number (bounded by LIVEPERSON_C2M_TIMEOUT_MS
 * and the caller's signal). Never throws.
 */
export async function c2mAtOffer(deps: C2mOfferDeps, entry: C2mChannelEntry, phone: string, signal: AbortSignal): Promise<C2mStep> {
  const now = deps.now ?? Date.now;
  if (deps.budget && !deps.budget.take()) {
    deps.log.warn({ max: deps.budget.max }, 'LivePerson C2M eligibility budget spent for this minute; C2M not offered');
    return skip('rate-limited', { eligible: false, error: 'c2m-budget' });
  }
  const answer = await deps.client.eligibility(
    {
      skill: entry.skill,
      consumerPhoneNumber: phone,
      handoffId: entry.handoffId,
      ...(entry.templateVariables ? { templateVariables: entry.templateVariables } : {}),
    },
    signal,
  );
  const masked = maskNumber(phone);

  if (answer.kind === 'error') {
    const reason = skipReasonOf(answer.error.meaning);
    // LivePerson's words may quote the number ("Invalid customerPhoneNumber ..."): logged masked.
    const fields = { phone: masked, code: answer.error.code, detail: maskNumbersIn(answer.detail, phone), skill: entry.skill, handoffId: entry.handoffId };
    // Only an operator can fix these: the handoff id, the skill's engagement, the account's C2M onboarding or credentials.
    if (reason === 'misconfigured' || answer.error.meaning === 'auth') deps.log.error(fields, 'LivePerson C2M eligibility: the campaign or account is misconfigured; C2M not offered');
    else deps.log.warn(fields, 'LivePerson C2M eligibility failed; C2M not offered');
    return skip(reason, { eligible: false, error: answer.error.code });
  }
  if (answer.kind === 'not-eligible') {
    deps.log.info({ phone: masked, availableChannels: answer.availableChannels.join(',') }, 'LivePerson C2M: not eligible');
    return skip('not-eligible', { eligible: false });
  }

  if (entry.overrideChannel && !offers(answer.availableChannels, entry.overrideChannel)) {
    deps.log.warn({ phone: masked, overrideChannel: entry.overrideChannel, availableChannels: answer.availableChannels.join(',') }, 'LivePerson C2M: the campaign\'s overrideChannel is not available for this number');
    return skip('channel-unavailable', { eligible: true, error: 'channel-unavailable' });
  }
  const channel = entry.overrideChannel ?? answer.recommendedChannel;
  const eligibility: C2mEligibility = {
    callId: answer.callId,
    phone,
    availableChannels: answer.availableChannels,
    recommendedChannel: answer.recommendedChannel,
    checkedAt: new Date(now()).toISOString(),
  };
  return {
    decision: { offer: true, invite: inviteOf(answer.callId, entry), eligibility, channel },
    update: { c2mEligibility: eligibility },
    events: [{ type: 'c2m-eligibility', detail: { eligible: true, ...(channel ? { channel } : {}) } }],
  };
}

/**
 * At the send: the invite for the number the caller confirmed. The callId from the offer
 * is for the number it was asked about; another number (the caller typed one) needs its
 * own eligibility call. Never throws.
 */
export async function c2mAtSend(
  deps: C2mOfferDeps,
  entry: C2mChannelEntry,
  eligibility: C2mEligibility | null,
  destination: string,
  signal: AbortSignal,
): Promise<C2mStep> {
  if (eligibility && eligibility.phone === destination) {
    return {
      decision: { offer: true, invite: inviteOf(eligibility.callId, entry), eligibility, channel: entry.overrideChannel ?? eligibility.recommendedChannel },
      update: {},
      events: [],
    };
  }
  return c2mAtOffer(deps, entry, destination, signal);
}

/** The invite for an eligibility answer, asking for the campaign's channel in LivePerson's words. */
export function inviteOf(callId: string, entry: Pick<C2mChannelEntry, 'overrideChannel'>): C2mInvite {
  return { callId, ...(entry.overrideChannel ? { overrideChannel: livePersonChannel(entry.overrideChannel) } : {}) };
}

/**
 * A channel as LivePerson names it. The page: "'sms' and 'twilio' are interpreted as the
 * same thing" for overrideChannel; it lists WhatsApp as "wa" (the campaign says whatsapp).
 */
function livePersonChannel(name: string): string {
  const lower = name.toLowerCase();
  return lower === 'twilio' ? 'sms' : lower === 'whatsapp' ? 'wa' : lower;
}

/** Whether LivePerson offers the channel. */
function offers(available: readonly string[], wanted: string): boolean {
  return available.some((c) => livePersonChannel(c) === livePersonChannel(wanted));
}

function skipReasonOf(meaning: import('./c2m-errors').C2mMeaning): C2mSkipReason {
  switch (meaning) {
    case 'invalid-number':
    case 'no-engagement':
    case 'misconfigured':
    case 'rate-limited':
      return meaning;
    case 'not-on-channel':
      return 'not-eligible';
    default:
      return 'error';
  }
}

function skip(reason: C2mSkipReason, detail: Record<string, string | boolean>): C2mStep {
  return { decision: { offer: false, reason }, update: {}, events: [{ type: 'c2m-eligibility', detail: { ...detail, reason } }] };
}
