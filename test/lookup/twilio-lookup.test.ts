import type { LineTypeAnswer } from '../../src/lookup/port';
import { TwilioLineTypeLookup, type TwilioLookupSettings } from '../../src/lookup/twilio-lookup';
import { json } from '../fakes/fake-server';
import { TWILIO_ACCOUNT, twilioError } from '../fakes/twilio';
import {
  FAKE_LINES,
  INVALID_NUMBER,
  UNPARSEABLE_NUMBER,
  answerLookup,
  lookupBody,
  numberOfType,
  startFakeTwilioLookup,
  type FakeTwilioLookup,
} from '../fakes/twilio-lookup';

let fake: FakeTwilioLookup;

beforeAll(async () => {
  fake = await startFakeTwilioLookup();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(answerLookup);
});

function adapter(overrides: Partial<TwilioLookupSettings> = {}): TwilioLineTypeLookup {
  return new TwilioLineTypeLookup({ ...TWILIO_ACCOUNT, baseUrl: fake.url, timeoutMs: 2_000, ...overrides });
}

function lookup(e164: string, overrides: Partial<TwilioLookupSettings> = {}): Promise<LineTypeAnswer> {
  return adapter(overrides).lookup(e164, new AbortController().signal);
}

/** Every form the credentials could leak in: as given, and as the Basic header carries them. */
const SECRETS = [
  TWILIO_ACCOUNT.authToken,
  Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64'),
];

function expectErrorWithoutSecrets(answer: LineTypeAnswer): string {
  expect(answer.kind).toBe('error');
  const detail = answer.kind === 'error' ? answer.detail : '';
  expect(detail).not.toBe('');
  for (const secret of SECRETS) expect(detail).not.toContain(secret);
  return detail;
}

describe('the request', () => {
  it('is one GET of the number’s resource, "+" encoded, asking only for line type intelligence, with HTTP Basic', async () => {
    await lookup('+14155550101');

    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/v2/PhoneNumbers/%2B14155550101');
    expect([...req.query.entries()]).toEqual([['Fields', 'line_type_intelligence']]);
    // Written out rather than built with the adapter's helper, so a wrong helper cannot agree with itself.
    expect(req.headers.authorization).toBe('Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjowZjFlMmQzYzRiNWE2OTc4ODc5NmE1YjRjM2QyZTFmMA==');
    expect(req.headers.accept).toBe('application/json');
    expect(req.body).toBe('');
  });

  it('uses the configured account', async () => {
    const other = { accountSid: 'AC' + 'f'.repeat(32), authToken: 'e'.repeat(32) };
    const answer = await lookup('+14155550101', other);

    // The fake knows only TWILIO_ACCOUNT, so another account is refused like Twilio would.
    expect(answer).toEqual({ kind: 'error', detail: expect.stringContaining('401') });
    expect(fake.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`${other.accountSid}:${other.authToken}`).toString('base64')}`);
  });
});

describe('line types', () => {
  it.each([
    ['mobile', 'mobile', true],
    ['landline', 'landline', false],
    ['fixedVoip', 'voip', false],
    ['nonFixedVoip', 'voip', true],
    ['tollFree', 'toll-free', false],
    ['premium', 'premium', false],
    ['sharedCost', 'premium', false],
    ['personal', 'other', true],
    ['uan', 'other', false],
    ['voicemail', 'other', false],
    ['pager', 'other', false],
  ] as const)('Twilio "%s" is %s, textable %s', async (twilioType, lineType, textable) => {
    const number = numberOfType(twilioType);
    const carrier = FAKE_LINES.find((l) => l.e164 === number)?.carrier;

    const answer = await lookup(number);

    expect(answer).toEqual({ kind: 'known', lineType, vendorType: twilioType, textable, ...(carrier ? { carrier } : {}) });
  });

  it('a null type (no carrier data, with an error_code) is unknown and left to the number rules', async () => {
    const answer = await lookup(numberOfType(null));

    expect(answer).toEqual({ kind: 'known', lineType: 'unknown', vendorType: 'unknown', textable: true });
  });

  it('a type newer than our table is unknown, keeping Twilio’s word for the logs', async () => {
    const number = '+14155550199';
    fake.respond(() =>
      json(200, lookupBody(number, { valid: true, line: { e164: number, type: 'satellite', carrier: 'Iridium', mcc: null, mnc: null, errorCode: null } })),
    );

    const answer = await lookup(number);

    expect(answer).toEqual({ kind: 'known', lineType: 'unknown', vendorType: 'satellite', textable: true, carrier: 'Iridium' });
  });
});

describe('numbers Twilio rejects', () => {
  const INVALID = { kind: 'known', lineType: 'unknown', vendorType: 'invalid', textable: false };

  it('valid: false is a known, untextable answer', async () => {
    const answer = await lookup(INVALID_NUMBER);

    expect(answer).toEqual(INVALID);
    expect(fake.requests[0].path).toBe('/v2/PhoneNumbers/%2B141555501000');
  });

  it('Twilio’s 404 (error 20404) for a number it cannot parse is the same as invalid', async () => {
    const answer = await lookup(UNPARSEABLE_NUMBER);

    expect(answer).toEqual(INVALID);
    expect(fake.requests[0].path).toBe('/v2/PhoneNumbers/%2B1415CALLNOW');
  });

  it('a 404 that is not Twilio’s (wrong baseUrl) is an error, not a verdict on the number', async () => {
    fake.respond(() => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>Not Found</body></html>' }));

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toBe('Twilio Lookup answered 404 without Twilio error 20404');
  });

  it('keeps Twilio\'s message out of the detail: a status and a code, never remote text (it quotes the number)', async () => {
    fake.respond(() => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 20001, message: 'The number +14155550101 is malformed', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 }),
    }));

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toBe('Twilio Lookup answered 400: Twilio error 20001');
    expect(detail).not.toMatch(/4155550101/);
  });
});

describe('errors', () => {
  it('wrong credentials (401, error 20003) name Twilio’s code, never the credentials', async () => {
    const detail = expectErrorWithoutSecrets(await lookup('+14155550101', { authToken: 'not-the-token' }));

    expect(detail).toContain('401');
    expect(detail).toContain('20003');
    expect(detail).not.toContain('not-the-token');
  });

  it.each([
    [403, 20403, 'Forbidden'],
    [429, 20429, 'Too Many Requests'],
    [500, 20500, 'Internal Server Error'],
    [503, 20503, 'Service Unavailable'],
  ])('HTTP %i (error %i) is an error with Twilio’s code', async (status, code, message) => {
    fake.respond(() => twilioError(status, code, message));

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toBe(`Twilio Lookup answered ${status}: Twilio error ${code}`);
    expect(detail).not.toContain(message);
  });

  it('a 502 from a proxy, with no Twilio body, is an error saying so, without the body', async () => {
    fake.respond(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>\n  Bad Gateway\n</html>' }));

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toBe('Twilio Lookup answered 502: not a Twilio error');
  });

  it.each([
    ['not JSON', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' }, 'without a "valid" flag'],
    ['JSON without valid', json(200, { phone_number: '+14155550101' }), 'without a "valid" flag'],
    ['valid without line_type_intelligence', json(200, lookupBody('+14155550101', { valid: true })), 'without line_type_intelligence'],
  ])('a 200 that is %s is an error', async (_name, reply, expected) => {
    fake.respond(() => reply);

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toContain(expected);
  });

  it('a Twilio that never answers is an error after timeoutMs, well before the caller gives up', async () => {
    fake.respond(() => ({ status: 200, hang: true }));
    const started = Date.now();

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101', { timeoutMs: 200 }));

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(detail).toBe('Twilio Lookup: no answer within 200 ms');
  });

  it('a caller who hangs up ends the lookup at once, saying so', async () => {
    fake.respond(() => ({ status: 200, hang: true }));
    const caller = new AbortController();
    const started = Date.now();

    const pending = adapter({ timeoutMs: 10_000 }).lookup('+14155550101', caller.signal);
    setTimeout(() => caller.abort(), 50);
    const detail = expectErrorWithoutSecrets(await pending);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(detail).toBe('Twilio Lookup: abandoned by the caller before an answer');
  });

  it('a dropped connection is an error', async () => {
    fake.respond(() => ({ status: 200, reset: true }));

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101'));

    expect(detail).toMatch(/^Twilio Lookup: /);
  });

  it('nothing listening is an error', async () => {
    const gone = await startFakeTwilioLookup();
    const url = gone.url;
    await gone.close();

    const detail = expectErrorWithoutSecrets(await lookup('+14155550101', { baseUrl: url }));

    expect(detail).toContain('ECONNREFUSED');
  });
});
