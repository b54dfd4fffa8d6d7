import { createHmac, timingSafeEqual } from 'node:crypto';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake in-house SMS gateway. It checks our request the way a real one should, with its
 * own HMAC code rather than ours (so a signing bug cannot agree with itself): signature
 * over "<timestamp>.<raw body>", timestamp within five minutes, JSON {id, to, body}.
 * A request that fails a check gets 401 or 400; a good one goes to the test's responder.
 */

export interface GatewayMessage {
  id: string;
  to: string;
  body: string;
}

export type GatewayResponder = (message: GatewayMessage, req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeWebhookGateway extends Omit<FakeServer, 'respond'> {
  /** Messages that passed every check, in order. */
  accepted: GatewayMessage[];
  respond(responder: GatewayResponder): void;
}

const TOLERANCE_SECONDS = 300;

export async function startFakeWebhookGateway(
  secret: string,
  responder: GatewayResponder = (m) => json(200, { id: `gw-${m.id}` }),
  now: () => Date = () => new Date(),
): Promise<FakeWebhookGateway> {
  let current = responder;
  const accepted: GatewayMessage[] = [];
  const server = await startFakeServer((req) => {
    const refusal = signatureRefusal(req, secret, now());
    if (refusal) return json(401, { error: refusal });
    const message = messageOf(req);
    if (!message) return json(400, { error: 'body must be JSON {id, to, body}' });
    accepted.push(message);
    return current(message, req);
  });
  return {
    ...server,
    accepted,
    respond: (r) => {
      current = r;
    },
  };
}

function signatureRefusal(req: RecordedRequest, secret: string, now: Date): string | undefined {
  const timestamp = header(req, 'x-signature-timestamp');
  const signature = header(req, 'x-signature');
  if (!timestamp || !signature) return 'unsigned';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return 'stale timestamp';
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'bad signature';
}

function messageOf(req: RecordedRequest): GatewayMessage | undefined {
  if (req.method !== 'POST' || !header(req, 'content-type')?.startsWith('application/json')) return undefined;
  try {
    const parsed: unknown = JSON.parse(req.body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id, to, body } = parsed as Record<string, unknown>;
    return typeof id === 'string' && typeof to === 'string' && typeof body === 'string' ? { id, to, body } : undefined;
  } catch {
    return undefined;
  }
}

function header(req: RecordedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
