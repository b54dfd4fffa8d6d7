import { gatewaySettingsFrom, type GatewayName } from '../../src/sms/gateway-config';
import { createGateways } from '../../src/sms/create-gateway';
import type { SendOutcome, SmsGateway } from '../../src/sms/port';
import { MAX_DETAIL_LENGTH } from '../../src/sms/redacting-gateway';
import { startFakeServer, type FakeServer } from '../fakes/fake-server';
import { BLOBS, ENCODINGS, ENV, GATEWAYS } from './vendor-credentials';

/**
 * A vendor's refusal is logged, stored and shown to admins. A vendor (or a proxy in front
 * of one) that echoes a credential back must not get any of it there: not whole, not in
 * any encoding it travels in, and not its first part when it straddles the point where
 * the refusal is cut short. Each credential variable is echoed by a local fake, through
 * the real adapters, in each encoding, starting just before the cut.
 */

const CUT = MAX_DETAIL_LENGTH;

let vendor: FakeServer;
let gateways: Map<GatewayName, SmsGateway>;
let answer = '';

beforeAll(async () => {
  vendor = await startFakeServer(() => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: answer }));
  const urls = {
    TWILIO_BASE_URL: vendor.url,
    VONAGE_BASE_URL: vendor.url,
    VONAGE_MESSAGES_BASE_URL: vendor.url,
    CLICKATELL_BASE_URL: vendor.url,
    CLICKATELL_HTTP_BASE_URL: vendor.url,
    VOXEO_URL: `${vendor.url}/1.0/messaging`,
    PLIVO_BASE_URL: vendor.url,
    TELNYX_BASE_URL: vendor.url,
    SINCH_BASE_URL: vendor.url,
    INFOBIP_BASE_URL: vendor.url,
    SMS_WEBHOOK_URL: `${vendor.url}/send`,
    AMAZON_SMS_ENDPOINT: vendor.url,
    WHATSAPP_API_BASE_URL: vendor.url,
  };
  const { settings, problems } = gatewaySettingsFrom({ ...ENV, ...urls });
  expect(problems).toEqual([]);
  gateways = createGateways({ gateways: settings, sandboxFailNumbers: [], publicBaseUrl: 'https://t.example.test' });
});
afterAll(() => vendor.close());

async function refusal(gateway: GatewayName, body: string, to = '+16175552001'): Promise<string> {
  answer = body;
  const before = vendor.requests.length;
  const outcome: SendOutcome = await gateways.get(gateway)!.send({ id: 'm1', to, body: 'hi' }, AbortSignal.timeout(10_000));
  expect(vendor.requests.length).toBe(before + 1);
  if (outcome.outcome === 'accepted') throw new Error('the fake vendor refuses everything');
  return outcome.detail;
}

/**
 * Whether any three bytes running in the credential can be read back from a base64 run
 * in the text, at any of its four alignments (the characters at a blob's edges mix the
 * credential's bits with its neighbours', and may stay).
 */
function readableFromBase64(text: string, value: string): string | undefined {
  const secret = Buffer.from(value).toString('latin1');
  for (const run of text.match(/[A-Za-z0-9+/]{4,}/g) ?? []) {
    for (const skip of [0, 1, 2, 3]) {
      const decoded = Buffer.from(run.slice(skip), 'base64').toString('latin1');
      for (let i = 0; i + 3 <= secret.length; i += 1) if (decoded.includes(secret.slice(i, i + 3))) return run;
    }
  }
  return undefined;
}

/**
 * What is left of the answer once the vendor's words are taken off: filler dots, whole
 * "[secret]" marks, and at most the start of one mark where the cut fell.
 */
function leftOver(detail: string, prefix: string): string {
  expect(detail.startsWith(`${prefix} answered 500: `)).toBe(true);
  const rest = detail.slice(`${prefix} answered 500: `.length).replace(/…$/, '').replace(/\[secret\]/g, '').replace(/\./g, '');
  return '[secret]'.startsWith(rest) ? '' : rest;
}

describe.each(Object.entries(GATEWAYS))('%s: a refusal that echoes a credential', (name, gateway) => {
  const head = `${gateway.prefix} answered 500: `.length;
  const pairs = (gateway.basic ?? []).map(([u, p]) => [`Basic ${u}:${p}`, Buffer.from(`${ENV[u]}:${ENV[p]}`).toString('base64')] as const);
  const cases = [
    ...gateway.credentials.flatMap((variable) => Object.entries(ENCODINGS).map(([encoding, encode]) => [`${variable} (${encoding})`, encode(ENV[variable]!)] as const)),
    ...pairs,
  ];
  const blobs = gateway.credentials.flatMap((variable) => Object.entries(BLOBS).map(([encoding, encode]) => [`${variable} (${encoding})`, variable, encode(ENV[variable]!)] as const));

  it.each(cases)('%s is taken out wherever it straddles the cut', async (_label, echoed) => {
    expect(echoed.length).toBeGreaterThan(3);
    // The echoed form starts 1, 2, half-way and all-but-one characters before the cut.
    for (const before of new Set([1, 2, Math.floor(echoed.length / 2), echoed.length - 1])) {
      const filler = '.'.repeat(CUT - head - before);
      const detail = await refusal(name as GatewayName, `${filler}${echoed}${'.'.repeat(50)}`);
      expect({ before, left: leftOver(detail, gateway.prefix) }).toEqual({ before, left: '' });
      expect(detail.length).toBeLessThanOrEqual(CUT + 1);
    }
    // And at the very start, with the rest of a long answer after it.
    expect(leftOver(await refusal(name as GatewayName, `${echoed}${'.'.repeat(400)}`), gateway.prefix)).toBe('');
  });

  it.each(blobs)('%s cannot be read back, wherever it straddles the cut', async (_label, variable, blob) => {
    for (const before of new Set([1, 2, 4, Math.floor(blob.length / 2), blob.length - 1])) {
      const detail = await refusal(name as GatewayName, `${'.'.repeat(CUT - head - before)}${blob}${'.'.repeat(50)}`);
      expect({ before, readable: readableFromBase64(detail, ENV[variable]!) }).toEqual({ before, readable: undefined });
    }
  });
});

describe('phone numbers in a refusal', () => {
  // Twilio's documented error 21211 quotes the number: https://www.twilio.com/docs/errors/21211
  const twilio21211 = (number: string) =>
    JSON.stringify({ code: 21211, message: `The 'To' number ${number} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });

  it('masks the number Twilio quotes in its 21211 refusal, keeping the rest of the words', async () => {
    answer = twilio21211('+16175552001');
    vendor.respond(() => ({ status: 400, headers: { 'content-type': 'application/json' }, body: answer }));
    try {
      const outcome = await gateways.get('twilio')!.send({ id: 'm1', to: '+16175552001', body: 'hi' }, AbortSignal.timeout(10_000));
      expect(outcome).toEqual({
        outcome: 'permanent',
        code: 'twilio-21211',
        reason: 'invalid-number',
        detail: "Twilio answered 400: 21211 The 'To' number +*******2001 is not a valid phone number.",
      });
    } finally {
      vendor.respond(() => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: answer }));
    }
  });

  it.each([
    ['E.164', '+16175552001'],
    ['E.164 without the plus', '16175552001'],
    ['national', '(617) 555-2001'],
    ['national with dashes', '617-555-2001'],
    ['national digits', '6175552001'],
    ['URL-encoded', '%2B16175552001'],
    ['international with spaces', '+1 617 555 2001'],
    ['another country', '+44 20 7946 0958'],
  ])('shows no whole number quoted %s, on any gateway', async (_label, quoted) => {
    for (const [name, gateway] of Object.entries(GATEWAYS)) {
      const detail = await refusal(name as GatewayName, `number ${quoted} refused`);
      expect(detail.replace(/\D/g, '')).not.toContain(quoted.replace(/\D/g, '').replace(/^(1|44)/, ''));
      expect(detail).toContain(`${gateway.prefix} answered 500: number `);
      expect(detail).toMatch(/\*+.*(2001|0958) refused$/);
    }
  });
});

describe('the resend lookup (findSent) through the same wrapper', () => {
  it('keeps the gateway’s resend safety, and its "could not tell" carries no credential and no whole number', async () => {
    const twilio = gateways.get('twilio')!;
    answer = `upstream broke: ${ENV.TWILIO_AUTH_TOKEN} for +16175552001`;

    const lookup = await twilio.findSent!({ id: 'm1', to: '+16175552001', body: 'hi' }, new Date().toISOString(), AbortSignal.timeout(10_000));

    expect(twilio.resendSafety).toBe('lookup');
    expect(lookup.kind).toBe('unknown');
    const detail = lookup.kind === 'unknown' ? lookup.detail : '';
    expect(detail).toContain('Twilio answered 500: upstream broke:');
    expect(detail).not.toContain(ENV.TWILIO_AUTH_TOKEN);
    expect(detail).not.toContain('6175552001');
  });
});
