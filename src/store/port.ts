import type { Role } from '../auth/roles';
import type { C2mInvite, ChannelName, FallbackPlan, TemplateContent } from '../channels/channel';
import type { StoredPage } from '../deflection/page-recipe';
import type { CallResult } from '../vxml/model';

/**
 * The store port. Everything is async so a networked backend (PostgreSQL) can sit
 * behind the same interface as the embedded SQLite default.
 */

/**
 * Where a call is in the dialog; each IVR step is only accepted in its own states.
 * sending: the confirm step has claimed the call and admitted its text, and waits for the
 * first attempt; no other step may move it (see admitMessage's claim).
 */
export type CallState = 'offered' | 'capturing' | 'confirming' | 'sending' | 'sent' | 'failed' | 'handed-back';

export const TERMINAL_STATES: readonly CallState[] = ['sent', 'failed', 'handed-back'];

export type IntegrationMode = 'goto' | 'subdialog';

export interface CallRecord {
  id: string;
  campaignId: string | null;
  mode: IntegrationMode;
  /** As the IVR sent them (normalised dial strings), for reports and links. */
  dnis: string;
  ani: string;
  /** The IVR platform's own call id, if it sent one. */
  platformCallId: string;
  state: CallState;
  /** The number we will text (E.164) and where it came from. */
  destination: string | null;
  destinationSource: 'ani' | 'entered' | null;
  invalidNumberCount: number;
  /** The offer variant the caller heard (null: the campaign has none), and its wording. */
  variant: string | null;
  offerText: string;
  /** When the caller pressed the accept key (consent evidence). */
  acceptedAt: string | null;
  /**
   * A one-time chat URL from the availability check (LivePerson's urlToChat), texted
   * instead of the campaign link, and when it stops working.
   */
  chatUrl: string | null;
  chatUrlExpiresAt: string | null;
  /**
   * The channel this call's message goes on: the caller's choice (choice mode) or the
   * campaign's first channel; null for a campaign without channels (SMS).
   */
  channel: ChannelName | null;
  /** LivePerson Connect-to-Messaging's answer at the offer, when the campaign asks it. */
  c2mEligibility: C2mEligibility | null;
  /**
   * The IVR's named context for the agent (intent, account reference...), only the names
   * the campaign allows, bounded (src/deflection/ivr-context.ts); null when none was passed.
   */
  context: Record<string, string> | null;
  result: CallResult | null;
  /**
   * The page last served, as a recipe (a whole page in older rows): what a repeated or
   * out-of-order request gets again.
   */
  lastPage: StoredPage | null;
  createdAt: string;
  expiresAt: string;
}

/** What LivePerson's C2M eligibility call said for this caller (src/channels/c2m-*). */
export interface C2mEligibility {
  /** LivePerson's id for this handoff: the invite names it. */
  callId: string;
  /** The number it was asked about (E.164): another number needs a new eligibility call. */
  phone: string;
  availableChannels: string[];
  recommendedChannel: string | null;
  checkedAt: string;
}

export type NewCall = Pick<
  CallRecord,
  'id' | 'campaignId' | 'mode' | 'dnis' | 'ani' | 'platformCallId' | 'state' | 'result' | 'lastPage' | 'createdAt' | 'expiresAt'
> &
  Partial<Pick<CallRecord, 'variant' | 'offerText' | 'chatUrl' | 'chatUrlExpiresAt' | 'channel' | 'c2mEligibility' | 'context'>>;

export type CallUpdate = Partial<
  Pick<
    CallRecord,
    | 'state'
    | 'destination'
    | 'destinationSource'
    | 'invalidNumberCount'
    | 'acceptedAt'
    | 'chatUrl'
    | 'chatUrlExpiresAt'
    | 'channel'
    | 'c2mEligibility'
    | 'result'
    | 'lastPage'
  >
>;

export const EVENT_TYPES = [
  'started',
  'not-offered',
  'offered',
  'accepted',
  'declined',
  'handed-back',
  'number-entered',
  'number-invalid',
  'number-confirmed',
  'number-opted-out',
  'limit-reached',
  'sms-queued',
  'sms-sent',
  'sms-failed',
  'sms-delivered',
  'link-clicked',
  'link-expired',
  // A machine fetched the short link (a messaging app's preview, a URL scanner, a HEAD):
  // detail.code, detail.agent (its class). Not a click: the funnel counts it apart.
  'link-previewed',
  // The caller hung up (or the browser gave up) while the text was being sent: noted, not
  // an outcome, since the text went out all the same.
  'gave-up-while-sending',
  // An answer the page's grammar does not accept (a lax platform submits any key): a no-match.
  'answer-outside-grammar',
  // The caller picked a channel at the offer (choice mode): detail.channel.
  'channel-chosen',
  // The recipient opened the message (WhatsApp, RCS read receipts): detail.channel.
  'message-read',
  // The first channel did not get through; the fallback message was created (once):
  // detail.from, detail.to (channels), detail.why (not-on-channel, failed, no-delivery, vendor-down).
  'channel-fallback',
  // LivePerson C2M's eligibility answer at the offer: detail.eligible, detail.channel or detail.error.
  'c2m-eligibility',
  // The caller (ANI) was texted, or called for a text, within the texting campaign's
  // recontactDays: detail.earlierCallId, detail.earlierCampaign, detail.daysSince, detail.matchedBy (ani, number).
  'recontact',
  // The chat platform's word on the conversation the text led to (README "Conversation
  // outcomes"), each recorded once per call: detail.source (conversations, liveperson),
  // detail.reportedAt (the platform's time, when it gave one).
  'conversation-started',
  'agent-engaged',
  'conversation-resolved',
  'conversation-abandoned',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  detail?: Record<string, string | number | boolean>;
}

export interface CallEvent extends NewEvent {
  id: number;
  callId: string;
  campaignId: string | null;
  createdAt: string;
}

/**
 * Told about the call events a write recorded, once it has committed (never for one
 * rolled back). Every event of every call passes through it: the funnel metrics count
 * them here, so they agree with the reports, which count the same events.
 */
export type EventObserver = (events: readonly Omit<CallEvent, 'id'>[]) => void;

/**
 * queued: in our outbox (not yet accepted by a vendor); sent: a vendor accepted it;
 * delivered / undelivered / failed: final, but for read (the recipient opened it, on
 * channels that say so), which may still follow delivered. A status only moves forward
 * (see STATUS_RANK).
 */
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

/** Receipts and attempts may only raise a message's rank: duplicates and stragglers change nothing. */
export const STATUS_RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2, read: 3 };

export interface MessageRecord {
  id: string;
  callId: string;
  campaignId: string;
  to: string;
  /**
   * The caller's number (E.164 when it is a valid number; '' when withheld, empty or
   * unreadable: those share the campaign's withheld bucket), for per-caller limits.
   */
  caller: string;
  body: string;
  /** The channel it goes on (sms for every message written before channels). */
  channel: ChannelName;
  /** A template message (WhatsApp), filled: sent instead of body. */
  template: TemplateContent | null;
  /** LivePerson Connect-to-Messaging: the invite's eligibility call id. */
  c2m: C2mInvite | null;
  /** What to send if this one does not get through (null: nothing). */
  fallback: FallbackPlan | null;
  /** This message is the fallback of that one (its id). */
  fallbackOf: string | null;
  /** When this message's fallback was created (null: not, or not yet): it is created once. */
  fellBackAt: string | null;
  /** RCS: the vendor sends the SMS itself when the handset cannot take RCS (OutgoingSms.smsFallbackByVendor). */
  smsFallbackByVendor: boolean;
  status: MessageStatus;
  /** The campaign's gateway when the message was created, and where failover goes. */
  gateway: string;
  fallbackGateway: string | null;
  /** The gateway of the latest attempt: the one whose receipts apply. */
  sentVia: string | null;
  vendorMessageId: string | null;
  /** The vendor's latest word on it (its own status name), from answers and receipts. */
  vendorStatus: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
  attempts: number;
  /** When the outbox may next try it (queued messages only). */
  nextAttemptAt: string | null;
  /** A dispatcher holds it until then; after that anyone may (a crash mid-send). */
  leaseUntil: string | null;
  /**
   * An attempt whose outcome we do not know: when its vendor request went out (recorded
   * before it goes) and to which gateway. Cleared once an outcome is known; left set when
   * the process died mid-request or the request timed out or was cut off after it was
   * sent (the vendor may have accepted it). The next dispatcher asks that gateway before
   * sending again (see the outbox's resend check).
   */
  attemptStartedAt: string | null;
  attemptVia: string | null;
  /** How many times in a row the vendor could not say whether it has that attempt's text. */
  unansweredLookups: number;
  createdAt: string;
  updatedAt: string;
}

export type NewMessage = Pick<
  MessageRecord,
  'id' | 'callId' | 'campaignId' | 'to' | 'body' | 'gateway' | 'fallbackGateway' | 'segments' | 'encoding' | 'createdAt'
> &
  Partial<Pick<MessageRecord, 'caller' | 'channel' | 'template' | 'c2m' | 'fallback' | 'fallbackOf' | 'smsFallbackByVendor'>> & {
    /**
     * When background dispatch (of any instance) may take it; default createdAt. A caller
     * waiting for the first attempt sets it to the end of the wait: the instance that
     * admitted the message claims it first (claimMessage does not wait for it).
     */
    dueAt?: string;
    /**
     * Stored already leased until then, as claimMessage would leave it: the instance that
     * admits a text for a waiting caller makes its first attempt without a claim of its own
     * (no other dispatcher takes it before the lease runs out). Default: not leased.
     */
    leaseUntil?: string;
  };

/**
 * A cap on texts, checked and applied atomically with the message's insertion: at most
 * `max` texts created since `since` (failed ones do not count) to this destination, for
 * calls from this caller (a withheld caller: the campaign's one withheld bucket), by this
 * campaign, by the whole service, to numbers starting with a prefix, or by this campaign
 * to a calling code (see send-limits.ts for exactly what each counts).
 */
export interface SendLimit {
  scope: 'destination' | 'caller' | 'campaign' | 'service' | 'prefix' | 'country';
  max: number;
  since: string;
  /** For the caller's ears and the reports: which rule this is ("10 minutes", "day"). */
  name: string;
  /** prefix and country scopes: the leading characters of the numbers counted ("+1617555", "+44"). */
  numberPrefix?: string;
}

/** The evidence kept for each text: who agreed to what, when, and where it went. */
export interface ConsentRecord {
  messageId: string;
  callId: string;
  campaignId: string;
  variant: string | null;
  dnis: string;
  ani: string;
  destination: string;
  destinationSource: 'ani' | 'entered';
  /** The channel the caller agreed to be messaged on (sms for records written before channels). */
  channel: ChannelName;
  /**
   * The channel's own consent wording the caller heard (WhatsApp's opt-in), '' when the
   * channel has none beyond the offer.
   */
  channelConsentText: string;
  /** The keys pressed: accept at the offer, confirm at the number. */
  acceptKey: string;
  confirmKey: string;
  offerText: string;
  /** Short hash of offerText: equal wording, equal version. */
  offerVersion: string;
  offeredAt: string;
  acceptedAt: string | null;
  confirmedAt: string;
}

export type Admission =
  | { kind: 'created' | 'existing'; message: MessageRecord }
  | { kind: 'limited'; limit: SendLimit }
  /** The claim failed: another request moved the call on first; nothing was stored. */
  | { kind: 'moved' };

/** What admitMessage may be told: the limits, the consent evidence, the events, and the claim. */
export interface AdmissionRequest {
  limits: SendLimit[];
  /** channel defaults to sms and channelConsentText to '' (a campaign without channels). */
  consent: Omit<ConsentRecord, 'messageId' | 'channel' | 'channelConsentText'> & Partial<Pick<ConsentRecord, 'channel' | 'channelConsentText'>>;
  events: NewEvent[];
  /**
   * Claims the call for this send: the message is stored only while the call is still in
   * `from`, and the same transaction moves the call to 'sending' (compare-and-set). A
   * concurrent step (a change, a give-up) that read the same state then finds it moved.
   */
  claim?: { from: CallState };
}

/** A call's ending, written with its first attempt's result (recordFirstAttempt): updateCall's arguments. */
export interface CallEnding {
  callId: string;
  update: CallUpdate;
  events: NewEvent[];
  /** The time the call's change and its events carry (updateCall's `at`). */
  at: string;
  /** Applied only while the call is in this state (updateCall's expectedState). */
  from: CallState;
}

/**
 * What one attempt ended with; it always releases the lease and counts the attempt. sent
 * and failed clear the record of an attempt in flight (its outcome is known); queued
 * clears it too unless outcomeUnknown says the vendor may still have accepted the text
 * (then lookupUnanswered counts one more lookup that could not tell).
 */
export type AttemptRecord =
  | { status: 'sent'; via: string; vendorMessageId: string; vendorStatus: string | null }
  | {
      status: 'queued';
      via: string | null;
      nextAttemptAt: string;
      errorCode: string;
      errorDetail: string;
      countsAsAttempt: boolean;
      outcomeUnknown?: boolean;
      lookupUnanswered?: boolean;
    }
  | { status: 'failed'; via: string | null; errorCode: string; errorDetail: string };

/** The message an attempt starts for: its id, and the number and channel whose opt-out stops it. */
export type AttemptTarget = Pick<MessageRecord, 'id' | 'to' | 'channel'>;

/** What Store.startAttempt did: started, or nothing because the lease was lost or the number opted out. */
export type AttemptStarted = 'started' | 'lost' | 'opted-out';

/** A vendor request about to go out for a leased message (see Store.startAttempt). */
export interface AttemptStart {
  /** The lease this dispatcher took: nothing is written if another has claimed it since. */
  heldLease: string;
  /** The lease renewed to cover the whole request. */
  leaseUntil: string;
  via: string;
  at: string;
}

export interface ReceiptUpdate {
  gateway: string;
  vendorMessageId: string;
  status: MessageStatus;
  vendorStatus: string;
  errorCode?: string;
}

/** Why a message fell back, as channel-fallback's detail.why says it. */
export type FallbackWhy = 'not-on-channel' | 'refused' | 'failed' | 'no-delivery' | 'vendor-down';

/** What Store.fallBack did. */
export type FallbackResult =
  /** The fallback message was created now (by this call, and never again). */
  | { kind: 'created'; message: MessageRecord }
  /**
   * Another caller (instance, sweep) did it first, or the message has no plan, or it is
   * queued and an attempt holds its lease now (nothing changed: the sweep comes back).
   */
  | { kind: 'already' }
  /** The number opted out of the fallback's channel: recorded, nothing created. */
  | { kind: 'opted-out' };

export interface Suppression {
  number: string;
  /** The word that opted the number out (STOP, UNSUBSCRIBE...) or the vendor's code. */
  keyword: string;
  /** Which gateway told us. */
  source: string;
  /** The channel the number opted out of (absent: sms). */
  channel?: ChannelName;
  createdAt: string;
}

/**
 * A STOP or START someone texted us. Signed callbacks can be captured and replayed: the
 * vendor's id makes a replay change nothing, and the time orders changes, so an older
 * START never undoes a newer STOP (or a vendor's "unsubscribed").
 */
export interface OptOutChange {
  number: string;
  change: 'stop' | 'start';
  /** The word that was texted. */
  keyword: string;
  /** Which gateway told us. */
  source: string;
  /** The channel it came in on (absent: sms): it changes that channel's opt-out only. */
  channel?: ChannelName;
  /** The vendor's id for the inbound text, when it gives one. */
  vendorMessageId?: string;
  /** When it was sent: the vendor's time, never later than receivedAt; receivedAt when the vendor gives none. */
  at: string;
  receivedAt: string;
  /** Ids received before this are forgotten (their retention has passed). */
  forgetIdsBefore: string;
}

/** The opt-out list as the console searches it (see Store.listSuppressions). */
export interface SuppressionQuery {
  /** A whole E.164 number, or its last digits (2 to 6 of them): NUMBER_FILTER. */
  number?: string;
  limit: number;
  /** Paging: only entries added before this time (the last createdAt of the previous page). */
  before?: string;
}

/** applied; duplicate: that vendor id was seen before; older: a later change was already made. */
export type OptOutVerdict = 'applied' | 'duplicate' | 'older';

export interface ShortLink {
  code: string;
  target: string;
  callId: string | null;
  campaignId: string | null;
  clicks: number;
  createdAt: string;
  /** After this the link answers a friendly "expired" page instead of redirecting; null: never. */
  expiresAt: string | null;
}

export interface ServiceSwitch {
  enabled: boolean;
  /** Who flipped it last and when (null: never flipped, on by default). */
  changedBy: string | null;
  changedAt: string | null;
}

/** What MessageQuery.number accepts: a whole E.164 number, or its last 2 to 6 digits. */
export const NUMBER_FILTER = /^(\+[1-9]\d{6,14}|\d{2,6})$/;

/** Filters of the admin messages search; all optional but the page size. */
export interface MessageQuery {
  limit: number;
  /** Only messages created before this time (paging: the last createdAt of the previous page). */
  before?: string;
  /** Created at or after this time. */
  since?: string;
  status?: MessageStatus;
  campaignId?: string;
  callId?: string;
  /** A whole E.164 number, or its last digits (2 to 6 of them) to match the end. */
  number?: string;
}

export interface EventQuery {
  from: string;
  to: string;
  type?: EventType;
  campaignId?: string;
  /** Paging: only events with a larger id. */
  afterId?: number;
  limit: number;
}

/**
 * Events out (src/events-out): how far one configured endpoint has got through the call
 * events, in id order. The cursor only moves when the endpoint has answered 2xx, so an
 * event is never skipped; a lease keeps two instances from sending one batch at once.
 */
export interface EventCursor {
  endpoint: string;
  /** The last event id the endpoint acknowledged: delivery resumes after it. */
  lastId: number;
  /** Failed deliveries in a row since the last success (drives the backoff). */
  failures: number;
  /** Not before this (a backoff after a failure); null: now. */
  nextAttemptAt: string | null;
  /** The last failure, one short line without secrets (null after a success). */
  lastError: string | null;
  /** Who holds the lease (a random id per claim) and until when; after that anyone may take it. */
  leaseOwner: string | null;
  leaseUntil: string | null;
}

/** How a leased delivery ended: delivered up to an id (2xx), or failed and retried later. */
export type EventDeliveryOutcome = { delivered: number } | { failed: string; nextAttemptAt: string };

/** Who did an audited thing: a console user, the API bearer token, or a job of ours. */
export type AuditActorKind = 'user' | 'token' | 'system';

/**
 * One audit entry as appended. detail is canonical JSON text (sorted keys, bounded:
 * src/audit/entry.ts makes it), stored as is so its hash can be recomputed byte for byte.
 */
export interface NewAuditEntry {
  at: string;
  actorKind: AuditActorKind;
  actorName: string;
  ip: string | null;
  action: string;
  target: string | null;
  detail: string | null;
}

/** A stored entry: hash is SHA-256 of the previous entry's hash and this entry's content (src/audit/chain.ts). */
export interface AuditEntry extends NewAuditEntry {
  id: number;
  hash: string;
}

/** The audit search: newest first, paged by id (beforeId). action matches itself and its sub-actions ("campaign" finds "campaign.update"). */
export interface AuditQuery {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  beforeId?: number;
  limit: number;
}

/** Where the chain starts after pruning: the last pruned entry's id and hash. */
export interface AuditCheckpoint {
  throughId: number;
  hash: string;
  prunedAt: string;
  /** Entries pruned so far, over every prune. */
  pruned: number;
}

/** A signed-in console user; the cookie holds a random token, the store only its hash. */
export interface AdminSession {
  /** SHA-256 of the cookie's token (hex): a stolen database gives no usable cookie. */
  id: string;
  user: string;
  /**
   * What the user may do (src/auth/roles.ts). Undefined only for sessions made before
   * roles existed, which were all the local admin's: read as admin.
   */
  role?: Role;
  /** Sent with every form and checked against this (CSRF). */
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * One row of the funnel: what happened to the calls that started in one 15-minute UTC
 * slot, for one campaign and DNIS. Reports regroup slots by local day or hour in any
 * time zone (every zone's offset is a whole number of quarter hours).
 */
export interface FunnelSlot extends FunnelCounts {
  /** Start of the slot, ISO 8601 UTC ("2026-11-21T09:15:00.000Z"). */
  slot: string;
  campaignId: string | null;
  dnis: string;
}

/** Calls that reached each step of the deflection funnel (each call counted once per step). */
export interface FunnelCounts {
  calls: number;
  offered: number;
  /** Calls not offered, by the reason recorded on their not-offered event. */
  notOffered: Record<string, number>;
  accepted: number;
  declined: number;
  textsSent: number;
  textsDelivered: number;
  textsFailed: number;
  linksClicked: number;
  /** Calls from a number texted (or called for a text) within the texting campaign's recontactDays. */
  recontacts: number;
  /**
   * Calls whose text led to a conversation the chat platform reported (any of its outcomes:
   * a conversation reported resolved was started, even if its start report was lost).
   */
  conversationsStarted: number;
  /** Calls whose conversation the chat platform reported resolved. */
  conversationsResolved: number;
  /** Calls whose link a machine fetched (a preview, a scanner, a HEAD), clicked or not. */
  linksPreviewed: number;
}

export function emptyFunnelCounts(): FunnelCounts {
  return {
    calls: 0,
    offered: 0,
    notOffered: {},
    accepted: 0,
    declined: 0,
    textsSent: 0,
    textsDelivered: 0,
    textsFailed: 0,
    linksClicked: 0,
    recontacts: 0,
    conversationsStarted: 0,
    conversationsResolved: 0,
    linksPreviewed: 0,
  };
}

/** The call events a conversation outcome records (see Store.recordConversationOutcome). */
export const CONVERSATION_EVENT_TYPES = ['conversation-started', 'agent-engaged', 'conversation-resolved', 'conversation-abandoned'] as const;
export type ConversationEventType = (typeof CONVERSATION_EVENT_TYPES)[number];

/**
 * An outcome the chat platform reported for a call. Signed reports can be captured and
 * replayed: the notification's id is remembered (with the inbound texts' ids, by source)
 * so a replay records nothing, and forgotten once a replay of it would be refused anyway.
 */
export interface ConversationOutcome {
  callId: string;
  type: ConversationEventType;
  detail: Record<string, string | number | boolean>;
  /** Who reported it (conversations, liveperson): the replay memory is kept per source. */
  source: string;
  /** The report's own id: a second report with it is a replay. */
  notificationId: string;
  receivedAt: string;
  /** Ids received before this are forgotten (a replay of them is refused by its time). */
  forgetIdsBefore: string;
}

/**
 * recorded: the event was recorded; already: the call had this outcome (nothing recorded);
 * replay: that notification id was seen before (nothing recorded); unknown-call: no such
 * call is kept (nothing recorded, the id not remembered).
 */
export type OutcomeVerdict = 'recorded' | 'already' | 'replay' | 'unknown-call';

/** Texted calls of a range (see Store.textRecontacts). */
export interface TextRecontactCount {
  campaignId: string;
  /** UTC date of the call's first text a vendor accepted (YYYY-MM-DD). */
  day: string;
  /** Whole days, rounded up, from that text to the first recontact of it; null: none. */
  daysToRecontact: number | null;
  texts: number;
}

/** The latest text a number was part of (see Store.lastTextFor). */
export interface TextMatch {
  callId: string;
  campaignId: string;
  /** When the message was created. */
  textedAt: string;
  /** ani: the earlier call came from this number; number: this number was texted. */
  matchedBy: 'ani' | 'number';
}

/** Who opened a short link (src/http/link-visitor.ts classifies the request). */
export interface LinkVisit {
  kind: 'click' | 'preview';
  /**
   * The agent's class, never its raw user agent: `browser`, `unknown` (clicks); `head`,
   * `prefetch`, `no-html`, `preview:<app>`, `scanner:<vendor>`, `crawler:<engine>` (previews).
   */
  agent: string;
}

/** A visit nobody classified (a caller of the store that predates classes): counted as a click. */
export const UNKNOWN_CLICK: LinkVisit = { kind: 'click', agent: 'unknown' };

/** Link-previewed events kept per call: enough to see who fetched it, bounded against a looping scanner. */
export const MAX_PREVIEW_EVENTS = 10;

export interface FunnelQuery {
  /** Calls started at or after `from` and before `to` (ISO 8601 UTC). */
  from: string;
  to: string;
  campaignId?: string;
}

/**
 * One group of messages for the by-channel report: how many messages created in the
 * range went on a channel and ended in a status. The store only groups; src/reports
 * folds the groups into the report's columns.
 */
export interface ChannelMessageCount {
  campaignId: string;
  channel: ChannelName;
  /** A fallback message: the channel of the message it stands in for (null: not a fallback). */
  fallbackFrom: ChannelName | null;
  status: MessageStatus;
  /** A vendor accepted it: it has the vendor's id (a failure receipt may have come after). */
  accepted: boolean;
  messages: number;
}

/**
 * One group of calls for the A/B report: the funnel's counts of the calls of one campaign
 * that heard one offer variant (null: the campaign had none when they called).
 */
/** The A/B report's counts: the funnel's steps (repeat calls are the stuck report's business). */
export interface VariantCount extends Omit<FunnelCounts, 'recontacts' | 'linksPreviewed' | 'conversationsStarted' | 'conversationsResolved'> {
  campaignId: string;
  variant: string | null;
}

/** A call handed back at start, before any offer: what its count needs, and no more. */
export interface NotOfferedCall {
  /** The id it would have had: its events name it for the observer; nothing stores it. */
  id: string;
  campaignId: string | null;
  /** The campaign's DNIS, or NOT_OFFERED_OTHER_DNIS for a missing or unknown one. */
  dnis: string;
  reason: string;
  createdAt: string;
}

/**
 * The one DNIS key of every call whose DNIS was missing or matched no campaign: an
 * attacker sending a new DNIS per request makes no new row.
 */
export const NOT_OFFERED_OTHER_DNIS = 'other';

/** The start of the 15-minute UTC slot an instant falls in, as funnel slots name it. */
export function funnelSlotOf(at: string): string {
  const quarter = 15 * 60_000;
  return new Date(Math.floor(Date.parse(at) / quarter) * quarter).toISOString();
}

/**
 * Retention (src/retention): the classes of data kept for a set number of days. calls:
 * the call rows; events: their call events (the reports' source); messages: texts (never
 * one still in the outbox); consent: the evidence kept for each text; short-links: links,
 * counted from their expiry.
 */
export const RETENTION_CLASSES = ['calls', 'events', 'messages', 'consent', 'short-links'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

/**
 * A legal hold: the data of a number (E.164, matched against a call's ANI and texted
 * number, a message's to and caller, consent's ANI and destination) or of a campaign is
 * kept whatever its age, and a number under it cannot be erased.
 */
export interface LegalHold {
  kind: 'number' | 'campaign';
  value: string;
  reason: string;
  /** Who placed it (an actor's name: a console user, admin-api). */
  createdBy: string;
  createdAt: string;
}

/**
 * A named API token (issue 20 part 2b). The store keeps the SHA-256 of its secret, never
 * the secret, so a copy of the database gives no usable token.
 */
export interface NewApiToken {
  /** Random, public: how the list and the API name one token (revoke by it). */
  id: string;
  /** Unique among live (unrevoked) tokens; the audit trail's actor name. */
  name: string;
  role: Role;
  /** SHA-256 of the secret, hex. */
  secretHash: string;
  createdAt: string;
  createdBy: string;
  /** Refused from then on; null: until revoked. */
  expiresAt: string | null;
}

/** A stored token as the list shows it: never its secret or hash. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  /** Coarse (updated about once a minute at most): when it was last accepted. */
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** Erase one number everywhere (src/retention/erasure.ts builds it). */
export interface ErasureRequest {
  /** Every form the number may be stored in: E.164, its digits without "+", its national digits. */
  forms: string[];
  /**
   * What the opt-out list keeps instead of the number (an HMAC of the E.164 number): the
   * store's numberKey of the same number, so isSuppressed still finds it.
   */
  suppressionKey: string;
}

/** Rows removed (or, for the opt-out list, replaced by the key) per table; or the hold that refused it. */
export type ErasureOutcome = { kind: 'erased'; removed: Record<string, number> } | { kind: 'held'; hold: LegalHold };

/**
 * How the stores find an erased number on the opt-out list: the key its erasure left
 * there (src/retention/number-key.ts). Without one (no ERASURE_KEY), nothing was erased.
 */
export type NumberKey = (e164: string) => string;

export interface Store {
  createCall(call: NewCall, events: NewEvent[]): Promise<void>;
  /**
   * Counts a call that was not offered (by funnel slot, campaign, DNIS and reason) instead
   * of storing it: a start costs a counter increment, not a call row and its events. Its
   * events reach the observer as if recorded, so metrics and funnelSlots keep agreeing.
   */
  countNotOffered(call: NotOfferedCall, events: NewEvent[]): Promise<void>;
  getCall(id: string): Promise<CallRecord | undefined>;
  /** Applies the change and records its events in one transaction. */
  /**
   * Applies the update and records the events. With expectedState, only while the call is
   * still in that state (compare-and-set): false, and nothing written, when another request
   * (a platform's retry on another instance) moved it on first. Throws for an unknown call.
   */
  updateCall(id: string, update: CallUpdate, events: NewEvent[], at: string, expectedState?: CallState): Promise<boolean>;
  listEvents(callId: string): Promise<CallEvent[]>;
  /** Events of every call in a time range, oldest first, paged by id. */
  searchEvents(query: EventQuery): Promise<CallEvent[]>;
  /**
   * Events with an id above afterId, in id order, whatever their time: the events-out
   * queue's read. Ids grow in commit order (PostgreSQL serialises event inserts with an
   * advisory lock held to commit), so a cursor on the last id delivered never skips one.
   */
  eventsAfter(afterId: number, limit: number): Promise<CallEvent[]>;
  /**
   * Events out: leases the endpoint's cursor to `owner` until leaseUntil when no live
   * lease holds it and it is due (nextAttemptAt passed); undefined otherwise. A cursor
   * that does not exist yet is created first at the newest event id (a new endpoint gets
   * the events from now on; the export covers the past).
   */
  claimEventCursor(endpoint: string, owner: string, now: string, leaseUntil: string): Promise<EventCursor | undefined>;
  /**
   * Ends a lease with its outcome, only if `owner` still holds it (false: another took
   * it, nothing written). delivered moves lastId forward (never back) and clears the
   * failures; failed counts one more and sets when to try again.
   */
  finishEventDelivery(endpoint: string, owner: string, outcome: EventDeliveryOutcome): Promise<boolean>;
  /** The endpoint's cursor as stored (metrics: the lag), undefined before its first claim. */
  getEventCursor(endpoint: string): Promise<EventCursor | undefined>;
  /** The deflection funnel's raw counts, by 15-minute slot, campaign and DNIS. */
  funnelSlots(query: FunnelQuery): Promise<FunnelSlot[]>;
  /**
   * The messages created in [from, to) (of one campaign, if given), grouped by campaign,
   * channel, the channel a fallback stands in for, status and whether a vendor accepted
   * them: the by-channel report's raw counts.
   */
  channelMessageCounts(query: FunnelQuery): Promise<ChannelMessageCount[]>;
  /**
   * The calls started in [from, to) that have a campaign (of one campaign, if given),
   * counted once per funnel step, by campaign and offer variant, ordered by campaign and
   * variant (no variant first): the A/B report's raw counts.
   */
  variantCounts(query: FunnelQuery): Promise<VariantCount[]>;
  /**
   * The latest text a vendor accepted, created in [since, before), that was sent for a
   * call from this number (matchedBy ani, preferred) or to it (number): the recontact
   * lookup at start. One query on the messages (caller, created_at) and ("to",
   * created_at) indexes. An empty number (withheld) never matches.
   */
  lastTextFor(number: string, since: string, before: string): Promise<TextMatch | undefined>;
  /**
   * The calls started in [from, to) (of one campaign, if given) that a vendor accepted a
   * text for, by campaign, UTC day of the text and days to the first recontact recorded
   * for them: the raw counts of the report's "deflections that stuck".
   */
  textRecontacts(query: FunnelQuery): Promise<TextRecontactCount[]>;
  /**
   * Records a conversation outcome for a call, in one transaction: refused (unknown-call)
   * when the call is not kept; a replay when its notification id was seen (ids received
   * before forgetIdsBefore are forgotten first); already when the call has this event;
   * otherwise the event is recorded (created at receivedAt).
   */
  recordConversationOutcome(outcome: ConversationOutcome): Promise<OutcomeVerdict>;

  /**
   * Inserts the message unless this call already has one for the same number; either
   * way returns the stored one. The call's events (then sms-queued) are recorded with it. This is what makes a repeated submit send nothing twice.
   */
  createMessage(message: NewMessage, events?: NewEvent[]): Promise<{ created: boolean; message: MessageRecord }>;
  /**
   * The send step's insert: returns this call's message to this number if there is one;
   * otherwise checks every limit and, when all allow it, claims the call (if asked: moved,
   * nothing stored, when it has left claim.from) and stores the message, its consent
   * record and the events, all in one transaction, so concurrent submits for one number
   * cannot both pass a limit of one, and a concurrent step cannot undo the claim.
   */
  admitMessage(message: NewMessage, admission: AdmissionRequest): Promise<Admission>;
  /** Texts created since a time, failed ones excluded (the campaign's daily cap, before offering). */
  countMessages(filter: { campaignId: string; since: string }): Promise<number>;
  listConsent(query: { from: string; to: string; campaignId?: string; limit: number }): Promise<ConsentRecord[]>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  /** Newest first. */
  listMessages(query: MessageQuery): Promise<MessageRecord[]>;

  /**
   * The outbox. Claiming leases queued messages that are due and not leased (or whose
   * lease ran out: their dispatcher died), so no two dispatchers send one message at once.
   * claimMessage takes one given message (the caller's first attempt) on the same terms.
   */
  claimDueMessages(now: string, leaseUntil: string, limit: number): Promise<MessageRecord[]>;
  claimMessage(id: string, now: string, leaseUntil: string): Promise<MessageRecord | undefined>;
  /**
   * Extends a lease only if it is still the one this dispatcher took (compare and swap):
   * false means another dispatcher has claimed the message since.
   */
  renewLease(id: string, heldLease: string, leaseUntil: string): Promise<boolean>;
  /**
   * Records that a vendor request for this message is about to go out (attemptStartedAt,
   * attemptVia) and renews the lease, only if this dispatcher still holds it (compare and
   * swap) and the number has not opted out of the message's channel (isSuppressed), both
   * checked with the write: 'lost' when another has claimed the message since, else
   * 'opted-out' when the number is on the opt-out list; nothing written then. Written
   * before the request, so a process that dies mid-request leaves the record behind.
   */
  startAttempt(message: AttemptTarget, start: AttemptStart): Promise<AttemptStarted>;
  /** Records an attempt's end and releases the lease; sms-sent / sms-failed events go to the call. */
  recordAttempt(id: string, attempt: AttemptRecord, at: string): Promise<MessageRecord>;
  /**
   * recordAttempt and, in the same transaction, the call's ending (updateCall with
   * `ending.from` expected): the caller's first attempt ends its call in one write where
   * there were two (one statement on PostgreSQL). `ended` is false, and the call left as
   * it was, when the call was no longer in `from` (or is gone); the attempt's result is
   * recorded either way.
   */
  recordFirstAttempt(id: string, attempt: AttemptRecord, at: string, ending: CallEnding): Promise<{ message: MessageRecord; ended: boolean }>;
  /** Moves a message forward from a delivery receipt; undefined when no message matches. */
  applyReceipt(receipt: ReceiptUpdate, at: string): Promise<{ message: MessageRecord; changed: boolean } | undefined>;
  /** Queued messages and the creation time of the oldest (for health and metrics). */
  outboxDepth(): Promise<{ queued: number; oldestCreatedAt: string | null }>;
  /**
   * Readiness: writes one heartbeat row in a transaction of its own (a full disk, a
   * read-only file or database, a lost write lock make it reject, while reads may still
   * work). Cheap: one row, updated in place.
   */
  probeWrite(at: string): Promise<void>;
  /** Queued messages of this gateway (or with it as fallback) waiting for a later retry become due at `at`; returns how many. */
  retryQueuedNow(gateway: string, at: string): Promise<number>;

  /**
   * The channel fallback, exactly once: in one transaction, marks the first message as
   * fallen back (only if it was not: a second caller, on any instance, gets 'already'),
   * gives it up if it is still queued (failed, code superseded: it must not go out later
   * too), records channel-fallback, and inserts `fallback` (its fallbackOf the first's id)
   * unless the number opted out of the fallback's channel ('opted-out': recorded only).
   * Send limits are not checked again: it is the same deflection's one message.
   */
  fallBack(messageId: string, fallback: NewMessage, why: FallbackWhy, at: string): Promise<FallbackResult>;
  /**
   * Messages whose fallback is due and not yet made, oldest first: failed or undelivered,
   * or past their plan's afterSeconds without a delivered or read receipt.
   */
  dueFallbacks(now: string, limit: number): Promise<MessageRecord[]>;

  /** The opt-out list: no campaign texts a suppressed number. */
  suppress(entry: Suppression): Promise<void>;
  /** Applies a texted STOP or START once, and only if nothing later was applied. */
  applyOptOutChange(change: OptOutChange): Promise<OptOutVerdict>;
  /** Whether the number opted out of this channel (default sms); other channels' opt-outs do not count. */
  isSuppressed(number: string, channel?: ChannelName): Promise<boolean>;
  /**
   * The opt-out list, newest first (every channel; channel is always set), for the
   * console's search. Adding and removing go through applyOptOutChange like a texted STOP
   * or START, so an admin's change and a caller's are ordered by time the same way.
   */
  listSuppressions(query: SuppressionQuery): Promise<Array<Suppression & { channel: ChannelName }>>;

  /** The global switch: off, no call is offered anything. */
  getServiceSwitch(): Promise<ServiceSwitch>;
  setServiceSwitch(enabled: boolean, changedBy: string, at: string): Promise<ServiceSwitch>;

  /** False when the code is taken (the caller draws another). */
  createShortLink(link: Omit<ShortLink, 'clicks'>): Promise<boolean>;
  /**
   * A visit to a short link. A click counts (clicks + 1) and the first one records a
   * link-clicked event (detail.agent: the visit's class); an expired link counts no click
   * and records link-expired instead. A preview counts nothing and records link-previewed
   * (at most MAX_PREVIEW_EVENTS a call: a scanner may fetch again and again), nothing
   * once the link has expired. Undefined for an unknown code. No visit: a click of an
   * unknown agent.
   */
  clickShortLink(code: string, at: string, visit?: LinkVisit): Promise<(ShortLink & { expired: boolean }) | undefined>;

  /** Console sign-in sessions; expired ones are never returned. */
  createSession(session: AdminSession): Promise<void>;
  getSession(id: string, now: string): Promise<AdminSession | undefined>;
  deleteSession(id: string): Promise<void>;
  deleteExpiredSessions(now: string): Promise<number>;

  /**
   * The audit trail, append-only: there is no method to change or remove one entry.
   * appendAudit chains the entry to the last one (its hash) in one serialised step.
   */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  searchAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries with an id above afterId, oldest first: the chain's verification read. */
  auditChain(afterId: number, limit: number): Promise<AuditEntry[]>;
  auditCheckpoint(): Promise<AuditCheckpoint | undefined>;
  /**
   * Retention's one way to drop entries: those before `before` (the oldest ones, up to the
   * last entry older than it, so the rest stay one unbroken chain), recording a checkpoint
   * (the last dropped entry's id and hash) that verification starts from. Returns how many.
   */
  pruneAuditBefore(before: string, at: string): Promise<number>;
  /**
   * Retention: deletes at most `limit` rows of the class older than `before` (consent by
   * confirmation, short links by expiry, others by creation), oldest first; never a
   * message still queued, a call with one, nor anything under a legal hold. Returns how
   * many went: fewer than limit means the class is done. One short transaction: the job
   * calls it again and again, yielding between calls.
   */
  pruneBatch(dataClass: RetentionClass, before: string, limit: number): Promise<number>;
  /**
   * Erasure: in one transaction, deletes every call, event, message, consent record and
   * short link of the number, and replaces it on the opt-out list by the key (opt-outs
   * hold afterwards); refused, nothing changed, when a legal hold covers the number or a
   * campaign of its calls.
   */
  eraseNumber(request: ErasureRequest): Promise<ErasureOutcome>;
  /** Places (or replaces the reason of) a hold; lifts one (false: there was none); lists them. */
  placeLegalHold(hold: LegalHold): Promise<void>;
  liftLegalHold(kind: LegalHold['kind'], value: string): Promise<boolean>;
  listLegalHolds(): Promise<LegalHold[]>;
  /**
   * A named job's lease (the retention job: one instance at a time): true when taken for
   * `owner` until `until`, because nobody held it or the holder's lease ran out (or owner
   * already held it).
   */
  claimJobLease(name: string, owner: string, now: string, until: string): Promise<boolean>;

  /**
   * Named API tokens. createApiToken is false (nothing stored) when a live token already
   * has the name. findApiToken finds a token by its secret's hash, revoked and expired
   * ones included (the caller refuses them). listApiTokens: every token, newest first.
   * revokeApiToken: the token as revoked, undefined when there is no live one of that id.
   * touchApiToken sets last used to `at` unless it is already at or after `unlessAfter`,
   * so many instances write it at most about once a period.
   */
  createApiToken(token: NewApiToken): Promise<boolean>;
  findApiToken(secretHash: string): Promise<ApiToken | undefined>;
  listApiTokens(): Promise<ApiToken[]>;
  revokeApiToken(id: string, by: string, at: string): Promise<ApiToken | undefined>;
  touchApiToken(id: string, at: string, unlessAfter: string): Promise<void>;

  close(): Promise<void>;
}
