import { isRecord } from '../sms/callback-parsing';
import { basicAuth, callVendor, type VendorReply } from '../sms/vendor-http';
import type { LineType, LineTypeAnswer, LineTypeLookup } from './port';

export interface TwilioLookupSettings {
  accountSid: string;
  authToken: string;
  /** https://lookups.twilio.com in production; config supplies it so tests can point at a fake. */
  baseUrl: string;
  /** Per lookup: a caller is on hold while we wait, so this stays short. */
  timeoutMs: number;
}

/**
 * Twilio Lookup v2 line type intelligence: GET /v2/PhoneNumbers/{number}?Fields=line_type_intelligence
 * with HTTP Basic (AccountSid:AuthToken). Twilio answers 200 with `valid` and a
 * `line_type_intelligence` object whose `type` is Twilio's own class (or null, with an
 * error_code, when the carrier data is missing), and 404 (error 20404) for a number it
 * cannot parse at all.
 */
export class TwilioLineTypeLookup implements LineTypeLookup {
  readonly name = 'twilio-lookup';

  constructor(private readonly settings: TwilioLookupSettings) {}

  async lookup(e164: string, signal: AbortSignal): Promise<LineTypeAnswer> {
    const { accountSid, authToken, baseUrl, timeoutMs } = this.settings;
    const timeout = AbortSignal.timeout(timeoutMs);
    const call = await callVendor({
      method: 'GET',
      // encodeURIComponent turns "+" into %2B: a bare "+" in a path is read as a space by some stacks.
      url: `${baseUrl}/v2/PhoneNumbers/${encodeURIComponent(e164)}?Fields=line_type_intelligence`,
      headers: { Authorization: basicAuth(accountSid, authToken), Accept: 'application/json' },
      signal: AbortSignal.any([signal, timeout]),
    });
    if (call.ok) return answerOf(call.reply);
    const failure = call.outcome;
    if (failure.outcome !== 'accepted' && failure.code === 'timeout') {
      // callVendor reports both aborts alike; whoever reads the log needs to know whose limit it was.
      const detail = signal.aborted ? 'abandoned by the caller before an answer' : `no answer within ${timeoutMs} ms`;
      return { kind: 'error', detail: `Twilio Lookup: ${detail}` };
    }
    return { kind: 'error', detail: `Twilio Lookup: ${failure.outcome === 'accepted' ? 'no reply' : failure.detail}` };
  }
}

interface TypeMeaning {
  lineType: LineType;
  textable: boolean;
}

/**
 * Twilio's line types (https://www.twilio.com/docs/lookup/v2-api/line-type-intelligence).
 * nonFixedVoip (Google Voice and the like) and personal numbers reach a handset that takes
 * texts; fixedVoip is a desk or PBX line; voicemail, pager and UAN numbers forward nowhere a
 * text can be read.
 */
const TYPE_MEANINGS: ReadonlyMap<string, TypeMeaning> = new Map<string, TypeMeaning>([
  ['mobile', { lineType: 'mobile', textable: true }],
  ['landline', { lineType: 'landline', textable: false }],
  ['fixedVoip', { lineType: 'voip', textable: false }],
  ['nonFixedVoip', { lineType: 'voip', textable: true }],
  ['tollFree', { lineType: 'toll-free', textable: false }],
  ['premium', { lineType: 'premium', textable: false }],
  ['sharedCost', { lineType: 'premium', textable: false }],
  ['personal', { lineType: 'other', textable: true }],
  ['uan', { lineType: 'other', textable: false }],
  ['voicemail', { lineType: 'other', textable: false }],
  ['pager', { lineType: 'other', textable: false }],
]);

/**
 * Twilio could not tell (type null, or a type newer than this table): textable, so the
 * number rules have the last word rather than a vendor's shrug blocking the text.
 */
const UNKNOWN: TypeMeaning = { lineType: 'unknown', textable: true };

/** Twilio's own verdict that no line sits behind this number: never worth a text, and worth caching. */
const INVALID: LineTypeAnswer = { kind: 'known', lineType: 'unknown', vendorType: 'invalid', textable: false };

/** The Twilio error code for an unknown resource, which is how it answers an unparseable number. */
const NOT_FOUND = 20404;

function answerOf(reply: VendorReply): LineTypeAnswer {
  if (reply.status === 404) {
    // Only Twilio's own 404 is about the number; any other 404 means baseUrl points somewhere
    // wrong, and caching "invalid" for every caller's number would block all their texts.
    return twilioErrorCodeOf(reply.json) === NOT_FOUND ? INVALID : { kind: 'error', detail: `Twilio Lookup answered 404 without Twilio error ${NOT_FOUND}` };
  }
  if (reply.status < 200 || reply.status >= 300) return { kind: 'error', detail: `Twilio Lookup answered ${reply.status}: ${errorTextOf(reply)}` };
  const body = reply.json;
  if (!isRecord(body) || typeof body.valid !== 'boolean') {
    return { kind: 'error', detail: `Twilio Lookup answered ${reply.status} without a "valid" flag` };
  }
  if (!body.valid) return INVALID;
  const intelligence = body.line_type_intelligence;
  // We asked for the field, so its absence means the answer is not the one we asked for
  // (a proxy that dropped the query, say): not something to cache as a verdict.
  if (!isRecord(intelligence)) {
    return { kind: 'error', detail: `Twilio Lookup answered ${reply.status} without line_type_intelligence` };
  }
  const vendorType = typeof intelligence.type === 'string' && intelligence.type !== '' ? intelligence.type : 'unknown';
  const meaning = TYPE_MEANINGS.get(vendorType) ?? UNKNOWN;
  const carrier = typeof intelligence.carrier_name === 'string' && intelligence.carrier_name !== '' ? { carrier: intelligence.carrier_name } : {};
  return { kind: 'known', lineType: meaning.lineType, vendorType, textable: meaning.textable, ...carrier };
}

function twilioErrorCodeOf(json: unknown): number | undefined {
  if (!isRecord(json)) return undefined;
  const code = typeof json.code === 'string' && /^\d+$/.test(json.code) ? Number(json.code) : json.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/**
 * Twilio's code says more than the status (20003 is our credentials, 20429 our rate). Its
 * message, like any remote text, is left out: Twilio quotes the number looked up, and a
 * proxy in front of it could echo our credentials.
 */
function errorTextOf(reply: VendorReply): string {
  const code = twilioErrorCodeOf(reply.json);
  return code === undefined ? 'not a Twilio error' : `Twilio error ${code}`;
}
