import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';
import { TWILIO_ACCOUNT, twilioError, type TwilioAccount } from './twilio';

/**
 * A fake Twilio Lookup v2 (GET /v2/PhoneNumbers/{PhoneNumber}) speaking Twilio's wire
 * format. Like the real one it checks HTTP Basic first (401, error 20003) and the resource
 * (404, error 20404, also Twilio's answer to a number it cannot parse); then the test's
 * responder answers, by default answerLookup, which knows the numbers in FAKE_LINES.
 */

/** What line_type_intelligence holds for one number. */
export interface FakeLine {
  e164: string;
  /** Twilio's word, or null when its carrier data has nothing (then errorCode says why). */
  type: string | null;
  carrier: string | null;
  mcc: string | null;
  mnc: string | null;
  errorCode: number | null;
}

function line(e164: string, type: string | null, carrier: string | null, mcc: string | null = null, mnc: string | null = null): FakeLine {
  return { e164, type, carrier, mcc, mnc, errorCode: type === null ? 60600 : null };
}

/** One number per Twilio line type (the 555-01xx range is reserved for fiction). */
export const FAKE_LINES: readonly FakeLine[] = [
  line('+14155550101', 'mobile', 'Verizon Wireless', '311', '480'),
  line('+14155550102', 'landline', 'Pacific Bell'),
  line('+14155550103', 'fixedVoip', 'RingCentral, Inc.'),
  line('+14155550104', 'nonFixedVoip', 'Google (Grand Central) - SVR', '311', '950'),
  line('+18005550105', 'tollFree', 'Twilio - Toll-Free - SMS-Sybase365/MMS-SVR'),
  line('+19005550106', 'premium', null),
  line('+447700900107', 'sharedCost', null),
  line('+447700900108', 'personal', null),
  line('+447700900109', 'uan', null),
  line('+14155550110', 'voicemail', 'Voicemail Provider'),
  line('+14155550111', 'pager', 'Arch Wireless'),
  line('+14155550112', null, null),
];

export function numberOfType(type: string | null): string {
  const found = FAKE_LINES.find((l) => l.type === type);
  if (!found) throw new Error(`no fake line of type ${String(type)}`);
  return found.e164;
}

/** One digit too many for North America: Twilio answers 200 with valid false (TOO_LONG). */
export const INVALID_NUMBER = '+141555501000';
/** Not a number at all: Twilio answers 404 (error 20404). */
export const UNPARSEABLE_NUMBER = '+1415CALLNOW';

export interface FakeTwilioLookup extends FakeServer {
  /** The resource path for a number, encoded as Twilio expects it. */
  pathOf(e164: string): string;
}

const RESOURCE = /^\/v2\/PhoneNumbers\/([^/]+)$/;

export function lookupPath(e164: string): string {
  return `/v2/PhoneNumbers/${encodeURIComponent(e164)}`;
}

export async function startFakeTwilioLookup(account: TwilioAccount = TWILIO_ACCOUNT, responder: Responder = answerLookup): Promise<FakeTwilioLookup> {
  let current = responder;
  const expectedAuth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate');
    if (req.method !== 'GET' || !RESOURCE.test(req.path)) return twilioError(404, 20404, `The requested resource ${req.path} was not found`);
    return current(req);
  });
  return {
    ...server,
    pathOf: lookupPath,
    respond: (r) => {
      current = r;
    },
  };
}

/**
 * Twilio's answer for the number in the path: the table's line for a known number, valid
 * false for one of the wrong length, 404 for one that is not digits. line_type_intelligence
 * is only filled in when Fields asks for it, as on the real API.
 */
export function answerLookup(req: RecordedRequest): FakeReply {
  const number = numberIn(req);
  if (number === undefined || !/^\+\d+$/.test(number)) {
    return twilioError(404, 20404, `The requested resource ${req.path} was not found`);
  }
  const fields = (req.query.get('Fields') ?? '').split(',').map((f) => f.trim());
  const lengthError = lengthErrorOf(number);
  if (lengthError) return json(200, lookupBody(number, { valid: false, validationErrors: [lengthError] }));
  const known = FAKE_LINES.find((l) => l.e164 === number) ?? line(number, null, null);
  return json(200, lookupBody(number, { valid: true, line: fields.includes('line_type_intelligence') ? known : undefined }));
}

/** North American numbers have exactly 11 digits; elsewhere E.164 allows 8 to 15 here. */
function lengthErrorOf(number: string): string | undefined {
  const digits = number.length - 1;
  const [min, max] = number.startsWith('+1') ? [11, 11] : [8, 15];
  return digits < min ? 'TOO_SHORT' : digits > max ? 'TOO_LONG' : undefined;
}

function numberIn(req: RecordedRequest): string | undefined {
  const match = RESOURCE.exec(req.path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/** The whole resource, every package null unless asked for, as Twilio sends it. */
export function lookupBody(number: string, options: { valid: boolean; validationErrors?: string[]; line?: FakeLine }): Record<string, unknown> {
  const { valid, validationErrors, line: known } = options;
  const us = number.startsWith('+1');
  return {
    calling_country_code: valid ? (us ? '1' : '44') : null,
    country_code: valid ? (us ? 'US' : 'GB') : null,
    phone_number: number,
    national_format: valid ? number.slice(us ? 2 : 3) : null,
    valid,
    validation_errors: valid ? null : (validationErrors ?? []),
    caller_name: null,
    sim_swap: null,
    call_forwarding: null,
    line_status: null,
    line_type_intelligence: known
      ? {
          error_code: known.errorCode,
          mobile_country_code: known.mcc,
          mobile_network_code: known.mnc,
          carrier_name: known.carrier,
          type: known.type,
        }
      : null,
    identity_match: null,
    reassigned_number: null,
    sms_pumping_risk: null,
    phone_number_quality_score: null,
    pre_fill: null,
    url: `https://lookups.twilio.com/v2/PhoneNumbers/${number}`,
  };
}
