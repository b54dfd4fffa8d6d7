import type { OutgoingSms, PermanentReason, SendOutcome, SmsGateway } from '../sms/port';
import type { C2mClient } from './c2m-client';
import type { C2mMeaning } from './c2m-errors';

/**
 * LivePerson Connect-to-Messaging as a gateway: its send is C2M's invite call, so the
 * invite goes through the outbox like any text (it enters the funnel, the consent record
 * and /api/messages, with attempts, retries and the fallback plan), although LivePerson,
 * not us, sends the SMS or WhatsApp message the caller gets.
 *
 * The message carries the eligibility answer's callId (OutgoingSms.c2m), taken at the
 * offer or again for another number at the send; the body is for our records only
 * (LivePerson sends the handoff's own template).
 *
 * Resend safety: none declared. LivePerson documents no way to ask whether an invite went
 * out and no idempotency for a callId, so an attempt whose answer was lost may be retried:
 * at least once, as the README's table says for gateways without a lookup.
 *
 * LivePerson sends no delivery receipts for the invite: the message stays "sent" once
 * accepted, and the conversation itself shows in LivePerson's own reports.
 */
export class LivePersonC2mGateway implements SmsGateway {
  readonly name = 'liveperson-c2m';
  readonly channels = ['c2m'] as const;

  constructor(private readonly client: Pick<C2mClient, 'invite'>) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    // A message without a callId was never through eligibility: nothing LivePerson could invite.
    if (!sms.c2m?.callId) {
      return { outcome: 'permanent', code: 'c2m-no-call-id', reason: 'rejected', detail: 'LivePerson C2M: the message has no eligibility callId' };
    }
    const answer = await this.client.invite(sms.c2m, signal);
    if (answer.kind === 'invited') return { outcome: 'accepted', vendorMessageId: answer.callId };
    const { code, meaning } = answer.error;
    const reason = PERMANENT[meaning];
    if (reason) return { outcome: 'permanent', code, reason, detail: answer.detail };
    // Rate limit (1029 / 429): the outbox backs off and tries again (throttled slows it
    // down for everyone); a refused token (1100) was dropped and the next attempt fetches
    // another; 5xx, timeouts and network trouble are worth another try.
    // LivePerson's FAQ on 429: retry with exponential backoff starting at 5 s.
    return { outcome: 'retryable', code, detail: answer.detail, ...(meaning === 'rate-limited' ? { throttled: true, retryAfterMs: RATE_LIMIT_RETRY_MS } : {}) };
  }
}

/**
 * "We recommend a request be retried (3 attempts with exponential retry with delay of 5
 * sec) when witnessing 429" (the C2M page's FAQ; its limit is 30 requests a second).
 */
export const RATE_LIMIT_RETRY_MS = 5_000;

/** What each documented error means for this message, when no retry can change it. */
const PERMANENT: Partial<Record<C2mMeaning, PermanentReason>> = {
  'invalid-number': 'invalid-number',
  // The overridden channel is not available (1900), or LivePerson cannot send (1400): the
  // campaign's next channel (its fallback plan) may still reach the caller.
  'not-on-channel': 'not-on-channel',
  'no-engagement': 'rejected',
  misconfigured: 'rejected',
  rejected: 'rejected',
};
