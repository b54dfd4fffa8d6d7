import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

/**
 * Vendor credentials and endpoints, from the environment only. A vendor counts as
 * configured when any of its variables is set; then its required ones must all be.
 * Base URLs default to the vendor's public API and are overridable (regions, tests).
 */

export const GATEWAY_NAMES = ['sandbox', 'twilio', 'vonage', 'clickatell', 'clickatell-http', 'voxeo', 'plivo', 'telnyx', 'sinch', 'infobip', 'amazon', 'webhook', 'whatsapp-cloud', 'vonage-messages', 'liveperson-c2m'] as const;
export type GatewayName = (typeof GATEWAY_NAMES)[number];

/**
 * Gateways that cannot carry a text message at all, so can be neither SMS_GATEWAY nor
 * SMS_FALLBACK_GATEWAY: liveperson-c2m only asks LivePerson to send its own invite, and
 * whatsapp-cloud sends WhatsApp messages (a campaign's channels name them).
 */
export const NO_SMS_GATEWAYS: readonly GatewayName[] = ['liveperson-c2m', 'whatsapp-cloud'];

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** One of from / messagingServiceSid is set. */
  from?: string;
  messagingServiceSid?: string;
  /**
   * The WhatsApp sender (E.164, without the "whatsapp:" prefix): WhatsApp goes From
   * whatsapp:<it>. Unset: WhatsApp goes through messagingServiceSid (whose pool then needs a
   * WhatsApp sender); neither: the gateway does not carry WhatsApp.
   */
  whatsappFrom?: string;
  /**
   * A Messaging Service with an RCS sender and an SMS sender in its pool: RCS goes through
   * it, and Twilio itself falls back to SMS when the handset cannot take RCS. Unset: no RCS.
   */
  rcsMessagingServiceSid?: string;
  baseUrl: string;
}
export interface VonageSettings {
  apiKey: string;
  apiSecret: string;
  from: string;
  /** Verifies signed delivery receipts and inbound texts (Vonage "signature secret"). */
  signatureSecret?: string;
  /**
   * The signature method chosen in the Vonage dashboard: only it is accepted. Unset: any of
   * the five, each verified with the secret.
   */
  signatureMethod?: VonageSignatureMethod;
  baseUrl: string;
}

/**
 * Vonage's SMS API signature methods, as its dashboard and SDKs name them: "md5hash" is
 * md5(params + secret); the others are HMACs keyed with the secret.
 * https://developer.vonage.com/en/getting-started/concepts/signing-messages
 */
export const VONAGE_SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type VonageSignatureMethod = (typeof VONAGE_SIGNATURE_METHODS)[number];
/**
 * The Vonage Messages API (SMS, WhatsApp, RCS on one endpoint), authenticated by a JWT
 * signed with a Vonage application's private key. Its webhooks carry a JWT signed with
 * the account's signature secret.
 */
export interface VonageMessagesSettings {
  applicationId: string;
  /** PEM (PKCS#8 as the Vonage dashboard downloads it, or PKCS#1). */
  privateKey: string;
  /** Verifies the webhooks' HS256 JWTs: required, as webhooks are refused without it. */
  signatureSecret: string;
  /** The sender on each channel: a channel is carried only when its sender is set. */
  smsFrom?: string;
  whatsappFrom?: string;
  rcsFrom?: string;
  baseUrl: string;
}
export interface ClickatellSettings {
  apiKey: string;
  from?: string;
  /** HTTP Basic credentials Clickatell must present on its callbacks. */
  callbackUser?: string;
  callbackPassword?: string;
  baseUrl: string;
}
export interface ClickatellHttpSettings {
  user: string;
  password: string;
  apiId: string;
  from?: string;
  baseUrl: string;
}
export interface VoxeoSettings {
  botKey: string;
  user: string;
  password: string;
  from?: string;
  /** The messaging endpoint itself (ends in /1.0/messaging). */
  url: string;
}
export interface PlivoSettings {
  authId: string;
  authToken: string;
  from: string;
  baseUrl: string;
}
export interface TelnyxSettings {
  apiKey: string;
  /** At least one of from / messagingProfileId is set (an alphanumeric sender needs both). */
  from?: string;
  messagingProfileId?: string;
  /** The account's Ed25519 public key, base64 (32 bytes): verifies every webhook. */
  publicKey: string;
  baseUrl: string;
}
/** Sinch's regional SMS API hosts: https://{region}.sms.api.sinch.com. */
export const SINCH_REGIONS = ['us', 'eu', 'au', 'br', 'ca'] as const;
export interface SinchSettings {
  servicePlanId: string;
  apiToken: string;
  from: string;
  baseUrl: string;
  /**
   * How Sinch authenticates its callbacks (both set up by Sinch on request): the
   * service plan's HMAC secret (x-sinch-webhook-signature), and/or HTTP Basic.
   */
  callbackSecret?: string;
  callbackUser?: string;
  callbackPassword?: string;
}
export interface InfobipSettings {
  apiKey: string;
  /** Each account has its own (https://xxxxx.api.infobip.com): no default. */
  baseUrl: string;
  from?: string;
  /** HTTP Basic credentials Infobip's webhooks must present (Infobip does not sign SMS webhooks). */
  callbackUser?: string;
  callbackPassword?: string;
}
/**
 * AWS End User Messaging SMS (the pinpoint-sms-voice-v2 API). Credentials are the
 * standard AWS variables; without them the AWS SDK's default chain (instance or task
 * role, SSO profile...) is used. Delivery events and inbound texts arrive through SNS.
 */
export interface AmazonSettings {
  region: string;
  /** Phone number, pool, sender id (or their ARNs) the texts are sent from. */
  originationIdentity: string;
  /** The configuration set whose event destination (an SNS topic) carries the delivery events. */
  configurationSet?: string;
  /** Both or neither: without them the SDK's default credential chain is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Overrides the regional endpoint (https://sms-voice.{region}.amazonaws.com): tests, VPC endpoints. */
  endpoint?: string;
  /** SNS topics whose messages we accept (and whose subscriptions we confirm); none: every SNS message is refused. */
  snsTopicArns: string[];
  /**
   * Where SNS signing certificates and subscription-confirmation URLs are fetched from
   * instead of the sns.{region}.amazonaws.com host they name (tests, an egress proxy).
   * The URL in the message must still name an SNS host.
   */
  snsBaseUrl?: string;
}
/**
 * Meta's WhatsApp Cloud API (src/sms/whatsapp-cloud.ts): sends from one business phone
 * number; webhooks are verified with the app secret, the subscription handshake with the
 * verify token chosen in the app's dashboard.
 */
export interface WhatsappCloudSettings {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  /** https://graph.facebook.com unless told (tests, a proxy). */
  baseUrl: string;
  /** The Graph API version in the path: v23.0 unless told. */
  apiVersion: string;
}
/**
 * LivePerson Connect-to-Messaging (https://developers.liveperson.com/connect-to-messaging-api.html):
 * the eligibility call at the offer and the invite (this gateway's send). Auth is an AppJWT
 * (OAuth 2.0 client credentials from Sentinel) or an API key (OAuth 1.0 signed requests).
 */
export const LIVEPERSON_C2M_AUTH_TYPES = ['app-jwt', 'api-key'] as const;
export type LivePersonC2mSettings = {
  accountId: string;
  /** LivePerson's Domain API: names the C2M host (service connectToMessagingDomain) and Sentinel's. */
  domainApiUrl: string;
  /** Replaces the Domain API's answer for the C2M host (a proxy, a test server). */
  baseUrl?: string;
  /** Replaces the Domain API's answer for Sentinel (app-jwt only). */
  sentinelUrl?: string;
  /** The eligibility call's budget at the offer (the caller is waiting on the line). */
  timeoutMs: number;
} & (
  | { auth: 'app-jwt'; clientId: string; clientSecret: string }
  | { auth: 'api-key'; consumerKey: string; consumerSecret: string; accessToken: string; accessTokenSecret: string }
);

export interface WebhookSettings {
  url: string;
  /** Signs our requests and verifies the gateway's callbacks (HMAC-SHA256). */
  secret: string;
}

export interface GatewaySettings {
  twilio?: TwilioSettings;
  vonage?: VonageSettings;
  clickatell?: ClickatellSettings;
  'clickatell-http'?: ClickatellHttpSettings;
  voxeo?: VoxeoSettings;
  plivo?: PlivoSettings;
  telnyx?: TelnyxSettings;
  webhook?: WebhookSettings;
  sinch?: SinchSettings;
  infobip?: InfobipSettings;
  amazon?: AmazonSettings;
  'whatsapp-cloud'?: WhatsappCloudSettings;
  'vonage-messages'?: VonageMessagesSettings;
  'liveperson-c2m'?: LivePersonC2mSettings;
}

const text = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const url = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .refine((v) => /^https?:\/\/[^/]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
    .optional(),
);

/**
 * An Ed25519 public key as Telnyx's portal shows it: standard base64 of the raw 32 bytes
 * (44 characters, one "="). Checked at start-up: a truncated paste would otherwise refuse
 * every receipt and STOP at run time.
 */
const ed25519PublicKey = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v),
  z
    .string()
    .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v), 'must be the base64 Ed25519 public key (32 bytes) from Telnyx')
    .optional(),
);

/**
 * A PEM private key. An env file often holds it on one line with "\n" escapes: those are
 * turned back into newlines. Parsed at start-up, so a truncated paste stops the server
 * with one line naming the variable instead of failing every send.
 */
const pemOf = (v: string): string => v.replace(/\\n/g, '\n').trim();
const pemPrivateKey = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : pemOf(v)) : v),
  z
    .string()
    .refine((v) => {
      try {
        createPrivateKey(v);
        return true;
      } catch {
        return false;
      }
    }, 'must be a PEM private key (the one the Vonage dashboard downloads for the application)')
    .optional(),
);

/** Every vendor variable, merged into the server's environment schema. */
export const GatewayEnvShape = {
  TWILIO_ACCOUNT_SID: text,
  TWILIO_AUTH_TOKEN: text,
  TWILIO_FROM: text,
  TWILIO_MESSAGING_SERVICE_SID: text,
  TWILIO_WHATSAPP_FROM: text,
  TWILIO_RCS_MESSAGING_SERVICE_SID: text,
  TWILIO_BASE_URL: url,
  VONAGE_API_KEY: text,
  VONAGE_API_SECRET: text,
  VONAGE_FROM: text,
  VONAGE_SIGNATURE_SECRET: text,
  VONAGE_SIGNATURE_METHOD: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(VONAGE_SIGNATURE_METHODS, { message: `must be one of ${VONAGE_SIGNATURE_METHODS.join(', ')}` }).optional(),
  ),
  VONAGE_BASE_URL: url,
  VONAGE_MESSAGES_APPLICATION_ID: text,
  VONAGE_MESSAGES_PRIVATE_KEY: pemPrivateKey,
  VONAGE_MESSAGES_SIGNATURE_SECRET: text,
  VONAGE_MESSAGES_SMS_FROM: text,
  VONAGE_MESSAGES_WHATSAPP_FROM: text,
  VONAGE_MESSAGES_RCS_FROM: text,
  VONAGE_MESSAGES_BASE_URL: url,
  CLICKATELL_API_KEY: text,
  CLICKATELL_FROM: text,
  CLICKATELL_CALLBACK_USER: text,
  CLICKATELL_CALLBACK_PASSWORD: text,
  CLICKATELL_BASE_URL: url,
  CLICKATELL_HTTP_USER: text,
  CLICKATELL_HTTP_PASSWORD: text,
  CLICKATELL_HTTP_API_ID: text,
  CLICKATELL_HTTP_FROM: text,
  CLICKATELL_HTTP_BASE_URL: url,
  VOXEO_BOTKEY: text,
  VOXEO_USER: text,
  VOXEO_PASSWORD: text,
  VOXEO_FROM: text,
  VOXEO_URL: url,
  PLIVO_AUTH_ID: text,
  PLIVO_AUTH_TOKEN: text,
  PLIVO_FROM: text,
  PLIVO_BASE_URL: url,
  TELNYX_API_KEY: text,
  TELNYX_FROM: text,
  TELNYX_MESSAGING_PROFILE_ID: text,
  TELNYX_PUBLIC_KEY: ed25519PublicKey,
  TELNYX_BASE_URL: url,
  SMS_WEBHOOK_URL: url,
  SMS_WEBHOOK_SECRET: text,
  SINCH_SERVICE_PLAN_ID: text,
  SINCH_API_TOKEN: text,
  SINCH_FROM: text,
  SINCH_REGION: z.preprocess((v) => (v === '' ? undefined : v), z.enum(SINCH_REGIONS).optional()),
  SINCH_BASE_URL: url,
  SINCH_CALLBACK_SECRET: text,
  SINCH_CALLBACK_USER: text,
  SINCH_CALLBACK_PASSWORD: text,
  INFOBIP_API_KEY: text,
  INFOBIP_BASE_URL: url,
  INFOBIP_FROM: text,
  INFOBIP_CALLBACK_USER: text,
  INFOBIP_CALLBACK_PASSWORD: text,
  AMAZON_SMS_REGION: text,
  AMAZON_SMS_ORIGINATION_IDENTITY: text,
  AMAZON_SMS_CONFIGURATION_SET: text,
  AMAZON_SMS_ENDPOINT: url,
  AMAZON_SMS_SNS_TOPIC_ARNS: text,
  AMAZON_SMS_SNS_BASE_URL: url,
  WHATSAPP_ACCESS_TOKEN: text,
  // Digits only: it is a path segment of every request.
  WHATSAPP_PHONE_NUMBER_ID: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().regex(/^\d{1,30}$/, 'must be the phone number ID (digits) from WhatsApp Manager or the app dashboard').optional(),
  ),
  WHATSAPP_APP_SECRET: text,
  WHATSAPP_VERIFY_TOKEN: text,
  WHATSAPP_API_BASE_URL: url,
  WHATSAPP_API_VERSION: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().regex(/^v\d{1,3}\.\d{1,3}$/, 'must be a Graph API version such as v23.0').optional(),
  ),
  LIVEPERSON_C2M_ACCOUNT_ID: text,
  LIVEPERSON_C2M_AUTH: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(LIVEPERSON_C2M_AUTH_TYPES, { message: `must be one of ${LIVEPERSON_C2M_AUTH_TYPES.join(', ')}` }).optional(),
  ),
  LIVEPERSON_C2M_CLIENT_ID: text,
  LIVEPERSON_C2M_CLIENT_SECRET: text,
  LIVEPERSON_C2M_CONSUMER_KEY: text,
  LIVEPERSON_C2M_CONSUMER_SECRET: text,
  LIVEPERSON_C2M_ACCESS_TOKEN: text,
  LIVEPERSON_C2M_ACCESS_TOKEN_SECRET: text,
  LIVEPERSON_C2M_DOMAIN_API_URL: url,
  LIVEPERSON_C2M_BASE_URL: url,
  LIVEPERSON_C2M_SENTINEL_URL: url,
  LIVEPERSON_C2M_TIMEOUT_MS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .refine((v) => /^\d{3,5}$/.test(v) && Number(v) >= 100 && Number(v) <= 10000, 'must be a whole number of milliseconds from 100 to 10000')
      .optional(),
  ),
  // The standard AWS names, read only for the amazon gateway (they never make it "configured").
  AWS_REGION: text,
  AWS_ACCESS_KEY_ID: text,
  AWS_SECRET_ACCESS_KEY: text,
  AWS_SESSION_TOKEN: text,
};

type GatewayEnv = { [K in keyof typeof GatewayEnvShape]?: string };

const stripSlash = (u: string): string => u.replace(/\/+$/, '');

/** Each vendor's variables: required ones, then how to build its settings. */
const VENDORS: {
  [K in keyof GatewaySettings]-?: {
    prefix: string;
    required: (keyof GatewayEnv)[];
    build: (e: Required<GatewayEnv>) => NonNullable<GatewaySettings[K]>;
  };
} = {
  twilio: {
    prefix: 'TWILIO_',
    required: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
    build: (e) => ({
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      ...(e.TWILIO_FROM ? { from: e.TWILIO_FROM } : {}),
      ...(e.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID } : {}),
      // Written either way in Twilio's console: keep the number, add the prefix when sending.
      ...(e.TWILIO_WHATSAPP_FROM ? { whatsappFrom: e.TWILIO_WHATSAPP_FROM.replace(/^whatsapp:/i, '') } : {}),
      ...(e.TWILIO_RCS_MESSAGING_SERVICE_SID ? { rcsMessagingServiceSid: e.TWILIO_RCS_MESSAGING_SERVICE_SID } : {}),
      baseUrl: stripSlash(e.TWILIO_BASE_URL ?? 'https://api.twilio.com'),
    }),
  },
  vonage: {
    prefix: 'VONAGE_',
    required: ['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_FROM'],
    build: (e) => ({
      apiKey: e.VONAGE_API_KEY,
      apiSecret: e.VONAGE_API_SECRET,
      from: e.VONAGE_FROM,
      ...(e.VONAGE_SIGNATURE_SECRET ? { signatureSecret: e.VONAGE_SIGNATURE_SECRET } : {}),
      ...(e.VONAGE_SIGNATURE_METHOD ? { signatureMethod: e.VONAGE_SIGNATURE_METHOD as VonageSignatureMethod } : {}),
      baseUrl: stripSlash(e.VONAGE_BASE_URL ?? 'https://rest.nexmo.com'),
    }),
  },
  'vonage-messages': {
    prefix: 'VONAGE_MESSAGES_',
    required: ['VONAGE_MESSAGES_APPLICATION_ID', 'VONAGE_MESSAGES_PRIVATE_KEY', 'VONAGE_MESSAGES_SIGNATURE_SECRET'],
    build: (e) => ({
      applicationId: e.VONAGE_MESSAGES_APPLICATION_ID,
      privateKey: pemOf(e.VONAGE_MESSAGES_PRIVATE_KEY),
      signatureSecret: e.VONAGE_MESSAGES_SIGNATURE_SECRET,
      ...(e.VONAGE_MESSAGES_SMS_FROM ? { smsFrom: e.VONAGE_MESSAGES_SMS_FROM } : {}),
      ...(e.VONAGE_MESSAGES_WHATSAPP_FROM ? { whatsappFrom: e.VONAGE_MESSAGES_WHATSAPP_FROM } : {}),
      ...(e.VONAGE_MESSAGES_RCS_FROM ? { rcsFrom: e.VONAGE_MESSAGES_RCS_FROM } : {}),
      baseUrl: stripSlash(e.VONAGE_MESSAGES_BASE_URL ?? 'https://api.nexmo.com'),
    }),
  },
  clickatell: {
    prefix: 'CLICKATELL_',
    required: ['CLICKATELL_API_KEY'],
    build: (e) => ({
      apiKey: e.CLICKATELL_API_KEY,
      ...(e.CLICKATELL_FROM ? { from: e.CLICKATELL_FROM } : {}),
      ...(e.CLICKATELL_CALLBACK_USER ? { callbackUser: e.CLICKATELL_CALLBACK_USER } : {}),
      ...(e.CLICKATELL_CALLBACK_PASSWORD ? { callbackPassword: e.CLICKATELL_CALLBACK_PASSWORD } : {}),
      baseUrl: stripSlash(e.CLICKATELL_BASE_URL ?? 'https://platform.clickatell.com'),
    }),
  },
  'clickatell-http': {
    prefix: 'CLICKATELL_HTTP_',
    required: ['CLICKATELL_HTTP_USER', 'CLICKATELL_HTTP_PASSWORD', 'CLICKATELL_HTTP_API_ID'],
    build: (e) => ({
      user: e.CLICKATELL_HTTP_USER,
      password: e.CLICKATELL_HTTP_PASSWORD,
      apiId: e.CLICKATELL_HTTP_API_ID,
      ...(e.CLICKATELL_HTTP_FROM ? { from: e.CLICKATELL_HTTP_FROM } : {}),
      baseUrl: stripSlash(e.CLICKATELL_HTTP_BASE_URL ?? 'https://api.clickatell.com'),
    }),
  },
  voxeo: {
    prefix: 'VOXEO_',
    required: ['VOXEO_BOTKEY', 'VOXEO_USER', 'VOXEO_PASSWORD', 'VOXEO_URL'],
    build: (e) => ({
      botKey: e.VOXEO_BOTKEY,
      user: e.VOXEO_USER,
      password: e.VOXEO_PASSWORD,
      ...(e.VOXEO_FROM ? { from: e.VOXEO_FROM } : {}),
      url: e.VOXEO_URL,
    }),
  },
  plivo: {
    prefix: 'PLIVO_',
    required: ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN', 'PLIVO_FROM'],
    build: (e) => ({
      authId: e.PLIVO_AUTH_ID,
      authToken: e.PLIVO_AUTH_TOKEN,
      from: e.PLIVO_FROM,
      baseUrl: stripSlash(e.PLIVO_BASE_URL ?? 'https://api.plivo.com'),
    }),
  },
  telnyx: {
    prefix: 'TELNYX_',
    required: ['TELNYX_API_KEY', 'TELNYX_PUBLIC_KEY'],
    build: (e) => ({
      apiKey: e.TELNYX_API_KEY,
      ...(e.TELNYX_FROM ? { from: e.TELNYX_FROM } : {}),
      ...(e.TELNYX_MESSAGING_PROFILE_ID ? { messagingProfileId: e.TELNYX_MESSAGING_PROFILE_ID } : {}),
      publicKey: e.TELNYX_PUBLIC_KEY,
      baseUrl: stripSlash(e.TELNYX_BASE_URL ?? 'https://api.telnyx.com'),
    }),
  },
  webhook: {
    prefix: 'SMS_WEBHOOK_',
    required: ['SMS_WEBHOOK_URL', 'SMS_WEBHOOK_SECRET'],
    build: (e) => ({ url: e.SMS_WEBHOOK_URL, secret: e.SMS_WEBHOOK_SECRET }),
  },
  sinch: {
    prefix: 'SINCH_',
    required: ['SINCH_SERVICE_PLAN_ID', 'SINCH_API_TOKEN', 'SINCH_FROM'],
    build: (e) => ({
      servicePlanId: e.SINCH_SERVICE_PLAN_ID,
      apiToken: e.SINCH_API_TOKEN,
      from: e.SINCH_FROM,
      // SINCH_BASE_URL wins over the region (a proxy, a test server).
      baseUrl: stripSlash(e.SINCH_BASE_URL ?? `https://${e.SINCH_REGION ?? 'us'}.sms.api.sinch.com`),
      ...(e.SINCH_CALLBACK_SECRET ? { callbackSecret: e.SINCH_CALLBACK_SECRET } : {}),
      ...(e.SINCH_CALLBACK_USER ? { callbackUser: e.SINCH_CALLBACK_USER } : {}),
      ...(e.SINCH_CALLBACK_PASSWORD ? { callbackPassword: e.SINCH_CALLBACK_PASSWORD } : {}),
    }),
  },
  infobip: {
    prefix: 'INFOBIP_',
    required: ['INFOBIP_API_KEY', 'INFOBIP_BASE_URL'],
    build: (e) => ({
      apiKey: e.INFOBIP_API_KEY,
      baseUrl: stripSlash(e.INFOBIP_BASE_URL),
      ...(e.INFOBIP_FROM ? { from: e.INFOBIP_FROM } : {}),
      ...(e.INFOBIP_CALLBACK_USER ? { callbackUser: e.INFOBIP_CALLBACK_USER } : {}),
      ...(e.INFOBIP_CALLBACK_PASSWORD ? { callbackPassword: e.INFOBIP_CALLBACK_PASSWORD } : {}),
    }),
  },
  amazon: {
    prefix: 'AMAZON_SMS_',
    required: ['AMAZON_SMS_ORIGINATION_IDENTITY'],
    build: (e) => ({
      region: (e.AMAZON_SMS_REGION ?? e.AWS_REGION) as string,
      originationIdentity: e.AMAZON_SMS_ORIGINATION_IDENTITY,
      ...(e.AMAZON_SMS_CONFIGURATION_SET ? { configurationSet: e.AMAZON_SMS_CONFIGURATION_SET } : {}),
      ...(e.AWS_ACCESS_KEY_ID ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY } : {}),
      ...(e.AWS_ACCESS_KEY_ID && e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
      ...(e.AMAZON_SMS_ENDPOINT ? { endpoint: stripSlash(e.AMAZON_SMS_ENDPOINT) } : {}),
      snsTopicArns: (e.AMAZON_SMS_SNS_TOPIC_ARNS ?? '').split(',').map((arn) => arn.trim()).filter(Boolean),
      ...(e.AMAZON_SMS_SNS_BASE_URL ? { snsBaseUrl: stripSlash(e.AMAZON_SMS_SNS_BASE_URL) } : {}),
    }),
  },
  'whatsapp-cloud': {
    prefix: 'WHATSAPP_',
    required: ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'],
    build: (e) => ({
      accessToken: e.WHATSAPP_ACCESS_TOKEN,
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID,
      // Without it no webhook can be trusted: no receipt, no STOP. So it is required.
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
      baseUrl: stripSlash(e.WHATSAPP_API_BASE_URL ?? 'https://graph.facebook.com'),
      apiVersion: e.WHATSAPP_API_VERSION ?? 'v23.0',
    }),
  },
  'liveperson-c2m': {
    prefix: 'LIVEPERSON_C2M_',
    required: ['LIVEPERSON_C2M_ACCOUNT_ID'],
    build: (e) => {
      const common = {
        accountId: e.LIVEPERSON_C2M_ACCOUNT_ID,
        domainApiUrl: stripSlash(e.LIVEPERSON_C2M_DOMAIN_API_URL ?? 'https://api.liveperson.net'),
        ...(e.LIVEPERSON_C2M_BASE_URL ? { baseUrl: stripSlash(e.LIVEPERSON_C2M_BASE_URL) } : {}),
        ...(e.LIVEPERSON_C2M_SENTINEL_URL ? { sentinelUrl: stripSlash(e.LIVEPERSON_C2M_SENTINEL_URL) } : {}),
        timeoutMs: Number(e.LIVEPERSON_C2M_TIMEOUT_MS ?? 1500),
      };
      return e.LIVEPERSON_C2M_AUTH === 'api-key'
        ? {
            ...common,
            auth: 'api-key' as const,
            consumerKey: e.LIVEPERSON_C2M_CONSUMER_KEY,
            consumerSecret: e.LIVEPERSON_C2M_CONSUMER_SECRET,
            accessToken: e.LIVEPERSON_C2M_ACCESS_TOKEN,
            accessTokenSecret: e.LIVEPERSON_C2M_ACCESS_TOKEN_SECRET,
          }
        : { ...common, auth: 'app-jwt' as const, clientId: e.LIVEPERSON_C2M_CLIENT_ID, clientSecret: e.LIVEPERSON_C2M_CLIENT_SECRET };
    },
  },
};

/**
 * Builds the settings of every vendor that has variables set. Returns the problems
 * (one per missing variable) instead of throwing, so config.ts reports them all at once.
 */
export function gatewaySettingsFrom(env: GatewayEnv): { settings: GatewaySettings; problems: string[] } {
  const settings: GatewaySettings = {};
  const problems: string[] = [];
  for (const [name, vendor] of Object.entries(VENDORS) as [keyof GatewaySettings, (typeof VENDORS)[keyof GatewaySettings]][]) {
    // CLICKATELL_HTTP_* variables also start with CLICKATELL_, VONAGE_MESSAGES_* with
    // VONAGE_: keep each pair apart.
    const mine = (Object.keys(GatewayEnvShape) as (keyof GatewayEnv)[]).filter(
      (k) =>
        k.startsWith(vendor.prefix) &&
        !(name === 'clickatell' && k.startsWith('CLICKATELL_HTTP_')) &&
        !(name === 'vonage' && k.startsWith('VONAGE_MESSAGES_')),
    );
    if (!mine.some((k) => env[k] !== undefined)) continue;
    const missing = vendor.required
      .filter((k) => env[k] === undefined)
      .map((k) => `${k}: is required when ${name} is configured`);
    if (name === 'twilio' && env.TWILIO_FROM === undefined && env.TWILIO_MESSAGING_SERVICE_SID === undefined) {
      missing.push('TWILIO_FROM: set it or TWILIO_MESSAGING_SERVICE_SID when twilio is configured');
    }
    if (name === 'telnyx' && env.TELNYX_FROM === undefined && env.TELNYX_MESSAGING_PROFILE_ID === undefined) {
      missing.push('TELNYX_FROM: set it or TELNYX_MESSAGING_PROFILE_ID when telnyx is configured');
    }
    if (name === 'amazon') missing.push(...amazonProblems(env));
    if (name === 'vonage-messages' && !env.VONAGE_MESSAGES_SMS_FROM && !env.VONAGE_MESSAGES_WHATSAPP_FROM && !env.VONAGE_MESSAGES_RCS_FROM) {
      missing.push('VONAGE_MESSAGES_SMS_FROM: set it, VONAGE_MESSAGES_WHATSAPP_FROM or VONAGE_MESSAGES_RCS_FROM when vonage-messages is configured');
    }
    if (name === 'liveperson-c2m') missing.push(...livePersonC2mProblems(env));
    if (missing.length) {
      problems.push(...missing);
      continue;
    }
    (settings as Record<string, unknown>)[name] = vendor.build(env as Required<GatewayEnv>);
  }
  return { settings, problems };
}

/** The amazon gateway's rules beyond "required": a region from either name, and a whole key pair. */
function amazonProblems(env: GatewayEnv): string[] {
  const problems: string[] = [];
  if (env.AMAZON_SMS_REGION === undefined && env.AWS_REGION === undefined) {
    problems.push('AMAZON_SMS_REGION: set it (or AWS_REGION) when amazon is configured');
  } else if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(env.AMAZON_SMS_REGION ?? env.AWS_REGION ?? '')) {
    problems.push(`${env.AMAZON_SMS_REGION !== undefined ? 'AMAZON_SMS_REGION' : 'AWS_REGION'}: is not an AWS region name (us-east-1, eu-west-2...)`);
  }
  if ((env.AWS_ACCESS_KEY_ID === undefined) !== (env.AWS_SECRET_ACCESS_KEY === undefined)) {
    problems.push(`${env.AWS_ACCESS_KEY_ID === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (the AWS SDK's default credentials)`);
  }
  const arns = (env.AMAZON_SMS_SNS_TOPIC_ARNS ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const bad = arns.find((arn) => !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(arn));
  if (bad !== undefined) problems.push('AMAZON_SMS_SNS_TOPIC_ARNS: each entry must be an SNS topic ARN (arn:aws:sns:{region}:{account}:{topic})');
  return problems;
}

/** The credentials the chosen auth needs (LIVEPERSON_C2M_AUTH, app-jwt by default: LivePerson retires API keys). */
function livePersonC2mProblems(env: GatewayEnv): string[] {
  const needed: (keyof GatewayEnv)[] =
    env.LIVEPERSON_C2M_AUTH === 'api-key'
      ? ['LIVEPERSON_C2M_CONSUMER_KEY', 'LIVEPERSON_C2M_CONSUMER_SECRET', 'LIVEPERSON_C2M_ACCESS_TOKEN', 'LIVEPERSON_C2M_ACCESS_TOKEN_SECRET']
      : ['LIVEPERSON_C2M_CLIENT_ID', 'LIVEPERSON_C2M_CLIENT_SECRET'];
  return needed
    .filter((k) => env[k] === undefined)
    .map((k) => `${k}: is required when liveperson-c2m uses ${env.LIVEPERSON_C2M_AUTH ?? 'app-jwt'} auth`);
}
