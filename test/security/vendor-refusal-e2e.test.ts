import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import type { GatewayName } from '../../src/sms/gateway-config';
import { MAX_DETAIL_LENGTH } from '../../src/sms/redacting-gateway';
import { passwordHash, signIn, USER } from '../console/helpers';
import { startFakeServer, type FakeServer } from '../fakes/fake-server';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';
import { BLOBS, ENCODINGS, ENV, GATEWAYS } from './vendor-credentials';

const WHATSAPP_ENTRY = {
  channel: 'whatsapp' as const,
  gateway: 'whatsapp-cloud' as const,
  template: { name: 'chat_link', language: 'en_US', body: ['{link}'] },
  consent: 'By pressing 1 you agree to get WhatsApp messages from us.',
};

/**
 * The whole server, every gateway configured, each vendor refusing with an answer that
 * echoes its credentials in every encoding (the first one straddling the point where the
 * refusal is cut) and quotes the caller's number in several forms. Neither a credential
 * nor a whole number reaches the admin API, the console's messages page, a log line or
 * the database file.
 */

const NAMES = Object.keys(GATEWAYS) as Exclude<GatewayName, 'sandbox' | 'liveperson-c2m'>[];
const ani = (i: number) => `+1617555${2000 + i}`;

/** The forms of the caller's number a vendor quotes. */
function numberForms(e164: string): string[] {
  const national = e164.slice(2);
  return [e164, e164.slice(1), national, `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`, `${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`];
}

/** Every credential in every encoding the tests know, Basic pairs and base64 blobs included. */
function forbidden(): string[] {
  const forms = Object.values(GATEWAYS).flatMap((g) => [
    ...g.credentials.flatMap((v) => [...Object.values(ENCODINGS), ...Object.values(BLOBS)].map((encode) => encode(ENV[v]!))),
    ...(g.basic ?? []).map(([u, p]) => Buffer.from(`${ENV[u]}:${ENV[p]}`).toString('base64')),
  ]);
  return [...new Set(forms)];
}

let vendor: FakeServer;
let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  // Which gateway is asking shows in the request; each answer starts with enough filler
  // that the gateway's first credential (form-encoded) begins 5 characters before the cut.
  vendor = await startFakeServer((req) => {
    const i = Number(/To=%2B1617555(\d{4})|"dst":"\+?1617555(\d{4})|to=%2B?1617555(\d{4})|"to":"\+?1617555(\d{4})"/.exec(`${req.url} ${req.body}`)?.slice(1).find(Boolean) ?? 2000) - 2000;
    const name = NAMES[i]!;
    const g = GATEWAYS[name];
    const head = `${g.prefix} answered 500: `.length;
    const first = ENCODINGS.form!(ENV[g.credentials.at(-1)!]!);
    const all = forbidden().join(' | ');
    const numbers = numberForms(ani(i)).join(' / ');
    return {
      status: 500,
      headers: { 'content-type': 'text/plain' },
      // Masking keeps a number's length, so the credential still starts where it did.
      body: `number ${numbers} `.padEnd(MAX_DETAIL_LENGTH - head - 5, '.') + `${first} ${all}`,
    };
  });
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
  const log = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
  server = startTestServer({
    env: { ...ENV, ...urls, ADMIN_USER: USER, ADMIN_PASSWORD_HASH: await passwordHash(), SMS_MAX_ATTEMPTS: '1', SMS_CALLER_WAIT_MS: '3000' },
    campaigns: NAMES.map((gateway, i) =>
      // A WhatsApp-only gateway carries no text: its campaign names it as a channel.
      gateway === 'whatsapp-cloud'
        ? campaign({ id: `c-${gateway}`, dnis: [`+1 800 555 01${10 + i}`], fallbackGateway: 'none', channels: { mode: 'fallback', list: [WHATSAPP_ENTRY] } })
        : campaign({ id: `c-${gateway}`, dnis: [`+1 800 555 01${10 + i}`], gateway, fallbackGateway: 'none' }),
    ),
    log,
  });
});

afterAll(async () => {
  await server.close();
  await vendor.close();
});

it('keeps echoed credentials and quoted numbers out of the API, the console, the logs and the database', async () => {
  for (const [i, name] of NAMES.entries()) {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: `+180055501${10 + i}`, ani: ani(i), callid: `call-${name}` });
    await caller.press('1');
    await caller.press('1');
    expect({ name, status: caller.ending().result.status }).toEqual({ name, status: 'failed' });
  }
  expect(vendor.requests).toHaveLength(NAMES.length);

  const api = await request(server.app).get('/api/messages').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(api.status).toBe(200);
  const errors = (api.body.messages as { error: { code: string; detail: string } | null }[]).map((m) => m.error?.detail ?? '');
  expect(errors).toHaveLength(NAMES.length);
  // Each refusal is there, readable: the vendor's words, the masked number, the marks.
  for (const detail of errors) expect(detail).toMatch(/answered 500: number \+\*{7}20\d\d \/ \*{7}20\d\d \/ \*{6}20\d\d \/ \(\*\*\*\) \*\*\*-20\d\d/);
  for (const detail of errors) expect(detail).toMatch(/\[secret\]…$|\[s?e?c?r?e?t?…$/);

  const admin = await signIn(server.app);
  const page = await admin.get('/admin/messages');
  expect(page.status).toBe(200);
  expect(page.text).toContain('answered 500: number');

  const database = fs.readdirSync(server.dataDir).map((f) => fs.readFileSync(path.join(server.dataDir, f)).toString('latin1') + fs.readFileSync(path.join(server.dataDir, f)).toString('utf8')).join('\n');
  expect(database).toContain('answered 500: number');

  const places = { api: api.text, console: page.text, log: logLines.join('\n'), database };
  for (const secret of forbidden()) {
    for (const [where, text] of Object.entries(places)) expect({ secret, where, found: text.includes(secret) }).toEqual({ secret, where, found: false });
  }
  for (const [i] of NAMES.entries()) {
    for (const form of numberForms(ani(i))) {
      for (const detail of errors) expect({ form, found: detail.includes(form) }).toEqual({ form, found: false });
      for (const [where, text] of Object.entries({ console: page.text, log: places.log })) {
        expect({ form, where, found: text.includes(form) }).toEqual({ form, where, found: false });
      }
    }
  }
});
