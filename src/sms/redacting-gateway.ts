import type { GatewaySettings } from './gateway-config';
import { maskNumbersIn } from './numbers-in-text';
import type { SendOutcome, SentLookup, SmsGateway } from './port';
import { basicForms, secretForms, secretRedactor } from './secret-forms';

/**
 * A refused send's detail quotes the vendor's answer, and is logged, stored on the message
 * and shown in the admin API and console. A vendor or proxy that echoes our request back
 * in its error ("bad credentials: api_secret=...") would carry our credentials there, and
 * most vendors quote the number they refused. Adapters hand over the vendor's answer
 * whole; this takes out every credential in every form it travels in, masks every phone
 * number, and only then cuts the text to one short line, so no secret or number can
 * straddle the cut and leave its first part behind.
 */

/** How much of a cleaned refusal is kept: enough for support to read the vendor's words. */
export const MAX_DETAIL_LENGTH = 200;

/**
 * Every credential variable of each configured vendor: the secrets, and the account ids
 * and user names beside them (CLICKATELL_HTTP_API_ID, TWILIO_ACCOUNT_SID...), which are
 * half of a credential and tell an attacker which account to aim at.
 */
function credentialValues(g: GatewaySettings): { values: (string | undefined)[]; basic: [string, string | undefined][] } {
  return {
    values: [
      ...(g.twilio ? [g.twilio.accountSid, g.twilio.authToken] : []),
      ...(g.vonage ? [g.vonage.apiKey, g.vonage.apiSecret, g.vonage.signatureSecret] : []),
      ...(g.clickatell ? [g.clickatell.apiKey, g.clickatell.callbackUser, g.clickatell.callbackPassword] : []),
      ...(g['clickatell-http'] ? [g['clickatell-http'].user, g['clickatell-http'].password, g['clickatell-http'].apiId] : []),
      ...(g.voxeo ? [g.voxeo.botKey, g.voxeo.user, g.voxeo.password] : []),
      ...(g.plivo ? [g.plivo.authId, g.plivo.authToken] : []),
      // The public key is no secret, but the API key is the whole credential.
      ...(g.telnyx ? [g.telnyx.apiKey] : []),
      ...(g.webhook ? [g.webhook.secret] : []),
      ...(g.sinch ? [g.sinch.servicePlanId, g.sinch.apiToken, g.sinch.callbackSecret, g.sinch.callbackUser, g.sinch.callbackPassword] : []),
      ...(g.infobip ? [g.infobip.apiKey, g.infobip.callbackUser, g.infobip.callbackPassword] : []),
      ...(g.amazon ? [g.amazon.accessKeyId, g.amazon.secretAccessKey, g.amazon.sessionToken] : []),
      ...(g['whatsapp-cloud'] ? [g['whatsapp-cloud'].accessToken, g['whatsapp-cloud'].appSecret, g['whatsapp-cloud'].verifyToken, g['whatsapp-cloud'].phoneNumberId] : []),
      ...(g['vonage-messages'] ? [g['vonage-messages'].applicationId, g['vonage-messages'].privateKey, g['vonage-messages'].signatureSecret] : []),
      ...livePersonC2mCredentials(g['liveperson-c2m']),
    ],
    basic: [
      ...(g.twilio ? [[g.twilio.accountSid, g.twilio.authToken] as [string, string]] : []),
      ...(g.clickatell?.callbackUser ? [[g.clickatell.callbackUser, g.clickatell.callbackPassword] as [string, string | undefined]] : []),
      ...(g.voxeo ? [[g.voxeo.user, g.voxeo.password] as [string, string]] : []),
      ...(g.plivo ? [[g.plivo.authId, g.plivo.authToken] as [string, string]] : []),
      ...(g.sinch?.callbackUser ? [[g.sinch.callbackUser, g.sinch.callbackPassword] as [string, string | undefined]] : []),
      ...(g.infobip?.callbackUser ? [[g.infobip.callbackUser, g.infobip.callbackPassword] as [string, string | undefined]] : []),
    ],
  };
}

/** LivePerson C2M's credentials of the auth it uses (an AppJWT client, or an API key's four values), and the account. */
function livePersonC2mCredentials(c: GatewaySettings['liveperson-c2m']): string[] {
  if (!c) return [];
  return c.auth === 'app-jwt' ? [c.accountId, c.clientId, c.clientSecret] : [c.accountId, c.consumerKey, c.consumerSecret, c.accessToken, c.accessTokenSecret];
}

/** The forms of every credential the configured vendors are given. */
export function gatewaySecrets(g: GatewaySettings, otherSecrets: readonly string[] = []): string[] {
  const { values, basic } = credentialValues(g);
  return [
    ...[...values, ...otherSecrets].filter((v): v is string => Boolean(v)).flatMap(secretForms),
    ...basic.flatMap(([user, password]) => (password ? basicForms(user, password) : [])),
  ];
}

/** Whitespace collapsed to single spaces, cut to MAX_DETAIL_LENGTH. */
function oneShortLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_DETAIL_LENGTH ? `${line.slice(0, MAX_DETAIL_LENGTH)}…` : line;
}

/** The gateway, with its refusals' details free of credentials and numbers, and short. */
export function withSafeRefusalDetails(gateway: SmsGateway, secrets: readonly string[]): SmsGateway {
  const redact = secretRedactor(secrets);
  const clean = (outcome: SendOutcome, to: string): SendOutcome =>
    outcome.outcome === 'accepted' ? outcome : { ...outcome, detail: oneShortLine(maskNumbersIn(redact(outcome.detail), to)) };
  const cleanLookup = (lookup: SentLookup, to: string): SentLookup =>
    lookup.kind === 'unknown' ? { kind: 'unknown', detail: oneShortLine(maskNumbersIn(redact(lookup.detail), to)) } : lookup;
  const findSent = gateway.findSent?.bind(gateway);
  return {
    name: gateway.name,
    // Campaigns are checked against the channels a gateway carries: they must survive the wrapping.
    ...(gateway.channels ? { channels: gateway.channels } : {}),
    send: async (sms, signal) => clean(await gateway.send(sms, signal), sms.to),
    // The resend lookup's "could not tell" quotes the vendor too.
    ...(gateway.resendSafety ? { resendSafety: gateway.resendSafety } : {}),
    ...(findSent ? { findSent: async (sms, since, signal) => cleanLookup(await findSent(sms, since, signal), sms.to) } : {}),
    ...(gateway.parseReceipt ? { parseReceipt: gateway.parseReceipt.bind(gateway) } : {}),
    ...(gateway.parseInbound ? { parseInbound: gateway.parseInbound.bind(gateway) } : {}),
    ...(gateway.verifySubscription ? { verifySubscription: gateway.verifySubscription.bind(gateway) } : {}),
    ...(gateway.inboundOnStatusUrl ? { inboundOnStatusUrl: gateway.inboundOnStatusUrl } : {}),
    ...(gateway.callbackHandling ? { callbackHandling: gateway.callbackHandling } : {}),
  };
}
