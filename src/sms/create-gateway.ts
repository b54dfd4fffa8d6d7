import type { Config } from '../config';
import { C2mClient } from '../channels/c2m-client';
import { LivePersonC2mGateway } from '../channels/c2m-gateway';
import { AmazonGateway } from './amazon';
import { ClickatellGateway } from './clickatell';
import { ClickatellHttpGateway } from './clickatell-http';
import type { GatewayName } from './gateway-config';
import { InfobipGateway } from './infobip';
import { PlivoGateway } from './plivo';
import type { SmsGateway } from './port';
import { gatewaySecrets, withSafeRefusalDetails } from './redacting-gateway';
import { SandboxGateway } from './sandbox';
import { TelnyxGateway } from './telnyx';
import { SinchGateway } from './sinch';
import { TwilioGateway } from './twilio';
import { VonageGateway } from './vonage';
import { VonageMessagesGateway } from './vonage-messages';
import { VoxeoGateway } from './voxeo';
import { WebhookGateway } from './webhook';
import { WhatsappCloudGateway } from './whatsapp-cloud';

/**
 * Where a vendor posts delivery receipts, for adapters that name it on each message
 * (inbound texts go to /webhooks/{name}/inbound, set once in the vendor's console).
 */
function statusCallback(publicBaseUrl: string, name: GatewayName): { statusUrl: string } {
  return { statusUrl: `${publicBaseUrl}/webhooks/${name}/status` };
}

/**
 * Builds an adapter for every gateway the environment configures, by name. The sandbox
 * is always there: it costs nothing and testers rely on it. No vendor's refusal carries
 * a credential or a whole phone number into logs or pages (redacting-gateway.ts).
 */
export function createGateways(
  config: Pick<Config, 'gateways' | 'sandboxFailNumbers' | 'publicBaseUrl'> & Partial<Pick<Config, 'sandboxNotOnChannelNumbers' | 'conversations' | 'console' | 'data'>>,
): Map<GatewayName, SmsGateway> {
  const { gateways: g, publicBaseUrl } = config;
  const built = new Map<GatewayName, SmsGateway>([['sandbox', new SandboxGateway(config.sandboxFailNumbers, config.sandboxNotOnChannelNumbers)]]);
  if (g.twilio) built.set('twilio', new TwilioGateway(g.twilio, statusCallback(publicBaseUrl, 'twilio')));
  if (g.vonage) built.set('vonage', new VonageGateway(g.vonage, statusCallback(publicBaseUrl, 'vonage')));
  if (g.clickatell) built.set('clickatell', new ClickatellGateway(g.clickatell));
  if (g['clickatell-http']) built.set('clickatell-http', new ClickatellHttpGateway(g['clickatell-http']));
  if (g.voxeo) built.set('voxeo', new VoxeoGateway(g.voxeo));
  if (g.plivo) built.set('plivo', new PlivoGateway(g.plivo, statusCallback(publicBaseUrl, 'plivo')));
  if (g.telnyx) built.set('telnyx', new TelnyxGateway(g.telnyx, statusCallback(publicBaseUrl, 'telnyx')));
  if (g.webhook) built.set('webhook', new WebhookGateway(g.webhook));
  if (g.sinch) built.set('sinch', new SinchGateway(g.sinch, statusCallback(publicBaseUrl, 'sinch')));
  if (g.infobip) built.set('infobip', new InfobipGateway(g.infobip));
  if (g.amazon) built.set('amazon', new AmazonGateway(g.amazon));
  if (g['whatsapp-cloud']) built.set('whatsapp-cloud', new WhatsappCloudGateway(g['whatsapp-cloud']));
  // Its status and inbound webhook URLs are set once on the Vonage application.
  if (g['vonage-messages']) built.set('vonage-messages', new VonageMessagesGateway(g['vonage-messages']));
  if (g['liveperson-c2m']) built.set('liveperson-c2m', new LivePersonC2mGateway(new C2mClient(g['liveperson-c2m'])));
  // The conversation outcome secrets too: no vendor should ever echo them, but if one did.
  const c = config.conversations;
  // And the console's OpenID client secret, which no vendor has any business quoting either,
  // and erasure's key, which keys what the opt-out list keeps of an erased number.
  const oidcSecret = config.console?.oidc ? [config.console.oidc.clientSecret] : [];
  const erasureKey = config.data?.erasureKey ? [config.data.erasureKey] : [];
  const secrets = gatewaySecrets(g, [...(c ? [...c.webhookSecrets, ...c.livePersonSecrets] : []), ...oidcSecret, ...erasureKey]);
  for (const [name, gateway] of built) built.set(name, withSafeRefusalDetails(gateway, secrets));
  return built;
}
