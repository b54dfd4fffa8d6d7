import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake WhatsApp Cloud API (POST /{version}/{phone-number-id}/messages) speaking Meta's
 * wire format, and webhooks signed the way Meta signs them. Built from Meta's published
 * documentation:
 * - send: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages and
 *   the official OpenAPI spec (github.com/facebook/openapi, business-messaging-api_v23.0.yaml,
 *   operation sendMessage): 200 `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`;
 * - errors: Graph API errors `{error: {message, type, code, error_data: {messaging_product,
 *   details}, fbtrace_id}}`, codes and titles from
 *   https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes;
 * - webhooks: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
 *   (status and text-message bodies), signed per
 *   https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 *   ("X-Hub-Signature-256: sha256=" + hex HMAC-SHA256 of the payload, keyed with the app secret).
 * Meta publishes no worked signature example, so signatures here are made with WebCrypto
 * (crypto.subtle), not the node:crypto HMAC the adapter uses.
 */

export const WA_TOKEN = 'EAAGfakeWhatsappAccessToken5ecret';
export const WA_PHONE_NUMBER_ID = '106540352242922';
export const WA_DISPLAY_NUMBER = '15550783881';
export const WA_APP_SECRET = 'fake-app-secret-0123456789abcdef';
export const WA_VERIFY_TOKEN = 'fake-verify-token-42';
export const WA_VERSION = 'v23.0';

export async function startFakeWhatsapp(responder: Responder = acceptWhatsappMessage): Promise<FakeServer> {
  let current = responder;
  const server = await startFakeServer((req) => {
    // Graph checks the token first: code 190, HTTP 401.
    if (req.headers.authorization !== `Bearer ${WA_TOKEN}`) {
      return whatsappError(401, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    }
    if (req.method !== 'POST' || req.path !== `/${WA_VERSION}/${WA_PHONE_NUMBER_ID}/messages`) {
      return whatsappError(400, 100, 'Unsupported post request.', 'GraphMethodException');
    }
    return current(req);
  });
  return {
    ...server,
    respond: (r) => {
      current = r;
    },
  };
}

/** A fresh wamid, in the shape Meta gives them. */
export function wamid(): string {
  return `wamid.${randomBytes(24).toString('base64')}`;
}

/** Meta's answer to a well-formed send, or the parameter error it documents (131008, 131009). */
export function acceptWhatsappMessage(req: RecordedRequest, id: string = wamid()): FakeReply {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(req.body) as Record<string, unknown>;
  } catch {
    return whatsappError(400, 100, '(#100) Invalid parameter', 'OAuthException');
  }
  if (message.messaging_product !== 'whatsapp' || typeof message.to !== 'string') {
    return whatsappError(400, 131008, '(#131008) Required parameter is missing', 'OAuthException', 'messaging_product and to are required');
  }
  if (message.type === 'template' && typeof (message.template as { name?: unknown } | undefined)?.name !== 'string') {
    return whatsappError(400, 131008, '(#131008) Required parameter is missing', 'OAuthException', 'template.name is required');
  }
  return json(200, {
    messaging_product: 'whatsapp',
    contacts: [{ input: message.to, wa_id: message.to.replace(/\D/g, '') }],
    messages: [{ id, ...(message.type === 'template' ? { message_status: 'accepted' } : {}) }],
  });
}

/** A Graph API error as the Cloud API sends it. */
export function whatsappError(status: number, code: number, message: string, type = 'OAuthException', details?: string, headers: Record<string, string> = {}): FakeReply {
  return json(
    status,
    {
      error: {
        message,
        type,
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: 'AbCdEfGhIjKlMnOp',
      },
    },
    headers,
  );
}

/** The webhook envelope: one entry, one change of the messages field, for our number. */
export function webhookBody(value: Record<string, unknown>, phoneNumberId = WA_PHONE_NUMBER_ID): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: { messaging_product: 'whatsapp', metadata: { display_phone_number: WA_DISPLAY_NUMBER, phone_number_id: phoneNumberId }, ...value },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

/** A status notification (sent, delivered, read, failed with errors[]). */
export function statusBody(id: string, status: string, recipient = '16505551234', errors?: { code: number; title: string }[]): string {
  return webhookBody({
    statuses: [
      {
        id,
        status,
        timestamp: '1750857384',
        recipient_id: recipient,
        ...(status === 'failed' && errors
          ? { errors: errors.map((e) => ({ ...e, message: e.title, error_data: { details: e.title } })) }
          : {
              conversation: { id: 'a75d17ad06104c51166f948319b03c6a', origin: { type: 'utility' } },
              pricing: { billable: true, pricing_model: 'PMP', category: 'utility' },
            }),
      },
    ],
  });
}

/** A text someone sent to our number. */
export function textBody(from: string, text: string, id: string = wamid(), timestamp = '1750857384'): string {
  return webhookBody({
    contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: from }],
    messages: [{ from, id, timestamp, type: 'text', text: { body: text } }],
  });
}

/** "sha256=" + hex HMAC-SHA256 of the raw body, with WebCrypto. */
export async function metaSignature(rawBody: string, secret: string = WA_APP_SECRET): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(rawBody)));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * A signed callback as the routes' tests post it, synchronously (node:crypto): for the
 * end-to-end tests. The signature itself is checked against the WebCrypto signer above in
 * test/sms/whatsapp-cloud.test.ts.
 */
export function signedWhatsappRequest(url: string, rawBody: string, secret: string = WA_APP_SECRET): WebhookRequest {
  const signature = `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    rawBody,
    params: JSON.parse(rawBody) as Record<string, unknown>,
  };
}
