import type { ConversationEventType, OutcomeVerdict, Store } from '../store/port';

/** What verifies a link's context token for an outcome (src/context/token.ts's ContextTokens). */
export interface OutcomeTokens {
  verifyWithGrace(token: string, graceSeconds: number): Promise<{ callId: string } | { problem: 'expired' | 'invalid' }>;
}

/** A compact JWS of a call id and an expiry is about 150 characters; anything far longer is not one. */
export const MAX_TOKEN_LENGTH = 1_024;

export interface OutcomeReport {
  token: string;
  type: ConversationEventType;
  source: 'conversations' | 'liveperson';
  notificationId: string;
  /** The platform's own time for it, when it gave one (kept in the event's detail). */
  reportedAt?: string;
}

/** What became of a report: the store's verdict, or why its token named no call. */
export type OutcomeResult = { verdict: OutcomeVerdict } | { refused: 'token-invalid' | 'token-expired' };

/**
 * One outcome for the call its token names: the token is checked (signature, HS256 only,
 * expiry plus the grace) before anything is read or written, so a forged or tampered
 * token records nothing; then the store records it once per call (see
 * Store.recordConversationOutcome for replays).
 */
export async function recordOutcome(
  deps: { store: Store; tokens: OutcomeTokens; graceSeconds: number; now: () => Date; idRetentionMs: number },
  report: OutcomeReport,
): Promise<OutcomeResult> {
  if (report.token.length > MAX_TOKEN_LENGTH) return { refused: 'token-invalid' };
  const checked = await deps.tokens.verifyWithGrace(report.token, deps.graceSeconds);
  if ('problem' in checked) return { refused: checked.problem === 'expired' ? 'token-expired' : 'token-invalid' };
  const received = deps.now();
  const verdict = await deps.store.recordConversationOutcome({
    callId: checked.callId,
    type: report.type,
    detail: { source: report.source, ...(report.reportedAt ? { reportedAt: report.reportedAt } : {}) },
    source: report.source,
    notificationId: report.notificationId,
    receivedAt: received.toISOString(),
    forgetIdsBefore: new Date(received.getTime() - deps.idRetentionMs).toISOString(),
  });
  return { verdict };
}
