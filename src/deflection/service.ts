import type { CountryCode } from 'libphonenumber-js';
import { validNumberOrEmpty } from '../e164-validity';
import type { Logger } from 'pino';
import type { PromptName } from '../campaigns/default-prompts';
import type { Campaigns } from '../campaigns/registry';
import { promptText, type Campaign } from '../campaigns/schema';
import { newCallId, newMessageId } from '../ids';
import type { LineTypeLookup } from '../lookup/port';
import { bindCall } from '../observability/call-context';
import { extractDialString, maskNumber, normaliseDnis, normaliseNumber } from '../phone';
import type { EndCall, FirstAttempt, SentNow } from '../outbox/dispatcher';
import type { Shortener } from '../shortener/port';
import { measureSms } from '../sms/segments';
import {
  NOT_OFFERED_OTHER_DNIS,
  TERMINAL_STATES,
  type CallRecord,
  type CallState,
  type CallUpdate,
  type IntegrationMode,
  type MessageRecord,
  type NewCall,
  type NewEvent,
  type SendLimit,
  type Store,
} from '../store/port';
import type { CallResult, Page, RootPage } from '../vxml/model';
import { builtPage, isRecipe, pageFromRecipe, RecipePage, type PageRecipe, type Served } from './page-recipe';
import { startOfLocalDay } from '../time-zone';
import { fillLinkTemplate } from './message';
import { keepContext } from './ivr-context';
import { channelConsentText, firstChannelOf } from '../campaigns/channel-prompts';
import type { ChannelName } from '../channels/channel';
import { fallbackPlanFor, messageFor, type MessageInputs } from './channel-message';
import { c2mAtOffer, c2mAtSend, type C2mBudgets, type C2mOfferDeps, type C2mStep } from '../channels/c2m-offer';
import { c2mEntryOf, campaignSeenBy } from '../channels/c2m-view';
import type { AbuseSettings } from './abuse-settings';
import { judgeNumber } from './number-policy';
import { recontactEvent } from './recontact';
import { pumpingLimits, pumpingReasonOf, rangeOf } from './pumping-guard';
import type { OfferRules, SkipReason } from './offer-rules';
import { messageTemplateOf, offerPromptOf, pickVariant, variantOf, wordingVersion } from './variants';
import { endPage, rootPage, unheard, type CallContext } from './pages';

export interface DeflectionDeps {
  campaigns: Campaigns;
  store: Store;
  /** Takes the caller's first attempt at once (the rest is the outbox's business). */
  outbox: { firstLease(): string; sendLeased(message: MessageRecord, waitMs: number, endCall?: EndCall): Promise<SentNow> };
  /** Which gateway, and which fallback, a campaign's texts go through. */
  routeFor(campaign: Campaign): { gateway: string; fallbackGateway: string | null };
  shortener: Shortener;
  /** Service switch, hours, daily cap, availability: whether a call gets the offer. */
  offerRules: OfferRules;
  /** Optional carrier line-type lookup that refines "is this a mobile?". */
  lookup?: LineTypeLookup;
  /** The service's text budget, the pumping guard, and the per-call lookup budget. */
  abuse: Pick<AbuseSettings, 'serviceHourlyBudget' | 'pumping' | 'lookupsPerCall'>;
  callTtlMs: number;
  /** How long the send step waits for the first attempt before "your text is on its way". */
  callerWaitMs: number;
  log: Logger;
  now?: () => Date;
  /** Draws offer variants; Math.random unless a test fixes it. */
  random?: () => number;
  /** How often a request that found the call being sent looks again for its outcome (default 100 ms). */
  sendPollMs?: number;
  /**
   * Signs the link's {contextToken} (CONTEXT_TOKEN_SECRET); absent, the placeholder is
   * left empty (README "Context for the agent").
   */
  contextTokens?: { sign(callId: string): Promise<string> };
  /** LivePerson Connect-to-Messaging (when its gateway is configured): the eligibility calls. */
  c2m?: { client: C2mOfferDeps['client']; budgets: C2mBudgets };
}

/** A step of a call in progress. The mode hint is only used when the call is unknown. */
export interface StepRequest {
  callId: string;
  answer: string;
  modeHint: IntegrationMode;
}

export interface StartRequest {
  dnis: string;
  ani: string;
  platformCallId: string;
  mode: IntegrationMode;
  /** The ctx.<name> parameters as the IVR sent them; the campaign's allow-list filters them. */
  context?: Readonly<Record<string, string>>;
}

/**
 * What a step decided: the call's new state, the events to record, and the recipe of the
 * page to serve, which is stored as it is and built once to serve now (so a repeated
 * request, rebuilt from the store, gets the same document).
 */
interface Transition {
  update: CallUpdate;
  events: NewEvent[];
  recipe: PageRecipe;
  /** The state the call must still be in for this to apply (default: the one the step read). */
  from?: CallState;
  /**
   * Already written, with the send's first attempt (true), or found moved on by another
   * request meanwhile (false); absent: the step writes it.
   */
  applied?: boolean;
}

/** The send lost its claim: a concurrent step moved the call first; answer with where it ended. */
const MOVED = Symbol('moved');
type StepOutcome = Transition | undefined | typeof MOVED;

/**
 * How long past callerWaitMs a request waits for another one's send to finish before it
 * finishes the call itself from the stored message (that instance died mid-send): the
 * sender needs callerWaitMs for the first attempt, then one write.
 */
const SEND_FINISH_GRACE_MS = 5_000;

/** Reasons a call is handed back, as the IVR reads them in `reason`. */
export type HandBackReason =
  | 'missing-dnis'
  | 'unknown-dnis'
  | 'campaign-inactive'
  | SkipReason
  | 'caller-declined'
  | 'no-input'
  | 'no-match'
  | 'hung-up'
  | 'invalid-number'
  | 'opted-out'
  | 'limit-reached'
  | 'service-budget'
  | 'suspected-pumping'
  /** LivePerson C2M, the campaign's only channel, said this caller is not eligible (or could not say). */
  | 'not-eligible'
  | 'gateway-error'
  | 'call-expired'
  | 'campaign-removed'
  | 'error';

const NON_TERMINAL: CallState[] = ['offered', 'capturing', 'confirming'];

/**
 * The deflection call flow: decides, step by step, what the caller hears next. All I/O
 * goes through the ports it is given; rendering is left to the HTTP layer.
 *
 * Each step is accepted only in its own states. Anything else (an IVR retrying a submit,
 * a stale request) gets the page the call is on now, which is what makes every step
 * idempotent: the same submit twice sends one text and answers the same document.
 */
export class DeflectionService {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly sendPollMs: number;
  private readonly campaignLogs = new Map<string | null, Logger>();

  constructor(private readonly deps: DeflectionDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.sendPollMs = deps.sendPollMs ?? 100;
  }

  /**
   * The logger whose lines carry a campaign's id, made once per campaign rather than per
   * call start (a pino child is an object and a serialised binding each time). The call's
   * own fields come from the call context on every line, not from these bindings.
   */
  private campaignLog(campaignId: string | null): Logger {
    let log = this.campaignLogs.get(campaignId);
    if (!log) {
      // Campaign ids come from the catalog: a few. Bounded anyway, against a catalog churned for ever.
      if (this.campaignLogs.size >= 1_000) this.campaignLogs.clear();
      log = this.deps.log.child({ campaignId });
      this.campaignLogs.set(campaignId, log);
    }
    return log;
  }

  root(campaignId: string | undefined, mode: IntegrationMode): RootPage {
    return rootPage(campaignId ? this.deps.campaigns.get(campaignId) : undefined, mode);
  }

  async start(req: StartRequest): Promise<Served> {
    const lookup = req.dnis ? this.deps.campaigns.resolve(req.dnis) : undefined;
    const campaign = lookup && lookup.kind !== 'unknown' ? lookup.campaign : undefined;
    const country = (campaign?.country ?? 'US') as CountryCode;
    const at = this.now();
    const call = {
      id: newCallId(),
      campaignId: campaign?.id ?? null,
      mode: req.mode,
      dnis: normaliseDnis(req.dnis, country),
      ani: extractDialString(req.ani),
      platformCallId: req.platformCallId,
      createdAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + this.deps.callTtlMs).toISOString(),
    };
    // From here on every line logged for this request carries the call id (call-context).
    bindCall(call.id, call.platformCallId);
    const log = this.campaignLog(call.campaignId);

    if (lookup?.kind !== 'found') {
      const reason: HandBackReason = !lookup ? 'missing-dnis' : lookup.kind === 'unknown' ? 'unknown-dnis' : 'campaign-inactive';
      return this.notOffered(call, campaign, req.mode, reason, log);
    }
    // Only the names the campaign allows are kept; the rest is counted, never stored or logged.
    const context = keepContext(req.context ?? {}, lookup.campaign.context);
    if (context.dropped) log.warn({ contextDropped: context.dropped }, 'IVR context dropped: names not allowed or values refused');
    const decision = await this.deps.offerRules.decide(lookup.campaign, {
      campaignId: lookup.campaign.id,
      dnis: call.dnis,
      ani: call.ani,
      callId: call.id,
      ...(context.values ? { context: context.values } : {}),
    });
    if (!decision.offer) return this.notOffered(call, campaign, req.mode, decision.reason, log, decision.detail);

    // LivePerson C2M says per caller whether it may be offered: a caller it did not say yes
    // to is offered the campaign's other channels (none left: handed back).
    const c2m = await this.c2mAtStart(lookup.campaign, call);
    const c2mEligibility = c2m?.decision.offer ? c2m.decision.eligibility : null;
    const seen = campaignSeenBy(lookup.campaign, { c2mEligibility });
    if (!seen) return this.notOffered(call, campaign, req.mode, 'not-eligible', log, c2m?.decision.offer === false ? c2m.decision.reason : undefined);

    const variant = pickVariant(seen, this.random);
    // Fallback mode: the call goes on the first channel; choice mode: the caller picks.
    const channel = firstChannelOf(seen);
    const offerPrompt = offerPromptOf(seen, variant);
    const recipe: PageRecipe = { builder: 'offer' };
    // Rendered by the routes through the render cache: a cached shape builds no page.
    const page = new RecipePage(recipe, seen, { id: call.id, mode: call.mode, variant: variant?.id ?? null });
    // Recorded on the new call: the report counts recontacts, and deflections that stuck.
    const recontact = await recontactEvent(this.deps.store, this.deps.campaigns, this.callerKey(call, lookup.campaign), at);
    const offered: NewEvent = {
      type: 'offered',
      detail: {
        availability: decision.availability,
        ...(variant ? { variant: variant.id } : {}),
        // Offered although the check failed (onError "offer"): keep why, for the reports.
        ...(decision.detail ? { availabilityError: decision.detail } : {}),
        ...(context.dropped ? { contextDropped: context.dropped } : {}),
      },
    };
    await this.deps.store.createCall(
      {
        ...call,
        state: 'offered',
        variant: variant?.id ?? null,
        // The wording as consent evidence: what this caller heard, whatever the campaign says later.
        offerText: promptText(offerPrompt),
        chatUrl: decision.chatUrl ?? null,
        chatUrlExpiresAt: decision.chatUrlExpiresAt ?? null,
        ...(channel ? { channel } : {}),
        ...(c2mEligibility ? { c2mEligibility } : {}),
        ...(context.values ? { context: context.values } : {}),
        result: null,
        lastPage: recipe,
      },
      [{ type: 'started' }, ...(recontact ? [recontact] : []), ...(c2m?.events ?? []), offered],
    );
    if (decision.detail) log.warn({ detail: decision.detail }, 'availability check failed; offering anyway');
    log.info({ ani: call.ani ? maskNumber(call.ani) : '', variant: variant?.id }, 'offer made');
    return page;
  }

  /**
   * Hands a call back at start, silently, counting why it was not offered: counted, not
   * stored (a flood of starts for unknown numbers must not fill the disk). A missing or
   * unknown DNIS is counted under one key, whatever the request said.
   */
  private async notOffered(
    call: Omit<NewCall, 'state' | 'result' | 'lastPage'>,
    campaign: Campaign | undefined,
    mode: IntegrationMode,
    reason: HandBackReason,
    log: Logger,
    detail?: string,
  ): Promise<Page> {
    const result: CallResult = { status: 'unavailable', reason, maskedNumber: '' };
    const page = endPage(campaign, mode, result);
    const dnis = campaign ? call.dnis : NOT_OFFERED_OTHER_DNIS;
    await this.deps.store.countNotOffered({ id: call.id, campaignId: call.campaignId, dnis, reason, createdAt: call.createdAt }, [
      { type: 'started' },
      { type: 'not-offered', detail: { reason, ...(detail ? { detail } : {}) } },
      { type: 'handed-back', detail: { reason } },
    ]);
    log.info({ reason, ...(detail ? { detail } : {}) }, 'call handed back at start');
    return page;
  }

  /** The caller's answer to the offer: accept or decline. */
  offer(req: StepRequest): Promise<Served> {
    const { answer } = req;
    return this.step(req, ['offered'], async (call, ctx) => {
      const { keys, channels } = ctx.campaign;
      if (answer === keys.decline) return this.handBack('declined', 'caller-declined', [{ type: 'declined' }]);
      // Choice mode: the key names the channel ("for WhatsApp press 3"); else only accept.
      const chosen = channels?.mode === 'choice' ? channels.list.find((e) => e.key === answer)?.channel : undefined;
      if (channels?.mode === 'choice' ? !chosen : answer !== keys.accept) return undefined;
      const choice: { update: { channel?: ChannelName }; events: NewEvent[] } = chosen
        ? { update: { channel: chosen }, events: [{ type: 'channel-chosen', detail: { channel: chosen } }] }
        : { update: {}, events: [] };
      const acceptedAt = this.now().toISOString();
      // Withheld, toll-free, the brand's own number (a forwarded call), a landline: not
      // "the number you're calling from", so the caller is asked for a mobile instead.
      const ani = await judgeNumber(call.ani, ctx.campaign, this.deps.lookup);
      if (ani.ok) {
        return {
          update: { state: 'confirming', destination: ani.e164, destinationSource: 'ani', acceptedAt, ...choice.update },
          events: [...choice.events, { type: 'accepted', detail: { aniUsable: true } }],
          recipe: { builder: 'confirm-ani', lastFour: ani.lastFour },
        };
      }
      return {
        update: { state: 'capturing', acceptedAt, ...choice.update },
        events: [...choice.events, { type: 'accepted', detail: { aniUsable: false, aniProblem: ani.reason } }],
        recipe: { builder: 'enter-number' },
      };
    });
  }

  /** Digits the caller keyed in as the number to text. */
  number(req: StepRequest): Promise<Served> {
    const { answer } = req;
    return this.step(req, ['capturing'], async (call, ctx) => {
      const digits = answer.replace(/\D/g, '').slice(0, 20);
      // The call's own number had the first lookup; each number given up since, one more.
      // Past the call's budget a number is judged by its digits alone, as when a lookup fails.
      const lookupsSoFar = 1 + call.invalidNumberCount;
      const lookup = lookupsSoFar < this.deps.abuse.lookupsPerCall ? this.deps.lookup : undefined;
      const check = await judgeNumber(digits, ctx.campaign, lookup);
      if (check.ok) {
        return {
          update: { state: 'confirming', destination: check.e164, destinationSource: 'entered' },
          events: [{ type: 'number-entered', detail: { number: maskNumber(check.e164) } }],
          recipe: { builder: 'read-back', digits },
        };
      }
      return this.refusedNumber(call, ctx, 'invalidNumber', { type: 'number-invalid', detail: { problem: check.reason } });
    });
  }

  /** Yes (send to the number read back) or change (enter another one). */
  confirm(req: StepRequest): Promise<Served> {
    const { answer } = req;
    return this.step(req, ['confirming'], async (call, ctx, at) => {
      const { keys } = ctx.campaign;
      if (answer === keys.change) return this.changeNumber(call, ctx);
      if (answer !== keys.confirm || !call.destination) return undefined;
      return this.send(call, ctx, call.destination, at);
    });
  }

  /**
   * "Enter it again": a number the caller keyed and then changed uses up one of the
   * campaign's maxNumberAttempts, as a refused one does. Otherwise enter, change, repeat
   * never ends, each entry a paid line-type lookup. Changing from the caller's own number
   * (never keyed) costs nothing.
   */
  private changeNumber(call: CallRecord, ctx: CallContext): Transition {
    if (call.destinationSource !== 'entered') {
      return { update: { state: 'capturing', destination: null, destinationSource: null }, events: [], recipe: { builder: 'enter-number' } };
    }
    // invalidNumberCount counts every number given up: refused, or changed by the caller.
    const count = call.invalidNumberCount + 1;
    if (count >= ctx.campaign.maxNumberAttempts) {
      const transition = this.handBack('failed', 'invalid-number', [{ type: 'number-invalid', detail: { problem: 'changed' } }], ['declined']);
      return { ...transition, update: { ...transition.update, invalidNumberCount: count } };
    }
    return {
      update: { state: 'capturing', destination: null, destinationSource: null, invalidNumberCount: count },
      events: [],
      recipe: { builder: 'enter-number' },
    };
  }

  /**
   * The browser gave up on a question (no input or no match too many times), or the caller
   * hung up. During a send it changes nothing (the text is going out): it is noted.
   */
  async giveUp(req: StepRequest): Promise<Page> {
    const why: HandBackReason = req.answer === 'no-input' || req.answer === 'hung-up' ? req.answer : 'no-match';
    // After a hang-up nobody hears the page: it hands back without queueing a prompt
    // (not even a finished call's "we've sent you a text"), so the platform's few seconds
    // of post-disconnect processing go to the result, not to text-to-speech. Tellme caps
    // that processing at 5 s (https://learn.microsoft.com/en-us/previous-versions/office/developer/speech-technologies/ff929015(v=msdn.10));
    // Nuance Voice Platform holds the port and raises an alarm while it runs
    // (https://docs.nuance.com/nvp-for-speech-suite/appdev/la-hangup.html).
    const prompts: PromptName[] = why === 'hung-up' ? [] : ['declined'];
    const page = builtPage(
      await this.step(req, NON_TERMINAL, async () => this.handBack('declined', why, [], prompts), [
        { type: 'gave-up-while-sending', detail: { reason: why } },
      ]),
    );
    return why === 'hung-up' ? unheard(page) : page;
  }

  /**
   * Claims the call and stores the text in the outbox, in one transaction, then waits a
   * bounded time for its first attempt so the caller hears the truth: sent, refused (and
   * why), or on its way. Nothing before the claim sends anything; after it no other step
   * can move the call, so a change racing the confirm cannot lead to a second text.
   * `stepAt`: the step's time, which the call's ending carries.
   */
  private async send(call: CallRecord, ctx: CallContext, to: string, stepAt: string): Promise<Transition | typeof MOVED> {
    const { store, shortener, outbox } = this.deps;
    const { campaign } = ctx;
    // An opt-out is per channel: a STOP to our texts does not stop a WhatsApp message.
    const channel = call.channel;
    if (await (channel ? store.isSuppressed(to, channel) : store.isSuppressed(to))) {
      return this.refusedNumber(call, ctx, 'optedOut', { type: 'number-opted-out', detail: { number: maskNumber(to) } });
    }
    const now = this.now();
    const at = now.toISOString();
    const target = await this.linkTarget(call, campaign, to);
    if (!target.ok) return this.handBack('unavailable', target.reason, [], ['failed']);

    const link = await shortener.shorten(target.url, {
      callId: call.id,
      campaignId: campaign.id,
      expiresAt: earliest(target.expiresAt, campaign.linkTtlMinutes ? new Date(now.getTime() + campaign.linkTtlMinutes * 60_000).toISOString() : null),
    });
    const inputs: MessageInputs = {
      campaign,
      smsTemplate: messageTemplateOf(campaign, variantOf(campaign, call.variant)),
      link,
      smsRoute: this.deps.routeFor(campaign),
    };
    // C2M: LivePerson's eligibility was for the caller's own number; another number the
    // caller gave needs its own. Not eligible: the message goes without an invite, which the
    // C2M gateway refuses as not on the channel, so the fallback plan (if any) goes instead.
    const c2m = channel === 'c2m' ? await this.c2mAtSend(campaign, call, to) : undefined;
    if (c2m?.decision.offer === false && c2m.decision.reason === 'invalid-number') {
      return this.refusedNumber(call, ctx, 'invalidNumber', ...c2m.events);
    }
    const eligibility = c2m ? (c2m.decision.offer ? c2m.decision.eligibility : null) : call.c2mEligibility;
    // The message on the call's channel, and what goes out once if it does not get through.
    const { body, gateway, fallbackGateway, ...onChannel } = messageFor(channel, inputs, { c2mEligibility: eligibility });
    const fallback = fallbackPlanFor(channel, inputs, { c2mEligibility: eligibility });
    const { segments, encoding } = measureSms(body);
    const source = call.destinationSource ?? 'ani';
    const admission = await store.admitMessage(
      {
        id: newMessageId(),
        callId: call.id,
        campaignId: campaign.id,
        to,
        caller: this.callerKey(call, campaign),
        body,
        gateway,
        fallbackGateway,
        ...(channel ? { ...onChannel, fallback } : {}),
        segments,
        encoding,
        createdAt: at,
        // This request sends it while the caller waits; other instances' background
        // dispatch may take it only after that wait (or if this instance dies meanwhile).
        dueAt: new Date(now.getTime() + this.deps.callerWaitMs).toISOString(),
        // Stored claimed by this instance's dispatcher for that first attempt: no claim of its own.
        leaseUntil: outbox.firstLease(),
      },
      {
        // In this order: the first that refuses is the one the caller hears about.
        limits: [
          ...callerLimits(campaign, now),
          ...pumpingLimits(to, campaign, this.deps.abuse.pumping, now),
          ...capLimits(campaign, now, this.deps.abuse.serviceHourlyBudget),
        ],
        consent: {
          callId: call.id,
          campaignId: campaign.id,
          variant: call.variant,
          dnis: call.dnis,
          ani: call.ani,
          destination: to,
          destinationSource: source,
          acceptKey: campaign.keys.accept,
          confirmKey: campaign.keys.confirm,
          offerText: call.offerText,
          offerVersion: wordingVersion(call.offerText),
          offeredAt: call.createdAt,
          acceptedAt: call.acceptedAt,
          confirmedAt: at,
          ...(channel ? { channel, channelConsentText: channelConsentText(campaign, channel) } : {}),
        },
        events: [{ type: 'number-confirmed', detail: { source } }, ...(c2m?.events ?? [])],
        claim: { from: call.state },
      },
    );
    if (admission.kind === 'moved') return MOVED;
    if (admission.kind === 'limited') return this.refusedByLimit(ctx, admission.limit, to);
    // The call is ours now (sending). A message this call already had (sent to this number
    // before the vendor refused it, say) is not sent again: its outcome is the answer.
    const fallbackChannel = fallback?.channel ?? null;
    if (admission.kind !== 'created') return { ...this.sendOutcome(call, ctx, to, firstAttemptOf(admission.message), fallbackChannel), from: 'sending' };
    // The ending goes with the first attempt's result when it comes in time (one write, not
    // two): the transition it wrote is the one served.
    let carried: Transition | undefined;
    const endCall: EndCall = (attempt) => {
      carried = this.sendOutcome(call, ctx, to, attempt, fallbackChannel);
      return { callId: call.id, update: { ...carried.update, lastPage: carried.recipe }, events: carried.events, at: stepAt, from: 'sending' };
    };
    const sent = await outbox.sendLeased(admission.message, this.deps.callerWaitMs, endCall);
    if (sent.ended !== undefined) return { ...carried!, from: 'sending', applied: sent.ended };
    return { ...this.sendOutcome(call, ctx, to, sent, fallbackChannel), from: 'sending' };
  }

  /** Where a claimed send leaves the call, given its first attempt. */
  private sendOutcome(call: CallRecord, ctx: CallContext, to: string, attempt: FirstAttempt, fallbackChannel: ChannelName | null): Transition {
    if (attempt.kind === 'refused' && attempt.reason === 'invalid-number') {
      return this.refusedNumber(call, ctx, 'invalidNumber');
    }
    if (attempt.kind === 'refused' && attempt.reason === 'unsubscribed') {
      return this.refusedNumber(call, ctx, 'optedOut', { type: 'number-opted-out', detail: { number: maskNumber(to) } });
    }
    // Not on this channel, or refused: the stored fallback plan goes out instead (the
    // fallback engine sends it), so the caller hears that the fallback is on its way.
    if (attempt.kind === 'refused' && fallbackChannel) {
      const result: CallResult = { status: 'sent', reason: 'queued', maskedNumber: maskNumber(to) };
      return { update: { state: 'sent', result }, events: [], recipe: { builder: 'end', result, prompts: ['pending'], channel: fallbackChannel } };
    }
    if (attempt.kind === 'refused') {
      return this.handBack('failed', 'gateway-error', [], ['failed'], to);
    }
    const reason = attempt.kind === 'sent' ? 'accepted' : 'queued';
    const result: CallResult = { status: 'sent', reason, maskedNumber: maskNumber(to) };
    // The fallback went instead of the call's channel: the caller hears its name.
    const channel = attempt.channel ?? call.channel;
    return {
      update: { state: 'sent', result },
      events: [],
      recipe: {
        builder: 'end',
        result,
        prompts: [attempt.kind === 'sent' ? 'sent' : 'pending'],
        ...(channel ? { channel } : {}),
      },
    };
  }

  /**
   * A send limit said no. The caller hears why when it is about them (this number or this
   * caller already had its texts), else the honest "we can't send a text right now".
   * A pumping-guard refusal is an error-level log and never names the whole number: its
   * event and log carry the range, the hand-back no digits at all (range plus the last
   * four digits would spell it).
   */
  private refusedByLimit(ctx: CallContext, limit: SendLimit, to: string): Transition {
    const { scope, name } = limit;
    if (scope === 'destination' || scope === 'caller') {
      const events: NewEvent[] = [{ type: 'limit-reached', detail: { scope, limit: name, number: maskNumber(to) } }];
      return this.handBack('failed', 'limit-reached', events, ['limitReached'], to);
    }
    const pumping = pumpingReasonOf(limit);
    if (pumping) {
      const range = scope === 'prefix' ? rangeOf(to, this.deps.abuse.pumping.rangeDigits) : (limit.numberPrefix ?? '');
      this.deps.log
        .child({ campaignId: ctx.campaign.id })
        .error({ reason: pumping, limit: name, range }, 'SMS pumping guard refused a text: texting to this range is paused');
      const events: NewEvent[] = [{ type: 'limit-reached', detail: { scope, limit: name, reason: pumping, range } }];
      return this.handBack('failed', 'suspected-pumping', events, ['failed']);
    }
    const events: NewEvent[] = [{ type: 'limit-reached', detail: { scope, limit: name, number: maskNumber(to) } }];
    return this.handBack('failed', scope === 'service' ? 'service-budget' : 'campaign-cap', events, ['failed'], to);
  }

  /**
   * Where the text's link leads: the one-time chat URL the availability check gave (a
   * fresh one if it has run out while the caller was keying), else the campaign link.
   */
  private async linkTarget(
    call: CallRecord,
    campaign: Campaign,
    to: string,
  ): Promise<{ ok: true; url: string; expiresAt: string | null } | { ok: false; reason: SkipReason }> {
    const contextToken = await this.contextTokenFor(call, campaign);
    const campaignLink = () =>
      fillLinkTemplate(campaign.link, {
        callerId: this.callerId(call, campaign) || to,
        mobile: to,
        dnis: call.dnis,
        callId: call.platformCallId || call.id,
        campaignId: campaign.id,
        contextToken,
      });
    if (!call.chatUrl) return { ok: true, url: campaignLink(), expiresAt: null };
    if (!call.chatUrlExpiresAt || call.chatUrlExpiresAt > this.now().toISOString()) {
      return { ok: true, url: call.chatUrl, expiresAt: call.chatUrlExpiresAt };
    }
    const fresh = await this.deps.offerRules.availability(campaign, {
      campaignId: campaign.id,
      dnis: call.dnis,
      ani: call.ani,
      callId: call.id,
      ...(call.context ? { context: call.context } : {}),
    });
    if (!fresh.offer) return { ok: false, reason: fresh.reason };
    return fresh.chatUrl
      ? { ok: true, url: fresh.chatUrl, expiresAt: fresh.chatUrlExpiresAt ?? null }
      : { ok: true, url: campaignLink(), expiresAt: null };
  }

  /**
   * The signed token for {contextToken}, only when the link asks for one. Without
   * CONTEXT_TOKEN_SECRET the placeholder is left empty, loudly: the chat opens, without context.
   */
  private async contextTokenFor(call: CallRecord, campaign: Campaign): Promise<string> {
    if (!campaign.link.includes('{contextToken}')) return '';
    if (!this.deps.contextTokens) {
      this.deps.log
        .child({ campaignId: campaign.id })
        .warn('the campaign link has {contextToken} but CONTEXT_TOKEN_SECRET is not set: the link goes without one');
      return '';
    }
    return this.deps.contextTokens.sign(call.id);
  }

  /**
   * A number we cannot text (not a mobile, or opted out): say why and ask for another
   * while attempts remain, then hand the call back.
   */
  private refusedNumber(
    call: CallRecord,
    ctx: CallContext,
    why: 'invalidNumber' | 'optedOut',
    ...events: NewEvent[]
  ): Transition {
    const count = call.invalidNumberCount + 1;
    if (count >= ctx.campaign.maxNumberAttempts) {
      const reason: HandBackReason = why === 'optedOut' ? 'opted-out' : 'invalid-number';
      const transition = this.handBack('failed', reason, events, [why, 'declined']);
      return { ...transition, update: { ...transition.update, invalidNumberCount: count } };
    }
    return {
      update: { state: 'capturing', destination: null, destinationSource: null, invalidNumberCount: count },
      events,
      recipe: { builder: 'enter-number', after: why },
    };
  }

  /**
   * An answer the page's grammar does not accept. A strict browser never submits one (it
   * raises nomatch itself), but a lax platform submits any key it hears, and serving the
   * page again uncounted looped such a call for ever. It counts as a no-match at this
   * question: the page comes back with the no-match prompt and gives up sooner, and at
   * the campaign's maxRetries the call is handed back as the browser's own no-match
   * give-up would be. The count lives in the stored recipe, so a repeated request is
   * answered with the same page.
   */
  private outOfGrammar(call: CallRecord, ctx: CallContext, answer: string): Transition | undefined {
    const page = call.lastPage;
    // A row written before recipes holds a whole page: it is served again as it is.
    if (!page || !isRecipe(page) || page.builder === 'end') return undefined;
    const noMatches = (page.noMatches ?? 0) + 1;
    // What was pressed, as DTMF keys only and short: never a number the caller keyed.
    const keys = answer.replace(/[^0-9*#A-D]/g, '').slice(0, 4);
    const event: NewEvent = { type: 'answer-outside-grammar', detail: { page: page.builder, keys, count: noMatches } };
    if (noMatches >= ctx.campaign.maxRetries) return this.handBack('declined', 'no-match', [event]);
    return { update: {}, events: [event], recipe: { ...page, noMatches } };
  }

  private handBack(
    status: CallResult['status'],
    reason: HandBackReason,
    events: NewEvent[],
    prompts: PromptName[] = ['declined'],
    destination: string | null = null,
  ): Transition {
    const result: CallResult = { status, reason, maskedNumber: destination ? maskNumber(destination) : '' };
    return {
      update: { state: status === 'failed' ? 'failed' : 'handed-back', result },
      events: [...events, { type: 'handed-back', detail: { reason } }],
      recipe: { builder: 'end', result, prompts },
    };
  }

  /** The caller's own number for the chat link: the ANI when it reads as a number. */
  private callerId(call: CallRecord, campaign: Campaign): string {
    return call.ani ? normaliseNumber(call.ani, campaign.country as CountryCode) : '';
  }

  /**
   * Who the per-caller limits count this text against: the ANI when it is a valid number
   * (any country), else '' (withheld, empty, "12" or junk), which the store counts in the
   * campaign's one withheld bucket. Rotating made-up ANIs must not each get a fresh limit.
   */
  private callerKey(call: Pick<CallRecord, 'ani'>, campaign: Campaign): string {
    // libphonenumber's answer; an ANI in strict E.164 (the usual) without its general parser.
    return validNumberOrEmpty(extractDialString(call.ani), campaign.country as CountryCode);
  }

  /**
   * Loads the call, checks it may take this step, runs the step and stores the outcome.
   * A step that returns undefined (an answer outside the grammar) counts a no-match.
   */
  private async step(
    req: StepRequest,
    accepts: CallState[],
    run: (call: CallRecord, ctx: CallContext, at: string) => Promise<StepOutcome>,
    duringSend: NewEvent[] = [],
  ): Promise<Served> {
    const call = req.callId ? await this.deps.store.getCall(req.callId) : undefined;
    if (!call) return this.unknownCall(req.modeHint);
    bindCall(call.id, call.platformCallId);
    // A finished call answers every later request with its last page (IVR retries).
    if (TERMINAL_STATES.includes(call.state)) return this.pageOf(call);
    // Claimed by a send (maybe on another instance): no step may move it; wait for its end.
    if (call.state === 'sending') return this.afterSend(call.id, call.mode, duringSend);

    const at = this.now().toISOString();
    const campaign = this.campaignOf(call);
    const expired: HandBackReason | undefined = !campaign
      ? 'campaign-removed'
      : at > call.expiresAt
        ? 'call-expired'
        : undefined;
    if (expired) {
      const result: CallResult = { status: 'failed', reason: expired, maskedNumber: '' };
      const recipe: PageRecipe = { builder: 'end', result, prompts: campaign ? ['failed'] : [] };
      const applied = await this.deps.store.updateCall(
        call.id,
        { state: 'failed', result, lastPage: recipe },
        [{ type: 'handed-back', detail: { reason: expired } }],
        at,
        call.state,
      );
      return applied ? endPage(campaign, call.mode, result, recipe.prompts) : this.currentPage(call.id, call.mode);
    }
    if (!campaign || !accepts.includes(call.state)) return this.pageOf(call);

    const ctx: CallContext = { campaign, callId: call.id, mode: call.mode };
    const outcome = await run(call, ctx, at);
    if (outcome === MOVED) return this.afterSend(call.id, call.mode, []);
    const transition = outcome ?? this.outOfGrammar(call, ctx, req.answer);
    if (!transition) return this.pageOf(call);
    const from = transition.from ?? call.state;
    const applied = transition.applied ?? (await this.deps.store.updateCall(call.id, { ...transition.update, lastPage: transition.recipe }, transition.events, at, from));
    // The page names the channel the step chose (choice mode), not the one the call had.
    if (applied) return new RecipePage(transition.recipe, campaign, { ...call, channel: transition.update.channel ?? call.channel });
    // Another request for this call (a retry, a racing confirm, maybe on another instance)
    // got there first: answer with the page it left, once any send it claimed has ended.
    return this.afterSend(call.id, call.mode, from === 'sending' ? [] : duringSend);
  }

  /**
   * The page a call ends on once no send holds it: what a request that found the call
   * claimed answers (a change or a give-up racing a confirm gets the confirm's result).
   * `duringSend` events are recorded if the call is still being sent (a hang-up during the
   * hold: an event, not an outcome). The sender finishes within callerWaitMs; if it has
   * not after a grace period (its instance died), the call is finished here from its message.
   */
  private async afterSend(callId: string, mode: IntegrationMode, duringSend: NewEvent[]): Promise<Page> {
    const { store } = this.deps;
    const polls = Math.ceil((this.deps.callerWaitMs + SEND_FINISH_GRACE_MS) / this.sendPollMs);
    for (let poll = 0; ; poll++) {
      const call = await store.getCall(callId);
      if (!call) return this.unknownCall(mode);
      if (call.state !== 'sending') return this.pageOf(call);
      if (poll === 0 && duringSend.length) await store.updateCall(call.id, {}, duringSend, this.now().toISOString());
      if (poll >= polls) return this.finishAbandonedSend(call);
      await new Promise((resolve) => setTimeout(resolve, this.sendPollMs));
    }
  }

  /** A send whose request died after the claim: the call ends as its stored message says. */
  private async finishAbandonedSend(call: CallRecord): Promise<Page> {
    const campaign = this.campaignOf(call);
    const [message] = await this.deps.store.listMessages({ callId: call.id, limit: 1 });
    const result: CallResult = { status: 'failed', reason: 'error', maskedNumber: '' };
    const transition =
      campaign && message
        ? this.sendOutcome(call, { campaign, callId: call.id, mode: call.mode }, message.to, firstAttemptOf(message), message.fallback?.channel ?? null)
        : { update: { state: 'failed' as const, result }, events: [], recipe: { builder: 'end' as const, result, prompts: [] } };
    const at = this.now().toISOString();
    const applied = await this.deps.store.updateCall(call.id, { ...transition.update, lastPage: transition.recipe }, transition.events, at, 'sending');
    if (!applied) return this.currentPage(call.id, call.mode);
    this.deps.log.warn({ callId: call.id }, 'a send was abandoned after its claim; the call is finished from its message');
    return pageFromRecipe(transition.recipe, campaign, call) ?? this.unknownCall(call.mode);
  }

  /**
   * The page a call is on, from what it stored: a recipe rebuilt with the call's campaign,
   * or the whole page a row written before recipes holds. A question whose campaign is
   * gone, or a call with no page, hands back as an unknown call would.
   */
  private pageOf(call: CallRecord): Page {
    const stored = call.lastPage;
    if (!stored) return this.unknownCall(call.mode);
    if (!isRecipe(stored)) return stored;
    const campaign = this.campaignOf(call);
    return pageFromRecipe(stored, campaign, call) ?? this.unknownCall(call.mode);
  }

  /** The page another request left the call on (it moved the call first). */
  private async currentPage(callId: string, mode: IntegrationMode): Promise<Page> {
    const call = await this.deps.store.getCall(callId);
    return call ? this.pageOf(call) : this.unknownCall(mode);
  }

  /** The call's campaign as the call sees it (without C2M unless LivePerson said yes). */
  private campaignOf(call: CallRecord): Campaign | undefined {
    const campaign = call.campaignId ? this.deps.campaigns.get(call.campaignId) : undefined;
    // A campaign edited since the call started may leave no channel in the view: the
    // campaign as it is then (the step's own checks decide what the call hears).
    return campaign && (campaignSeenBy(campaign, call) ?? campaign);
  }

  /**
   * LivePerson C2M's eligibility for the caller's own number, when the campaign lists C2M
   * (undefined: it does not). A withheld or unreadable caller number is not eligible: there
   * is nothing to ask LivePerson about.
   */
  private async c2mAtStart(campaign: Campaign, call: { ani: string }): Promise<C2mStep | undefined> {
    const entry = c2mEntryOf(campaign);
    if (!entry) return undefined;
    const phone = this.callerKey({ ani: call.ani }, campaign);
    const c2m = this.deps.c2m;
    if (!phone || !c2m) {
      return { decision: { offer: false, reason: 'not-eligible' }, update: {}, events: [{ type: 'c2m-eligibility', detail: { eligible: false, reason: phone ? 'not-configured' : 'no-caller-number' } }] };
    }
    return c2mAtOffer(this.c2mDeps(campaign), entry, phone, new AbortController().signal);
  }

  /** The invite for the confirmed number: the offer's answer, or a new one for another number. */
  private async c2mAtSend(campaign: Campaign, call: CallRecord, to: string): Promise<C2mStep | undefined> {
    const entry = c2mEntryOf(campaign);
    if (!entry || !this.deps.c2m) return undefined;
    return c2mAtSend(this.c2mDeps(campaign), entry, call.c2mEligibility, to, new AbortController().signal);
  }

  private c2mDeps(campaign: Campaign): C2mOfferDeps {
    const c2m = this.deps.c2m!;
    return { client: c2m.client, log: this.deps.log.child({ campaignId: campaign.id }), now: () => this.now().getTime(), budget: c2m.budgets.forCampaign(campaign.id) };
  }

  /** Something went wrong on our side, or the request made no sense: hand back silently. */
  errorPage(mode: IntegrationMode): Page {
    return endPage(undefined, mode, { status: 'failed', reason: 'error', maskedNumber: '' });
  }

  /** No such call (expired and purged, or a made-up id): hand back without a word. */
  unknownCall(mode: IntegrationMode): Page {
    return endPage(undefined, mode, { status: 'failed', reason: 'call-expired', maskedNumber: '' });
  }
}

/** The campaign's rolling windows per number and per caller, as of now. */
function callerLimits(campaign: Campaign, now: Date): SendLimit[] {
  const windows = (scope: 'destination' | 'caller', list: Campaign['limits']['perDestination']): SendLimit[] =>
    list.map((w) => ({
      scope,
      max: w.max,
      // A text exactly one window ago no longer counts: "1 per 10 minutes" allows one at minute 10.
      since: new Date(now.getTime() - w.withinMinutes * 60_000 + 1).toISOString(),
      name: `${w.max} per ${w.withinMinutes} min`,
    }));
  return [...windows('destination', campaign.limits.perDestination), ...windows('caller', campaign.limits.perCaller)];
}

/** The campaign's hourly and daily caps (null: removed on purpose) and the service's hourly budget. */
function capLimits(campaign: Campaign, now: Date, serviceHourlyBudget: number): SendLimit[] {
  const { hourlyCap, dailyCap } = campaign.limits;
  const lastHour = new Date(now.getTime() - 3_600_000 + 1).toISOString();
  const caps: SendLimit[] = [];
  if (hourlyCap !== null) caps.push({ scope: 'campaign', max: hourlyCap, since: lastHour, name: 'hourly cap' });
  if (dailyCap !== null) {
    caps.push({ scope: 'campaign', max: dailyCap, since: startOfLocalDay(now, campaign.timeZone ?? 'UTC').toISOString(), name: 'daily cap' });
  }
  caps.push({ scope: 'service', max: serviceHourlyBudget, since: lastHour, name: 'service hourly budget' });
  return caps;
}

function earliest(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}

/** What a message already in the store means for a repeated submit. */
function firstAttemptOf(message: MessageRecord): FirstAttempt {
  if (message.status === 'queued') return { kind: 'pending' };
  if (message.status === 'failed' && message.errorCode === 'suppressed') return { kind: 'refused', reason: 'unsubscribed' };
  if (message.status === 'failed') return { kind: 'refused', reason: 'rejected' };
  return { kind: 'sent' };
}
