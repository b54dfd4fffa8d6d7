import type { Role } from '../auth/roles';
import { emptyFunnelCounts, type AdminSession, type ApiToken, type LegalHold, type AuditActorKind, type AuditCheckpoint, type AuditEntry, type CallEvent, type CallRecord, type CallUpdate, type ConsentRecord, type EventCursor, type FunnelSlot, type MessageRecord, type ShortLink, type Suppression, type TextMatch, type TextRecontactCount } from './port';
import type { ChannelName } from '../channels/channel';
import { isRole } from '../auth/roles';

/**
 * Both stores' rows to the port's records: SQLite and PostgreSQL have the same columns, and
 * JSON is kept as the text it was written as (not jsonb, which reorders keys), so what
 * comes back is byte for byte the same from either. pg hands a bigint (the event id) over
 * as a string; Number() reads both.
 */

export type Row = Record<string, unknown>;

export function toJson(value: unknown): string | null {
  return value == null ? null : JSON.stringify(value);
}

export function toCall(r: Row): CallRecord {
  return {
    id: r.id as string,
    campaignId: (r.campaign_id as string | null) ?? null,
    mode: r.mode as CallRecord['mode'],
    dnis: r.dnis as string,
    ani: r.ani as string,
    platformCallId: r.platform_call_id as string,
    state: r.state as CallRecord['state'],
    destination: (r.destination as string | null) ?? null,
    destinationSource: (r.destination_source as CallRecord['destinationSource']) ?? null,
    invalidNumberCount: r.invalid_number_count as number,
    variant: (r.variant as string | null) ?? null,
    offerText: r.offer_text as string,
    acceptedAt: (r.accepted_at as string | null) ?? null,
    chatUrl: (r.chat_url as string | null) ?? null,
    chatUrlExpiresAt: (r.chat_url_expires_at as string | null) ?? null,
    channel: (r.channel as CallRecord['channel']) ?? null,
    c2mEligibility: r.c2m_eligibility ? JSON.parse(r.c2m_eligibility as string) : null,
    context: r.context ? JSON.parse(r.context as string) : null,
    result: r.result ? JSON.parse(r.result as string) : null,
    lastPage: r.last_page ? JSON.parse(r.last_page as string) : null,
    createdAt: r.created_at as string,
    expiresAt: r.expires_at as string,
  };
}

export function toEvent(r: Row): CallEvent {
  return {
    // bigint: pg hands it over as a string; ids stay far below 2^53.
    id: Number(r.id),
    callId: r.call_id as string,
    campaignId: (r.campaign_id as string | null) ?? null,
    type: r.type as CallEvent['type'],
    ...(r.detail ? { detail: JSON.parse(r.detail as string) } : {}),
    createdAt: r.created_at as string,
  };
}

export function toMessage(r: Row): MessageRecord {
  return {
    id: r.id as string,
    callId: r.call_id as string,
    campaignId: r.campaign_id as string,
    to: r.to as string,
    caller: r.caller as string,
    body: r.body as string,
    channel: (r.channel as MessageRecord['channel']) ?? 'sms',
    template: r.template ? JSON.parse(r.template as string) : null,
    c2m: r.c2m ? JSON.parse(r.c2m as string) : null,
    fallback: r.fallback ? JSON.parse(r.fallback as string) : null,
    fallbackOf: (r.fallback_of as string | null) ?? null,
    fellBackAt: (r.fell_back_at as string | null) ?? null,
    // SQLite keeps 0/1, PostgreSQL a boolean.
    smsFallbackByVendor: Boolean(r.sms_fallback_by_vendor),
    status: r.status as MessageRecord['status'],
    gateway: r.gateway as string,
    fallbackGateway: (r.fallback_gateway as string | null) ?? null,
    sentVia: (r.sent_via as string | null) ?? null,
    vendorMessageId: (r.vendor_message_id as string | null) ?? null,
    vendorStatus: (r.vendor_status as string | null) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
    errorDetail: (r.error_detail as string | null) ?? null,
    segments: r.segments as number,
    encoding: r.encoding as MessageRecord['encoding'],
    attempts: r.attempts as number,
    nextAttemptAt: (r.next_attempt_at as string | null) ?? null,
    leaseUntil: (r.lease_until as string | null) ?? null,
    attemptStartedAt: (r.attempt_started_at as string | null) ?? null,
    attemptVia: (r.attempt_via as string | null) ?? null,
    unansweredLookups: Number(r.unanswered_lookups ?? 0),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function toShortLink(r: Row): ShortLink {
  return {
    code: r.code as string,
    target: r.target as string,
    callId: (r.call_id as string | null) ?? null,
    campaignId: (r.campaign_id as string | null) ?? null,
    clicks: r.clicks as number,
    createdAt: r.created_at as string,
    expiresAt: (r.expires_at as string | null) ?? null,
  };
}

export function toSuppression(r: Row): Suppression & { channel: ChannelName } {
  return {
    number: r.number as string,
    channel: r.channel as ChannelName,
    keyword: r.keyword as string,
    source: r.source as string,
    createdAt: r.created_at as string,
  };
}

export function toConsent(r: Row): ConsentRecord {
  return {
    messageId: r.message_id as string,
    callId: r.call_id as string,
    campaignId: r.campaign_id as string,
    variant: (r.variant as string | null) ?? null,
    dnis: r.dnis as string,
    ani: r.ani as string,
    destination: r.destination as string,
    destinationSource: r.destination_source as ConsentRecord['destinationSource'],
    acceptKey: r.accept_key as string,
    confirmKey: r.confirm_key as string,
    offerText: r.offer_text as string,
    offerVersion: r.offer_version as string,
    offeredAt: r.offered_at as string,
    acceptedAt: (r.accepted_at as string | null) ?? null,
    confirmedAt: r.confirmed_at as string,
    channel: (r.channel as ConsentRecord['channel']) ?? 'sms',
    channelConsentText: (r.channel_consent_text as string | null) ?? '',
  };
}

export function toEventCursor(r: Row): EventCursor {
  return {
    endpoint: r.endpoint as string,
    lastId: Number(r.last_id),
    failures: Number(r.failures),
    nextAttemptAt: (r.next_attempt_at as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: (r.lease_until as string | null) ?? null,
  };
}

export function toAuditEntry(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at as string,
    actorKind: r.actor_kind as AuditActorKind,
    actorName: r.actor_name as string,
    ip: (r.ip as string | null) ?? null,
    action: r.action as string,
    target: (r.target as string | null) ?? null,
    detail: (r.detail as string | null) ?? null,
    hash: r.hash as string,
  };
}

export function toAuditCheckpoint(r: Row): AuditCheckpoint {
  return { throughId: Number(r.through_id), hash: r.hash as string, prunedAt: r.pruned_at as string, pruned: Number(r.pruned) };
}

export function toSession(r: Row): AdminSession {
  return {
    id: r.id as string,
    user: r.user as string,
    // A value no version wrote (a hand-edited row) grants the least, not the most.
    role: isRole(r.role) ? r.role : 'viewer',
    csrfToken: r.csrf_token as string,
    createdAt: r.created_at as string,
    expiresAt: r.expires_at as string,
  };
}

/** The calls column of each field an update may change. */
export const CALL_COLUMNS: Record<keyof CallUpdate, string> = {
  state: 'state',
  destination: 'destination',
  destinationSource: 'destination_source',
  invalidNumberCount: 'invalid_number_count',
  acceptedAt: 'accepted_at',
  chatUrl: 'chat_url',
  chatUrlExpiresAt: 'chat_url_expires_at',
  channel: 'channel',
  c2mEligibility: 'c2m_eligibility',
  result: 'result',
  lastPage: 'last_page',
};

/**
 * Folds funnel rows (one per slot, campaign, DNIS and not-offered reason, in that order)
 * into slots, appending to `slots` and continuing from its last slot: the SQLite store
 * reads an hour at a time.
 */
export function foldFunnelRows(rows: readonly Row[], slots: FunnelSlot[]): void {
  let last = slots[slots.length - 1];
  for (const r of rows) {
    const campaignId = (r.campaign_id as string | null) ?? null;
    if (!last || last.slot !== r.slot || last.campaignId !== campaignId || last.dnis !== r.dnis) {
      last = { slot: r.slot as string, campaignId, dnis: r.dnis as string, ...emptyFunnelCounts() };
      slots.push(last);
    }
    last.calls += Number(r.calls);
    last.offered += Number(r.offered);
    last.accepted += Number(r.accepted);
    last.declined += Number(r.declined);
    last.textsSent += Number(r.texts_sent);
    last.textsDelivered += Number(r.texts_delivered);
    last.textsFailed += Number(r.texts_failed);
    last.linksClicked += Number(r.links_clicked);
    last.recontacts += Number(r.recontacts);
    last.linksPreviewed += Number(r.links_previewed);
    last.conversationsStarted += Number(r.conversations_started);
    last.conversationsResolved += Number(r.conversations_resolved);
    // Calls stored in full (before counters existed) and counted ones add up.
    if (r.reason != null) last.notOffered[r.reason as string] = (last.notOffered[r.reason as string] ?? 0) + Number(r.calls);
  }
}

/**
 * Funnel rows of stored calls and of not-offered counters, in the order foldFunnelRows
 * needs (slot, campaign with none first, DNIS, reason with none first; byte order).
 */
export function mergeFunnelRows(calls: readonly Row[], counted: readonly Row[]): Row[] {
  if (!counted.length) return [...calls];
  const key = (r: Row): string[] => [r.slot as string, r.campaign_id == null ? '' : `~${r.campaign_id as string}`, r.dnis as string, r.reason == null ? '' : `~${r.reason as string}`];
  return [...calls, ...counted].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as string) < (kb[i] as string) ? -1 : 1;
    return 0;
  });
}

/** The columns a not-offered counter row gives the fold: only calls and the reason count. */
export const NOT_OFFERED_FUNNEL_COLUMNS = `0 AS offered, 0 AS accepted, 0 AS declined, 0 AS texts_sent, 0 AS texts_delivered,
  0 AS texts_failed, 0 AS links_clicked, 0 AS recontacts, 0 AS conversations_started, 0 AS conversations_resolved, 0 AS links_previewed`;

/** A lastTextFor row to its match. */
export function toTextMatch(r: Row | undefined): TextMatch | undefined {
  if (!r) return undefined;
  return { callId: r.call_id as string, campaignId: r.campaign_id as string, textedAt: r.created_at as string, matchedBy: r.matched_by as TextMatch['matchedBy'] };
}

export function toTextRecontactCount(r: Row): TextRecontactCount {
  return {
    campaignId: r.campaign_id as string,
    day: r.day as string,
    daysToRecontact: r.days_to_recontact == null ? null : Number(r.days_to_recontact),
    texts: Number(r.texts),
  };
}

export function toLegalHold(row: Row): LegalHold {
  return {
    kind: row.kind as LegalHold['kind'],
    value: row.value as string,
    reason: row.reason as string,
    createdBy: row.created_by as string,
    createdAt: row.created_at as string,
  };
}

export function toApiToken(row: Row): ApiToken {
  return {
    id: row.id as string,
    name: row.name as string,
    role: row.role as Role,
    createdAt: row.created_at as string,
    createdBy: row.created_by as string,
    expiresAt: (row.expires_at as string | null) ?? null,
    lastUsedAt: (row.last_used_at as string | null) ?? null,
    revokedAt: (row.revoked_at as string | null) ?? null,
    revokedBy: (row.revoked_by as string | null) ?? null,
  };
}
