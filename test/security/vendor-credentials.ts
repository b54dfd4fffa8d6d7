import { generateKeyPairSync } from 'node:crypto';
import type { GatewayName } from '../../src/sms/gateway-config';

/** A real RSA key (the start-up check parses it), made per run: no key lives in the repository. */
const VONAGE_APPLICATION_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * Every vendor credential variable, set to values with the characters the encodings
 * disagree on, and the encodings a vendor or proxy can echo them back in: shared by the
 * gateway-level and the whole-server tests of vendor refusals.
 */

/** Values with the characters the encodings disagree on: space, !'()*~, +/=, quotes, non-ASCII. */
export const ENV: Record<string, string> = {
  TWILIO_ACCOUNT_SID: 'AC5ecretTwilioSid0001',
  TWILIO_AUTH_TOKEN: "tw!lio (auth) to~ken*'02",
  TWILIO_FROM: '+16175550000',
  VONAGE_API_KEY: 'vonage-key-5ecret-03',
  VONAGE_API_SECRET: 'von age/secret+é=04',
  VONAGE_FROM: 'Acme',
  VONAGE_SIGNATURE_SECRET: 'vonage "sig" <secret> & 05',
  CLICKATELL_API_KEY: 'clickatell+key/06==',
  CLICKATELL_CALLBACK_USER: 'cb-user-5ecret-07',
  CLICKATELL_CALLBACK_PASSWORD: 'cb pass (08)!',
  CLICKATELL_HTTP_USER: 'http-user-5ecret-09',
  CLICKATELL_HTTP_PASSWORD: 'http pass~word!10',
  CLICKATELL_HTTP_API_ID: '3141592611',
  VOXEO_BOTKEY: 'voxeo botkey*12',
  VOXEO_USER: 'voxeo-user-5ecret-13',
  VOXEO_PASSWORD: 'voxeo(pass)word 14',
  PLIVO_AUTH_ID: 'MA5ecretPlivoAuthId15',
  PLIVO_AUTH_TOKEN: "plivo token'16ü",
  PLIVO_FROM: '+16175550000',
  SMS_WEBHOOK_SECRET: 'webhook/secret+17 ~',
  TELNYX_API_KEY: 'KEY5ecretTelnyx+/=18_ü',
  TELNYX_FROM: '+16175550000',
  // A public key (not secret), in the form the start-up check wants.
  TELNYX_PUBLIC_KEY: 'jD+ywCVqBZFhd8kioMA94k3nFt/kr62y1I33RCz4yLs=',
  SINCH_SERVICE_PLAN_ID: 'sinchPlan5ecret18',
  SINCH_API_TOKEN: "sinch to~ken(19)'",
  SINCH_FROM: '+16175550000',
  SINCH_CALLBACK_SECRET: 'sinch hmac/secret+20=',
  SINCH_CALLBACK_USER: 'sinch-cb-user-5ecret-21',
  SINCH_CALLBACK_PASSWORD: 'sinch cb pass!22é',
  INFOBIP_API_KEY: 'infobip+key/23== *',
  INFOBIP_CALLBACK_USER: 'infobip-cb-user-5ecret-24',
  INFOBIP_CALLBACK_PASSWORD: "infobip cb (pass)'25",
  AMAZON_SMS_REGION: 'us-east-1',
  AMAZON_SMS_ORIGINATION_IDENTITY: '+16175550000',
  AWS_ACCESS_KEY_ID: 'AKIA5ECRETAMAZONKEY18',
  AWS_SECRET_ACCESS_KEY: "aws secret/key+19 (amazon)'~",
  AWS_SESSION_TOKEN: 'aws-session+token/20==',
  WHATSAPP_ACCESS_TOKEN: 'EAAG5ecretWhatsapp+/=26_ü',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_APP_SECRET: "wa app (secret)'27~",
  WHATSAPP_VERIFY_TOKEN: 'wa verify/token+28 é',
  VONAGE_MESSAGES_APPLICATION_ID: 'aaaaaaaa-5ecr-et00-0000-vonageapp026',
  VONAGE_MESSAGES_PRIVATE_KEY: VONAGE_APPLICATION_KEY,
  VONAGE_MESSAGES_SIGNATURE_SECRET: 'vonage msgs "sig" secret+/27',
  VONAGE_MESSAGES_SMS_FROM: 'Acme',
};

/**
 * Each gateway's credential variables, and the words its refusals start with. Not
 * liveperson-c2m: its send needs an eligibility callId first (its refusals' redaction is
 * tested in test/channels/c2m-gateway.test.ts).
 */
export const GATEWAYS: Record<Exclude<GatewayName, 'sandbox' | 'liveperson-c2m'>, { prefix: string; credentials: string[]; basic?: [string, string][] }> = {
  twilio: { prefix: 'Twilio', credentials: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'], basic: [['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']] },
  vonage: { prefix: 'Vonage', credentials: ['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_SIGNATURE_SECRET'] },
  clickatell: {
    prefix: 'Clickatell',
    credentials: ['CLICKATELL_API_KEY', 'CLICKATELL_CALLBACK_USER', 'CLICKATELL_CALLBACK_PASSWORD'],
    basic: [['CLICKATELL_CALLBACK_USER', 'CLICKATELL_CALLBACK_PASSWORD']],
  },
  'clickatell-http': { prefix: 'Clickatell', credentials: ['CLICKATELL_HTTP_USER', 'CLICKATELL_HTTP_PASSWORD', 'CLICKATELL_HTTP_API_ID'] },
  voxeo: { prefix: 'Voxeo', credentials: ['VOXEO_BOTKEY', 'VOXEO_USER', 'VOXEO_PASSWORD'], basic: [['VOXEO_USER', 'VOXEO_PASSWORD']] },
  plivo: { prefix: 'Plivo', credentials: ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN'], basic: [['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN']] },
  telnyx: { prefix: 'Telnyx', credentials: ['TELNYX_API_KEY'] },
  webhook: { prefix: 'gateway', credentials: ['SMS_WEBHOOK_SECRET'] },
  sinch: {
    prefix: 'Sinch',
    credentials: ['SINCH_SERVICE_PLAN_ID', 'SINCH_API_TOKEN', 'SINCH_CALLBACK_SECRET', 'SINCH_CALLBACK_USER', 'SINCH_CALLBACK_PASSWORD'],
    basic: [['SINCH_CALLBACK_USER', 'SINCH_CALLBACK_PASSWORD']],
  },
  infobip: {
    prefix: 'Infobip',
    credentials: ['INFOBIP_API_KEY', 'INFOBIP_CALLBACK_USER', 'INFOBIP_CALLBACK_PASSWORD'],
    basic: [['INFOBIP_CALLBACK_USER', 'INFOBIP_CALLBACK_PASSWORD']],
  },
  amazon: { prefix: 'Amazon', credentials: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] },
  'whatsapp-cloud': { prefix: 'WhatsApp', credentials: ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID'] },
  // The private key is redacted too, but never leaves the server (only the JWT's signature
  // does), and at 1,700 characters it is longer than the cut these sweeps place it across.
  'vonage-messages': { prefix: 'Vonage', credentials: ['VONAGE_MESSAGES_APPLICATION_ID', 'VONAGE_MESSAGES_SIGNATURE_SECRET'] },
};

/** The encodings a credential travels in, written out here rather than taken from the code under test. */
export const ENCODINGS: Record<string, (value: string) => string> = {
  raw: (v) => v,
  uri: (v) => encodeURIComponent(v),
  'uri, lower-case hex': (v) => encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  form: (v) => new URLSearchParams({ v }).toString().slice(2),
  json: (v) => JSON.stringify(v).slice(1, -1),
  base64: (v) => Buffer.from(v).toString('base64'),
};
/** Base64 of a longer blob the credential sits in, starting 1 or 2 bytes into a 3-byte group. */
export const BLOBS: Record<string, (value: string) => string> = {
  'inside base64, 1 byte in': (v) => Buffer.from(`\u0001${v}\u0002`).toString('base64'),
  'inside base64, 2 bytes in': (v) => Buffer.from(`\u0001\u0001${v}\u0002\u0002`).toString('base64'),
};

