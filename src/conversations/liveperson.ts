import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ConversationEventType } from '../store/port';

/**
 * LivePerson's Messaging conversation events as its Webhooks service delivers them
 * (README "Conversation outcomes"): "cqm.ExConversationChangeNotification", the
 * conversation-metadata change the Messaging Window API documents
 * (https://developers.liveperson.com/messaging-window-api-api-reference-subscribe-to-conversation-metadata.html),
 * POSTed to the app's registered endpoint.
 *
 * Signature, per https://developers.liveperson.com/connector-api-webhooks-notification-protocol.html:
 * x-liveperson-signature is "sha1=" + HMAC-SHA1 of the raw payload with the app's client
 * secret (sha256= for accounts set up for SHA-256), Base64 by default, hexadecimal when the
 * app's configuration says so. Both encodings of the expected digest are accepted: they
 * encode the same HMAC, so accepting either gives a forger nothing.
 */
export const LIVEPERSON_SIGNATURE_HEADER = 'x-liveperson-signature';

/** Why the signature is refused, or undefined when one of the secrets made it. */
export function livePersonSignatureProblem(secrets: readonly string[], header: string | undefined, rawBody: string): string | undefined {
  if (!header) return `missing ${LIVEPERSON_SIGNATURE_HEADER}`;
  const match = /^(sha1|sha256)=(.+)$/.exec(header.trim());
  if (!match) return `${LIVEPERSON_SIGNATURE_HEADER} must be sha1=<digest> or sha256=<digest>`;
  const [, algorithm, given] = match as unknown as [string, 'sha1' | 'sha256', string];
  const givenBytes = Buffer.from(given, 'utf8');
  const matches = secrets.some((secret) => {
    const digest = createHmac(algorithm, secret).update(rawBody, 'utf8').digest();
    return [digest.toString('base64'), digest.toString('hex')].some((expected) => {
      const expectedBytes = Buffer.from(expected, 'utf8');
      return expectedBytes.length === givenBytes.length && timingSafeEqual(expectedBytes, givenBytes);
    });
  });
  return matches ? undefined : `${LIVEPERSON_SIGNATURE_HEADER} does not match`;
}

/*
 * The notification's shape, the fields we read only (LivePerson sends more and adds
 * fields: unknown ones pass). conversationDetails.state is OPEN or CLOSE; closeReason
 * AGENT, CONSUMER, SYSTEM (auto-close, timeout...); participants carry a role, and an
 * agent who took the conversation is ASSIGNED_AGENT.
 */
const Participant = z.object({ role: z.string().max(40) }).passthrough();
const Change = z
  .object({
    type: z.string().max(20),
    result: z
      .object({
        convId: z.string().min(1).max(100),
        conversationDetails: z
          .object({
            state: z.string().max(20),
            closeReason: z.string().max(40).optional(),
            participants: z.array(Participant).max(100).optional(),
            metaDataLastUpdateTs: z.number().int().nonnegative().optional(),
            startTs: z.number().int().nonnegative().optional(),
            // The conversation context the brand's chat page opened the conversation with
            // (see contextTokenOf).
            context: z.record(z.string(), z.unknown()).optional(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();
export const LivePersonNotification = z
  .object({
    type: z.string().max(100),
    body: z.object({ changes: z.array(Change).max(100) }).passthrough(),
  })
  .passthrough();
export type LivePersonNotification = z.infer<typeof LivePersonNotification>;
type LivePersonChange = z.infer<typeof Change>;

/** The notification type we read; others (message events) are acknowledged and ignored. */
export const CONVERSATION_CHANGE_TYPE = 'cqm.ExConversationChangeNotification';

/**
 * Where the call's context token travels with the conversation: the property contextToken
 * of conversationDetails.context. LivePerson's notifications carry no engagement attributes
 * (SDEs live in the consumer's profile, not in the conversation's metadata), while the
 * conversation context the consumer's side opens the conversation with comes back in every
 * metadata change. So the brand's chat page, opened from the texted link (whose
 * {contextToken} it reads from its own URL), puts the token into that context; nothing else
 * about the caller needs to go to LivePerson.
 */
export function contextTokenOf(change: LivePersonChange): string | undefined {
  const token = change.result.conversationDetails.context?.contextToken;
  return typeof token === 'string' && token ? token : undefined;
}

export interface LivePersonOutcome {
  conversationId: string;
  type: ConversationEventType;
  token: string | undefined;
  /** LivePerson's time of the change (ms), when it gave one. */
  changedAtMs: number | undefined;
}

/**
 * One change to our outcome. OPEN: conversation-started, or agent-engaged once an agent is
 * assigned. CLOSE: resolved when an agent took part (closeReason AGENT, or an assigned agent
 * among the participants: a consumer or an auto-close ending a conversation an agent
 * handled is the usual end of a resolved one); abandoned when it closed before any agent
 * took it (the consumer left the queue, or LivePerson closed it). Undefined for a change
 * that is not a state we know (a DELETE, a future state).
 */
export function outcomeOf(change: LivePersonChange): LivePersonOutcome | undefined {
  if (change.type !== 'UPSERT') return undefined;
  const details = change.result.conversationDetails;
  const agent = (details.participants ?? []).some((p) => p.role === 'ASSIGNED_AGENT');
  let type: ConversationEventType;
  if (details.state === 'OPEN') type = agent ? 'agent-engaged' : 'conversation-started';
  else if (details.state === 'CLOSE') type = agent || details.closeReason === 'AGENT' ? 'conversation-resolved' : 'conversation-abandoned';
  else return undefined;
  return {
    conversationId: change.result.convId,
    type,
    token: contextTokenOf(change),
    changedAtMs: details.metaDataLastUpdateTs ?? details.startTs,
  };
}
