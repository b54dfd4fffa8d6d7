import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { openRoute } from '../auth/roles';
import { CHANNEL_NAMES } from '../channels/channel';
import { maskNumber } from '../phone';
import type { CallRecord, Store } from '../store/port';

export interface ContextRouteDeps {
  store: Store;
  /** Verifies a link's context token: the call id it names, or undefined (src/context/token.ts). */
  tokens: { verify(token: string): Promise<string | undefined> } | undefined;
  /** Either bearer opens the API: the admin's, or the chat platform's own (CONTEXT_API_TOKEN). */
  adminToken: string | undefined;
  apiToken: string | undefined;
  log: Logger;
}

/** A compact JWS of a call id and an expiry is about 150 characters; anything far longer is not one. */
const MAX_TOKEN_LENGTH = 1_024;

/** The one answer for every token that does not open a context: which check failed is not said. */
const REFUSED = { error: 'invalid or expired context token' };

/**
 * GET /api/context/:token (README "Context for the agent"): the chat platform, given the
 * token from the link the caller opened, asks why the caller called. Bearer-authenticated
 * (ADMIN_TOKEN or CONTEXT_API_TOKEN); the token is verified (HS256 only, signature,
 * expiry) before the store is read. The answer is never cached and carries the caller's
 * number masked.
 */
export function contextRoutes(deps: ContextRouteDeps): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(requireAnyBearer([deps.adminToken, deps.apiToken]));
  // Its own credential (CONTEXT_API_TOKEN or ADMIN_TOKEN) and a signed context token: for agent desktops, not people.
  router.get('/:token', openRoute('its own bearer (CONTEXT_API_TOKEN) and a signed context token'), async (req, res, next) => {
    try {
      if (!deps.tokens) {
        res.status(503).json({ error: 'context tokens are disabled: set CONTEXT_TOKEN_SECRET to enable them' });
        return;
      }
      const token = req.params.token ?? '';
      const callId = token.length <= MAX_TOKEN_LENGTH ? await deps.tokens.verify(token) : undefined;
      if (!callId) {
        // Nothing of the token is logged: a genuine one is a credential until it expires.
        deps.log.warn('context token refused');
        res.status(401).json(REFUSED);
        return;
      }
      const call = await deps.store.getCall(callId);
      if (!call) {
        res.status(404).json({ error: 'the call of this token is no longer kept' });
        return;
      }
      // Newest first; a call has a text, its fallback and a resend or two at most: the last is the first text.
      const messages = await deps.store.listMessages({ limit: 20, callId });
      const first = messages[messages.length - 1];
      res.json(answerOf(call, first?.createdAt ?? null));
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/**
 * The answer to the chat platform, as the admin OpenAPI document describes it
 * (src/http/admin/openapi.ts); answerOf is typed by it, and the OpenAPI test sends a
 * real answer through Prism against it.
 */
export const ContextView = z.object({
  campaignId: z.string().nullable().describe('the campaign that answered the call; null for a number no campaign answers'),
  dnis: z.string().describe('the number the caller dialled'),
  ani: z.string().describe("the caller's number masked: a leading + and the last 4 digits kept, the rest starred; empty when the IVR passed none"),
  context: z.record(z.string(), z.string()).describe("the IVR's named context (ctx.*), only the names the campaign allows; {} when none"),
  variant: z.string().nullable().describe('the offer variant the caller heard; null without variants'),
  channel: z.enum(CHANNEL_NAMES).describe('the channel the caller was messaged on'),
  offeredAt: z.string().describe('when the call started (ISO 8601)'),
  acceptedAt: z.string().nullable().describe('when the caller accepted the offer; null if never'),
  textedAt: z.string().nullable().describe("when the call's first message was created; null if none"),
});

function answerOf(call: CallRecord, textedAt: string | null): z.infer<typeof ContextView> {
  return {
    campaignId: call.campaignId,
    dnis: call.dnis,
    ani: call.ani ? maskNumber(call.ani) : '',
    context: call.context ?? {},
    variant: call.variant,
    channel: call.channel ?? 'sms',
    offeredAt: call.createdAt,
    acceptedAt: call.acceptedAt,
    textedAt,
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * 401 unless the request carries one of the configured bearer tokens (compared as
 * fixed-length digests in constant time); 503 when none is configured: closed, not open.
 */
function requireAnyBearer(tokens: readonly (string | undefined)[]): RequestHandler {
  const expected = tokens.filter((t): t is string => Boolean(t)).map(digest);
  return (req, res, next) => {
    if (!expected.length) {
      res.status(503).json({ error: 'the context API is disabled: set CONTEXT_API_TOKEN or ADMIN_TOKEN to enable it' });
      return;
    }
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    const given = match?.[1] ? digest(match[1].trim()) : undefined;
    // Every token is compared, so the time taken does not say which one matched.
    const ok = expected.map((e) => (given ? timingSafeEqual(given, e) : false)).includes(true);
    if (!ok) {
      res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
      res.status(401).json({ error: 'missing or invalid bearer token in the Authorization header' });
      return;
    }
    next();
  };
}
