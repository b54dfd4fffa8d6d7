import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { maskNumber } from '../phone';
import type { ConsentRecord, MessageRecord, Store } from '../store/port';
import { requireAdminToken } from './admin-auth';
import { toCsv } from './csv';
import { badRequestBody } from './validation';

const MessagesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.iso.datetime().optional().describe('only messages created before this time (for paging)'),
});

const ConsentQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).describe('texts confirmed at or after this time'),
    to: z.iso.datetime({ offset: true }).describe('texts confirmed before this time'),
    campaign: z.string().min(1).max(63).optional(),
    format: z.enum(['json', 'csv']).default('json'),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
    reveal: z.enum(['true', 'false']).default('false').describe('show whole phone numbers (needs reason)'),
    reason: z.string().trim().min(3).max(200).optional().describe('why whole numbers are needed; logged'),
  })
  .refine((q) => q.reveal === 'false' || q.reason, { message: 'is required to reveal numbers', path: ['reason'] })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

const ServiceSwitchBody = z.strictObject({ enabled: z.boolean() });

/** Admin JSON API: every route needs the bearer token. */
export function adminRoutes(store: Store, adminToken: string | undefined, log: Logger, now: () => Date): Router {
  const router = express.Router();
  router.use(requireAdminToken(adminToken));
  router.use(express.json({ limit: '64kb' }));

  router.get('/messages', async (req, res) => {
    const query = MessagesQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json(badRequestBody('query', query.error));
      return;
    }
    const messages = await store.listMessages(query.data);
    res.set('Cache-Control', 'no-store').json({ messages: messages.map(messageView) });
  });

  // The global switch: off means no call is offered anything, from the next call on.
  router.get('/service', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await store.getServiceSwitch());
  });
  router.put('/service', async (req, res) => {
    const body = ServiceSwitchBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json(badRequestBody('body', body.error));
      return;
    }
    const result = await store.setServiceSwitch(body.data.enabled, 'admin-api', now().toISOString());
    log.warn({ enabled: result.enabled }, 'service switched by the admin API');
    res.json(result);
  });

  // Consent evidence: one row per text, masked unless a reason to see numbers is given.
  router.get('/consent', async (req, res) => {
    const query = ConsentQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json(badRequestBody('query', query.error));
      return;
    }
    const q = query.data;
    const reveal = q.reveal === 'true';
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

  router.use((_req, res) => {
    res.status(404).json({ error: 'no such admin route' });
  });
  return router;
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
} as const;

function consentView(r: ConsentRecord, reveal: boolean): Record<keyof typeof CONSENT_COLUMNS, string | null> {
  const number = (n: string): string => (reveal || !n ? n : maskNumber(n));
  return { ...r, ani: number(r.ani), destination: number(r.destination) };
}

function messageView(m: MessageRecord) {
  return {
    id: m.id,
    to: m.to,
    body: m.body,
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
