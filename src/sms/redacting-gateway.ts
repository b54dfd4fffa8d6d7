import { redact } from '../availability/secrets';
import type { GatewaySettings } from './gateway-config';
import type { SendOutcome, SmsGateway } from './port';

/**
 * A refused send's detail quotes the vendor's answer, and is logged, stored on the message
 * and shown in the admin API and console. A vendor or proxy that echoes our request back
 * in its error ("bad credentials: api_secret=...") would carry our credentials there; this
 * takes every one of them out first, as they were sent: raw, URL-encoded, or as HTTP Basic.
 */

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

/** The credentials each configured vendor is given, in every form they travel in. */
export function gatewaySecrets(g: GatewaySettings): string[] {
  const values = [
    ...(g.twilio ? [g.twilio.authToken, basic(g.twilio.accountSid, g.twilio.authToken)] : []),
    ...(g.vonage ? [g.vonage.apiSecret, g.vonage.signatureSecret] : []),
    ...(g.clickatell ? [g.clickatell.apiKey, g.clickatell.callbackPassword] : []),
    ...(g['clickatell-http'] ? [g['clickatell-http'].password] : []),
    ...(g.voxeo ? [g.voxeo.botKey, g.voxeo.password, basic(g.voxeo.user, g.voxeo.password)] : []),
    ...(g.plivo ? [g.plivo.authToken, basic(g.plivo.authId, g.plivo.authToken)] : []),
    ...(g.webhook ? [g.webhook.secret] : []),
  ].filter((v): v is string => Boolean(v));
  return [...new Set(values.flatMap((v) => [v, encodeURIComponent(v)]))];
}

/** The gateway, with every secret taken out of the details of its refusals. */
export function withSecretsRedacted(gateway: SmsGateway, secrets: readonly string[]): SmsGateway {
  const clean = (outcome: SendOutcome): SendOutcome =>
    outcome.outcome === 'accepted' ? outcome : { ...outcome, detail: redact(outcome.detail, secrets) };
  return {
    name: gateway.name,
    send: async (sms, signal) => clean(await gateway.send(sms, signal)),
    ...(gateway.parseReceipt ? { parseReceipt: gateway.parseReceipt.bind(gateway) } : {}),
    ...(gateway.parseInbound ? { parseInbound: gateway.parseInbound.bind(gateway) } : {}),
  };
}
