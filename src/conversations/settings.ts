import { z } from 'zod';
import { optionalText, wholeNumber } from '../env-values';

/**
 * README "Conversation outcomes": the secrets of the two inbound outcome endpoints and how
 * long after a link's token expired its call's outcome is still taken.
 */
export interface ConversationSettings {
  /** POST /webhooks/conversations; empty: the endpoint answers 404. Several: any may sign (rotation). */
  webhookSecrets: string[];
  /** POST /webhooks/conversations/liveperson (LivePerson's app client secret); empty: 404. */
  livePersonSecrets: string[];
  /** How long past its exp a context token still names its call for an outcome. */
  tokenGraceSeconds: number;
}

/** A comma list of secrets, each at least `min` characters (a short one is a guessable one). */
function secretList(min: number) {
  return optionalText.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.every((s) => s.length >= min), `every secret must be at least ${min} characters`)
      .optional(),
  );
}

export const ConversationEnvShape = {
  CONVERSATION_WEBHOOK_SECRET: secretList(32),
  // LivePerson issues the client secret: its length is theirs, so no more than a floor.
  LIVEPERSON_WEBHOOK_SECRET: secretList(16),
  // A conversation can close hours or days after the link's token expired (a caller who
  // opened the link at the last minute, a case left open over a weekend): a week covers
  // that, and still bounds how long a leaked token can report anything.
  CONVERSATION_TOKEN_GRACE_DAYS: wholeNumber(0, 30, 7),
};

export function conversationSettingsFrom(e: {
  CONVERSATION_WEBHOOK_SECRET?: string[] | undefined;
  LIVEPERSON_WEBHOOK_SECRET?: string[] | undefined;
  CONVERSATION_TOKEN_GRACE_DAYS: number;
}): ConversationSettings {
  return {
    webhookSecrets: e.CONVERSATION_WEBHOOK_SECRET ?? [],
    livePersonSecrets: e.LIVEPERSON_WEBHOOK_SECRET ?? [],
    tokenGraceSeconds: e.CONVERSATION_TOKEN_GRACE_DAYS * 86_400,
  };
}
