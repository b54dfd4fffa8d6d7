import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { actorOf } from '../../audit/actor';
import { maskValue } from '../../audit/diff';
import { AuditUnavailable, type AuditTrail } from '../../audit/trail';
import { maskNumber } from '../../phone';
import type { CallEvent, CallRecord, ConsentRecord, MessageRecord, Store } from '../../store/port';
import { toCsv } from '../csv';
import { parseOr400 } from '../validation';
import { ConsentQuery, EventsQuery, MessagesQuery } from './schemas';
import { hasRole, refuseRole, requireRole } from '../../auth/roles';

/**
 * What happened: texts, consent evidence, call events. Phone numbers are masked unless
 * the client asks for whole ones with a reason, and that request is recorded in the audit
 * trail first (who may see a caller's number is an audit question): when it cannot be
 * recorded, the whole numbers are not shown (503).
 */
export function recordRoutes(store: Store, log: Logger, audit: AuditTrail): Router {
  const router = express.Router();

  /** Records a reveal; false (and a 503 sent) when the audit trail cannot take it. */
  const auditReveal = async (req: express.Request, res: express.Response, what: string, reason: string | undefined, query: Record<string, unknown>): Promise<boolean> => {
    const { reveal: _r, reason: _why, ...filters } = query;
    try {
      await audit.recordOrRefuse(actorOf(req), `reveal.${what}`, what, { reason, filters: maskValue(filters) });
      return true;
    } catch (err) {
      if (!(err instanceof AuditUnavailable)) throw err;
      res.status(503).set('Retry-After', '5').json({ error: err.message });
      return false;
    }
  };

  router.get('/messages', requireRole('viewer'), async (req, res) => {
    const q = parseOr400(MessagesQuery, req.query, 'query', res);
    if (!q) return;
    const reveal = q.reveal === 'true';
    // Whole numbers are the admin's: a viewer's token lists the masked ones only.
    if (reveal && !hasRole(res, 'admin')) return refuseRole(res, 'admin');
    if (reveal && !(await auditReveal(req, res, 'messages', q.reason, q))) return;
    if (reveal) log.warn({ reason: q.reason, by: 'admin-api' }, 'messages listed with whole numbers');
    const messages = await store.listMessages({
      limit: q.limit,
      ...(q.before ? { before: new Date(q.before).toISOString() } : {}),
      ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.campaign ? { campaignId: q.campaign } : {}),
      ...(q.callId ? { callId: q.callId } : {}),
      ...(q.number ? { number: q.number } : {}),
    });
    res.set('Cache-Control', 'no-store').json({ messages: messages.map((m) => messageView(m, reveal)), revealed: reveal });
  });

  router.get('/consent', requireRole('viewer'), async (req, res) => {
    const q = parseOr400(ConsentQuery, req.query, 'query', res);
    if (!q) return;
    const reveal = q.reveal === 'true';
    if (reveal && !hasRole(res, 'admin')) return refuseRole(res, 'admin');
    if (reveal && !(await auditReveal(req, res, 'consent', q.reason, q))) return;
    if (reveal) log.warn({ reason: q.reason, from: q.from, to: q.to, campaign: q.campaign }, 'consent export with whole numbers');
    const records = await store.listConsent({
      from: new Date(q.from).toISOString(),
      to: new Date(q.to).toISOString(),
      limit: q.limit,
      ...(q.campaign ? { campaignId: q.campaign } : {}),
    });
    const rows = records.map((r) => consentView(r, reveal));
    res.set('Cache-Control', 'no-store');
    if (q.format === 'csv') {
      const header = Object.keys(CONSENT_COLUMNS) as (keyof typeof CONSENT_COLUMNS)[];
      res
        .type('text/csv; charset=utf-8')
        .attachment(`consent-${q.from.slice(0, 10)}-${q.to.slice(0, 10)}.csv`)
        .send(toCsv(header.map((h) => CONSENT_COLUMNS[h]), rows.map((r) => header.map((h) => r[h]))));
      return;
    }
    res.json({ consent: rows });
  });

  router.get('/events', requireRole('viewer'), async (req, res) => {
    const q = parseOr400(EventsQuery, req.query, 'query', res);
    if (!q) return;
    const events = await store.searchEvents({
      from: new Date(q.from).toISOString(),
      to: new Date(q.to).toISOString(),
      limit: q.limit,
      ...(q.type ? { type: q.type } : {}),
      ...(q.campaign ? { campaignId: q.campaign } : {}),
      ...(q.afterId !== undefined ? { afterId: q.afterId } : {}),
    });
    const last = events.at(-1);
    res.set('Cache-Control', 'no-store').json({
      events: events.map(eventView),
      nextAfterId: events.length === q.limit && last ? last.id : null,
    });
  });

  // One call, start to end: what the IVR sent, which state it reached, every event.
  router.get('/calls/:id', requireRole('viewer'), async (req, res) => {
    const call = await store.getCall(req.params.id);
    if (!call) {
      res.status(404).json({ error: 'no call with this id' });
      return;
    }
    const events = await store.listEvents(call.id);
    res.set('Cache-Control', 'no-store').json({ call: callView(call), events: events.map(eventView) });
  });

  return router;
}

const masked = (n: string | null, reveal = false): string | null => (reveal || !n ? n : maskNumber(n));

function messageView(m: MessageRecord, reveal: boolean) {
  return {
    id: m.id,
    to: masked(m.to, reveal) as string,
    body: m.body,
    channel: m.channel,
    fallbackOf: m.fallbackOf,
    status: m.status,
    campaignId: m.campaignId,
    callId: m.callId,
    gateway: m.gateway,
    fallbackGateway: m.fallbackGateway,
    sentVia: m.sentVia,
    vendorMessageId: m.vendorMessageId,
    vendorStatus: m.vendorStatus,
    segments: m.segments,
    encoding: m.encoding,
    attempts: m.attempts,
    nextAttemptAt: m.status === 'queued' ? m.nextAttemptAt : null,
    error: m.errorCode ? { code: m.errorCode, detail: m.errorDetail } : null,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** Column titles of the consent CSV, in order. */
const CONSENT_COLUMNS = {
  messageId: 'message_id',
  callId: 'call_id',
  campaignId: 'campaign_id',
  variant: 'variant',
  dnis: 'dnis',
  ani: 'ani',
  destination: 'destination',
  destinationSource: 'destination_source',
  acceptKey: 'accept_key',
  confirmKey: 'confirm_key',
  offerVersion: 'offer_version',
  offerText: 'offer_text',
  offeredAt: 'offered_at',
  acceptedAt: 'accepted_at',
  confirmedAt: 'confirmed_at',
  channel: 'channel',
  channelConsentText: 'channel_consent_text',
} as const;

function consentView(r: ConsentRecord, reveal: boolean): Record<keyof typeof CONSENT_COLUMNS, string | null> {
  return { ...r, ani: masked(r.ani, reveal), destination: masked(r.destination, reveal) };
}

// Event details never hold whole numbers (the call flow masks them when it records them).
function eventView(e: CallEvent) {
  return { id: e.id, callId: e.callId, campaignId: e.campaignId, type: e.type, ...(e.detail ? { detail: e.detail } : {}), createdAt: e.createdAt };
}

function callView(c: CallRecord) {
  return {
    id: c.id,
    campaignId: c.campaignId,
    mode: c.mode,
    dnis: c.dnis,
    ani: masked(c.ani) as string,
    platformCallId: c.platformCallId,
    state: c.state,
    destination: masked(c.destination),
    destinationSource: c.destinationSource,
    variant: c.variant,
    createdAt: c.createdAt,
  };
}
