import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CONVERSATION_CHANGE_TYPE, LIVEPERSON_SIGNATURE_HEADER, LivePersonNotification, livePersonSignatureProblem, outcomeOf } from '../conversations/liveperson';
import { MAX_TOKEN_LENGTH, recordOutcome, type OutcomeResult, type OutcomeTokens } from '../conversations/record';
import type { ConversationSettings } from '../conversations/settings';
import { SIGNATURE_TOLERANCE_SECONDS, timestampedSignatureProblem } from '../signing/timestamped-hmac';
import type { ConversationEventType, Store } from '../store/port';

/** A report is four short fields: 16 kB is far more than one needs. */
export const MAX_OUTCOME_BODY_BYTES = 16 * 1024;
/** LivePerson batches changes into one notification: as much as the vendor callbacks get. */
export const MAX_LIVEPERSON_BODY_BYTES = 64 * 1024;

/**
 * A signed report's id is remembered while a replay of it could pass the timestamp check:
 * the timestamp may be up to the tolerance behind our clock when it arrives and up to the
 * tolerance ahead when replayed, so twice the tolerance.
 */
export const OUTCOME_ID_RETENTION_MS = 2 * SIGNATURE_TOLERANCE_SECONDS * 1000;

/**
 * LivePerson signs no time, so a captured notification is refused by its ids (conversation,
 * outcome, LivePerson's change time) for this long, and a change older than it is ignored:
 * LivePerson's retries of a notification it could not deliver come well within two days.
 */
export const LIVEPERSON_MAX_CHANGE_AGE_MS = 48 * 60 * 60 * 1000;
/** How far ahead of our clock LivePerson's change time may be (clocks drift). */
const LIVEPERSON_MAX_AHEAD_MS = SIGNATURE_TOLERANCE_SECONDS * 1000;

/** The body's type names (the issue's words), and the call event each records. */
const EVENT_OF = {
  'conversation-started': 'conversation-started',
  'agent-engaged': 'agent-engaged',
  resolved: 'conversation-resolved',
  abandoned: 'conversation-abandoned',
} as const satisfies Record<string, ConversationEventType>;
const REPORTED_TYPES = Object.keys(EVENT_OF) as [keyof typeof EVENT_OF, ...(keyof typeof EVENT_OF)[]];

const OutcomeBody = z.object({
  id: z.string().min(1).max(100),
  type: z.enum(REPORTED_TYPES),
  token: z.string().min(1).max(MAX_TOKEN_LENGTH),
  at: z.string().datetime({ offset: true }).optional(),
});

export interface ConversationRouteDeps {
  store: Store;
  /** Undefined when CONTEXT_TOKEN_SECRET is unset: no token can name a call, so both endpoints are off. */
  tokens: OutcomeTokens | undefined;
  settings: ConversationSettings;
  log: Logger;
  now: () => Date;
}

/**
 * The chat platform's word on the conversation a text led to (README "Conversation
 * outcomes"): POST /webhooks/conversations (our signed JSON) and
 * POST /webhooks/conversations/liveperson (LivePerson's conversation change notifications).
 * Mounted before the vendor callbacks of /webhooks.
 */
export function conversationRoutes(deps: ConversationRouteDeps): Router {
  const router = express.Router();
  const record = (tokens: OutcomeTokens, report: Parameters<typeof recordOutcome>[1], idRetentionMs: number) =>
    recordOutcome({ store: deps.store, tokens, graceSeconds: deps.settings.tokenGraceSeconds, now: deps.now, idRetentionMs }, report);

  router.post('/liveperson', express.text({ type: () => true, limit: MAX_LIVEPERSON_BODY_BYTES }), async (req, res, next) => {
    try {
      const secrets = deps.settings.livePersonSecrets;
      if (!secrets.length || !deps.tokens) return disabled(res, 'LIVEPERSON_WEBHOOK_SECRET');
      const rawBody = typeof req.body === 'string' ? req.body : '';
      const problem = livePersonSignatureProblem(secrets, req.get(LIVEPERSON_SIGNATURE_HEADER), rawBody);
      if (problem) return refuse(deps.log, res, 401, problem, 'liveperson');
      const parsed = LivePersonNotification.safeParse(parseJson(rawBody));
      if (!parsed.success) return refuse(deps.log, res, 400, fieldProblem(parsed.error), 'liveperson');
      const counts = { recorded: 0, already: 0, replays: 0, ignored: 0 };
      // Other notifications the app may be subscribed to (message events) are not ours to read.
      const changes = parsed.data.type === CONVERSATION_CHANGE_TYPE ? parsed.data.body.changes : [];
      const now = deps.now().getTime();
      for (const change of changes) {
        const outcome = outcomeOf(change);
        const at = outcome?.changedAtMs;
        const inWindow = at === undefined || (at >= now - LIVEPERSON_MAX_CHANGE_AGE_MS && at <= now + LIVEPERSON_MAX_AHEAD_MS);
        if (!outcome?.token || !inWindow) {
          counts.ignored++;
          continue;
        }
        const result = await record(
          deps.tokens,
          {
            token: outcome.token,
            type: outcome.type,
            source: 'liveperson',
            notificationId: `${outcome.conversationId}:${outcome.type}:${at ?? '-'}`.slice(0, 200),
            ...(at !== undefined ? { reportedAt: new Date(at).toISOString() } : {}),
          },
          LIVEPERSON_MAX_CHANGE_AGE_MS + LIVEPERSON_MAX_AHEAD_MS,
        );
        tally(counts, result);
      }
      deps.log.info({ source: 'liveperson', ...counts }, 'conversation outcomes');
      // 200 whatever each change came to: LivePerson retries anything else, and a replay or
      // a change without our token will not get better by being sent again.
      res.status(200).json(counts);
    } catch (err) {
      next(err);
    }
  });

  router.post('/', express.text({ type: () => true, limit: MAX_OUTCOME_BODY_BYTES }), async (req, res, next) => {
    try {
      const secrets = deps.settings.webhookSecrets;
      if (!secrets.length || !deps.tokens) return disabled(res, 'CONVERSATION_WEBHOOK_SECRET');
      const rawBody = typeof req.body === 'string' ? req.body : '';
      const problem = timestampedSignatureProblem(secrets, headersOf(req), rawBody, deps.now());
      if (problem) return refuse(deps.log, res, 401, problem, 'conversations');
      const parsed = OutcomeBody.safeParse(parseJson(rawBody));
      if (!parsed.success) return refuse(deps.log, res, 400, fieldProblem(parsed.error), 'conversations');
      const body = parsed.data;
      const result = await record(
        deps.tokens,
        { token: body.token, type: EVENT_OF[body.type], source: 'conversations', notificationId: body.id, ...(body.at ? { reportedAt: body.at } : {}) },
        OUTCOME_ID_RETENTION_MS,
      );
      if ('refused' in result) {
        const why = result.refused === 'token-expired' ? 'token: expired longer ago than the grace (CONVERSATION_TOKEN_GRACE_DAYS)' : 'token: not a context token of ours';
        return refuse(deps.log, res, 403, why, 'conversations');
      }
      switch (result.verdict) {
        case 'unknown-call':
          return refuse(deps.log, res, 404, 'token: its call is no longer kept', 'conversations');
        case 'replay':
          return refuse(deps.log, res, 409, 'id: this report was received before (a replay)', 'conversations');
        default:
          deps.log.info({ source: 'conversations', type: body.type, verdict: result.verdict }, 'conversation outcome');
          // already: a second report of an outcome the call has is no error; it changes nothing.
          res.status(200).json({ recorded: result.verdict === 'recorded' });
      }
    } catch (err) {
      next(err);
    }
  });
  return router;
}

function tally(counts: { recorded: number; already: number; replays: number; ignored: number }, result: OutcomeResult): void {
  if ('refused' in result) counts.ignored++;
  else if (result.verdict === 'recorded') counts.recorded++;
  else if (result.verdict === 'already') counts.already++;
  else if (result.verdict === 'replay') counts.replays++;
  else counts.ignored++;
}

function disabled(res: Response, variable: string): void {
  res.status(404).json({ error: `conversation outcomes are off here: set ${variable} (and CONTEXT_TOKEN_SECRET) to enable them` });
}

/** Nothing of the body is logged: it holds a token, a credential until it expires. */
function refuse(log: Logger, res: Response, status: number, error: string, source: string): void {
  log.warn({ source, status, error }, 'conversation outcome refused');
  res.status(status).json({ error });
}

function parseJson(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    return undefined;
  }
}

/** "type: Invalid enum value..." : the first problem, naming its field. */
function fieldProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : `body: ${issue.message === 'Required' ? 'must be a JSON object' : issue.message}`;
}

function headersOf(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}
