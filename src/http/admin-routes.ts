import express, { type Router } from 'express';
import { z } from 'zod';
import type { MessageRecord, Store } from '../store/port';
import { requireAdminToken } from './admin-auth';
import { badRequestBody } from './validation';

const MessagesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.iso.datetime().optional().describe('only messages created before this time (for paging)'),
});

/** Admin JSON API: every route needs the bearer token. */
export function adminRoutes(store: Store, adminToken: string | undefined): Router {
  const router = express.Router();
  router.use(requireAdminToken(adminToken));

  router.get('/messages', async (req, res) => {
    const query = MessagesQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json(badRequestBody('query', query.error));
      return;
    }
    const messages = await store.listMessages(query.data);
    res.set('Cache-Control', 'no-store').json({ messages: messages.map(messageView) });
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'no such admin route' });
  });
  return router;
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
