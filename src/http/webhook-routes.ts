import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { classifyInboundText } from '../sms/opt-out';
import { e164Of } from '../sms/callback-parsing';
import type { DeliveryReceipt, InboundSms, SmsGateway, WebhookRequest, WebhookVerdict } from '../sms/port';
import type { OptOutVerdict, Store } from '../store/port';

/** A callback body larger than this is refused (413) unless its gateway allows more. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Vendor callbacks: delivery receipts (/webhooks/{gateway}/status) and inbound texts
 * (/webhooks/{gateway}/inbound). Each adapter verifies its vendor's signature or
 * credentials; a callback it cannot trust is refused and changes nothing.
 */
/**
 * How long an inbound text's vendor id is kept to recognise a replay of it. Twilio and
 * Plivo send no time with an inbound text, so their id is the only defence, and only
 * within this window: a START replayed later than this is taken as a new one.
 */
export const INBOUND_ID_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;

export function webhookRoutes(deps: {
  gateways: ReadonlyMap<string, SmsGateway>;
  store: Store;
  publicBaseUrl: string;
  log: Logger;
  now: () => Date;
}): Router {
  const { gateways, store, log, now } = deps;
  const router = express.Router();
  // Signatures cover the exact bytes, so the body is kept as text whatever its type; 64 kB
  // unless the gateway says its vendor batches more (Meta).
  const defaultParser = express.text({ type: () => true, limit: DEFAULT_MAX_BODY_BYTES });
  const parsers = new Map<string, RequestHandler>();
  for (const [name, gateway] of gateways) {
    const limit = gateway.callbackHandling?.maxBodyBytes;
    if (limit) parsers.set(name, express.text({ type: () => true, limit }));
  }
  router.use('/:gateway', (req, res, next) => (parsers.get(req.params.gateway as string) ?? defaultParser)(req, res, next));
  /** The success answer: 204 unless the vendor wants 200 (Meta). */
  const ok = (res: Response, name: string) => res.status(gateways.get(name)?.callbackHandling?.okStatus ?? 204).end();

  /**
   * Runs the gateway's parser for this kind of callback; answers 404 (no such callback)
   * or the parser's refusal itself, and returns undefined, when there is nothing to apply.
   */
  async function verified<T>(
    req: Request,
    res: Response,
    kind: 'receipt' | 'inbound',
  ): Promise<{ gateway: string; value: T } | undefined> {
    const name = req.params.gateway as string;
    const gateway = gateways.get(name);
    // A vendor checking the callback URL before it posts to it (Meta's hub.challenge).
    if (req.method === 'GET' && gateway?.verifySubscription) {
      const handshake = gateway.verifySubscription(toWebhookRequest(req, deps.publicBaseUrl));
      if (handshake.ok) res.status(200).type('text/plain').send(handshake.value);
      else {
        log.warn({ gateway: name, status: handshake.status, error: handshake.error }, 'subscription handshake refused');
        res.status(handshake.status).json({ error: handshake.error });
      }
      return undefined;
    }
    const parse = (kind === 'receipt' ? gateway?.parseReceipt : gateway?.parseInbound) as
      | ((req: WebhookRequest) => WebhookVerdict<T> | Promise<WebhookVerdict<T>>)
      | undefined;
    if (!gateway || !parse) {
      res.status(404).json({ error: `no ${kind === 'receipt' ? 'delivery receipts' : 'inbound texts'} for gateway "${name}"` });
      return undefined;
    }
    // Some verifications need a fetch first (Amazon SNS's signing certificate).
    const verdict = await parse.call(gateway, toWebhookRequest(req, deps.publicBaseUrl));
    if (!verdict.ok) {
      log.warn({ gateway: name, status: verdict.status, error: verdict.error }, `${kind} callback refused`);
      res.status(verdict.status).json({ error: verdict.error });
      return undefined;
    }
    return { gateway: name, value: verdict.value };
  }

  router.all('/:gateway/status', async (req, res) => {
    const receipts = await verified<DeliveryReceipt[]>(req, res, 'receipt');
    if (!receipts) return;
    const { gateway } = receipts;
    const at = now().toISOString();
    for (const receipt of receipts.value) {
      const applied = await store.applyReceipt(
        {
          gateway,
          vendorMessageId: receipt.vendorMessageId,
          status: receipt.status,
          vendorStatus: receipt.vendorStatus,
          ...(receipt.errorCode ? { errorCode: receipt.errorCode } : {}),
        },
        at,
      );
      // A vendor that reports the recipient opted out (a STOP it honoured) speaks for the
      // recipient: we stop messaging the number on that message's channel too, as if the
      // STOP had reached us (a WhatsApp block says nothing about texts). A failed or
      // undelivered receipt of a message with a fallback plan needs nothing more here:
      // the outbox's fallback sweep finds it at its next poll (dueFallbacks).
      if (receipt.optedOut && applied) {
        await store.suppress({
          number: applied.message.to,
          channel: applied.message.channel,
          keyword: receipt.errorCode ?? receipt.vendorStatus,
          source: gateway,
          createdAt: at,
        });
      }
      // One callback may carry receipts for several calls: each line names its own.
      log.info(
        {
          callId: applied?.message.callId,
          gateway,
          vendorMessageId: receipt.vendorMessageId,
          status: receipt.status,
          messageId: applied?.message.id,
          changed: applied?.changed ?? false,
        },
        applied ? 'delivery receipt' : 'delivery receipt for an unknown message',
      );
    }
    // One callback URL for receipts and texts (Meta): the texts in it are read too.
    if (gateways.get(gateway)?.inboundOnStatusUrl) return inboundRoute(req, res);
    ok(res, gateway);
  });

  router.all('/:gateway/inbound', inboundRoute);
  async function inboundRoute(req: Request, res: Response): Promise<void> {
    const inbound = await verified<InboundSms | undefined>(req, res, 'inbound');
    if (!inbound) return;
    const { gateway, value: sms } = inbound;
    if (!sms) {
      // A verified handshake (an SNS subscription confirmation): nothing to apply.
      ok(res, gateway);
      return;
    }
    const number = e164Of(sms.from.replace(/[^\d+]/g, ''));
    const keyword = classifyInboundText(sms.text);
    let verdict: OptOutVerdict | undefined;
    if (keyword === 'stop' || keyword === 'start') {
      const received = now();
      const receivedAt = received.toISOString();
      verdict = await store.applyOptOutChange({
        number,
        // The channel it came in on: a STOP sent on WhatsApp stops WhatsApp, not texts.
        channel: sms.channel ?? 'sms',
        change: keyword,
        keyword: sms.text.trim().toUpperCase().slice(0, 20),
        source: gateway,
        ...(sms.vendorMessageId ? { vendorMessageId: sms.vendorMessageId.slice(0, 100) } : {}),
        // A vendor's time ahead of ours (a skewed clock) must not outrank every later change.
        at: sms.sentAt && sms.sentAt < receivedAt ? sms.sentAt : receivedAt,
        receivedAt,
        forgetIdsBefore: new Date(received.getTime() - INBOUND_ID_RETENTION_MS).toISOString(),
      });
    }
    // A replay is answered like the original (2xx), so the vendor does not retry it.
    log.info({ gateway, keyword, channel: sms.channel ?? 'sms', ...(verdict ? { optOut: verdict } : {}) }, 'inbound text');
    ok(res, gateway);
  }

  return router;
}

function toWebhookRequest(req: Request, publicBaseUrl: string): WebhookRequest {
  const rawBody = typeof req.body === 'string' ? req.body : '';
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return {
    url: `${publicBaseUrl}${req.originalUrl}`,
    method: req.method,
    headers,
    rawBody,
    params: { ...(req.query as Record<string, unknown>), ...bodyParams(rawBody, headers['content-type']) },
  };
}

/** Form and JSON bodies as fields; anything else has none. */
function bodyParams(rawBody: string, contentType: string | undefined): Record<string, unknown> {
  if (!rawBody) return {};
  if (contentType?.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(rawBody);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(rawBody));
  return {};
}
