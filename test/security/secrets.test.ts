import pino from 'pino';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import { createLogger } from '../../src/log';
import { formToken, PASSWORD, passwordHash, USER } from '../console/helpers';
import { startFakeServer, type FakeServer } from '../fakes/fake-server';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Secrets live in the environment and nowhere else. A server with every secret set (the
 * admin token, the console password and its hash, each vendor's credentials, a campaign's
 * availability token, the IVR shared secret) is put through calls on every gateway,
 * vendors that fail by echoing our request back, refused callbacks, admin API and console
 * errors, bad requests and rate limits; no secret appears in any answer (status line,
 * headers, body) or log line.
 */

const S = {
  twilioToken: 'S3cretTwilioAuthToken01',
  vonageSecret: 'S3cretVonageApiSecret02',
  vonageSignature: 'S3cretVonageSigSecret03',
  clickatellKey: 'S3cretClickatellKey04',
  clickatellCallback: 'S3cretClickatellCbPass05',
  clickatellHttpPassword: 'S3cretClickatellHttpPw06',
  voxeoBotKey: 'S3cretVoxeoBotKey07',
  voxeoPassword: 'S3cretVoxeoPassword08',
  plivoToken: 'S3cretPlivoAuthToken09',
  webhookSecret: 'S3cretWebhookHmacKey10',
  lookupToken: 'S3cretLookupAuthToken11',
  availabilityToken: 'S3cretAvailabilityTok12',
  ivrSecret: 'S3cretIvrSharedKey13',
  telnyxKey: 'S3cretTelnyxApiKey14',
  eventsOutSecret: 'S3cretEventsOutHmacKey15-0123456789',
  adminToken: ADMIN_TOKEN,
  password: PASSWORD,
};

/** Every secret, and the Basic credentials vendors and callbacks carry (base64 of user:password). */
function forbiddenStrings(hash: string): string[] {
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  return [
    ...Object.values(S),
    hash,
    hash.split('$').at(-1) as string,
    basic('AC0001', S.twilioToken),
    basic('voxeo-user', S.voxeoPassword),
    basic('MA0001', S.plivoToken),
    basic('cb-user', S.clickatellCallback),
    basic('AC0001', S.lookupToken),
  ];
}

const GATEWAYS = ['twilio', 'vonage', 'clickatell', 'clickatell-http', 'voxeo', 'plivo', 'telnyx', 'webhook'] as const;

/** A vendor (or a proxy in front of one) that refuses everything and echoes the request back. */
function echoingVendor(): Promise<FakeServer> {
  return startFakeServer((req) => ({
    status: 500,
    headers: { 'content-type': 'text/plain' },
    body: `refused ${req.headers.authorization ?? ''} ${req.url} ${req.body} ${JSON.stringify(req.headers)}`,
  }));
}

function environment(vendor: string, hash: string): Record<string, string> {
  return {
    ADMIN_USER: USER,
    ADMIN_PASSWORD_HASH: hash,
    IVR_SHARED_SECRET: S.ivrSecret,
    // Events out to the echoing vendor: its refusals (which quote our request) are logged.
    EVENTS_OUT: JSON.stringify([{ name: 'crm', url: `${vendor}/events` }]),
    EVENTS_OUT_SECRET_CRM: S.eventsOutSecret,
    SIGN_IN_MAX_FAILURES: '3',
    SHORT_LINK_RATE_LIMIT: '2',
    SMS_MAX_ATTEMPTS: '1',
    SMS_CALLER_WAIT_MS: '3000',
    TWILIO_ACCOUNT_SID: 'AC0001',
    TWILIO_AUTH_TOKEN: S.twilioToken,
    TWILIO_FROM: '+16175550000',
    TWILIO_BASE_URL: vendor,
    VONAGE_API_KEY: 'vonage-key',
    VONAGE_API_SECRET: S.vonageSecret,
    VONAGE_FROM: 'Acme',
    VONAGE_SIGNATURE_SECRET: S.vonageSignature,
    VONAGE_BASE_URL: vendor,
    CLICKATELL_API_KEY: S.clickatellKey,
    CLICKATELL_CALLBACK_USER: 'cb-user',
    CLICKATELL_CALLBACK_PASSWORD: S.clickatellCallback,
    CLICKATELL_BASE_URL: vendor,
    CLICKATELL_HTTP_USER: 'http-user',
    CLICKATELL_HTTP_PASSWORD: S.clickatellHttpPassword,
    CLICKATELL_HTTP_API_ID: '3141',
    CLICKATELL_HTTP_BASE_URL: vendor,
    VOXEO_BOTKEY: S.voxeoBotKey,
    VOXEO_USER: 'voxeo-user',
    VOXEO_PASSWORD: S.voxeoPassword,
    VOXEO_URL: `${vendor}/1.0/messaging`,
    PLIVO_AUTH_ID: 'MA0001',
    PLIVO_AUTH_TOKEN: S.plivoToken,
    PLIVO_FROM: '+16175550000',
    PLIVO_BASE_URL: vendor,
    TELNYX_API_KEY: S.telnyxKey,
    TELNYX_FROM: '+16175550000',
    TELNYX_PUBLIC_KEY: 'jD+ywCVqBZFhd8kioMA94k3nFt/kr62y1I33RCz4yLs=',
    TELNYX_BASE_URL: vendor,
    SMS_WEBHOOK_URL: `${vendor}/send`,
    SMS_WEBHOOK_SECRET: S.webhookSecret,
    LINE_TYPE_LOOKUP: 'twilio',
    LOOKUP_TWILIO_ACCOUNT_SID: 'AC0001',
    LOOKUP_TWILIO_AUTH_TOKEN: S.lookupToken,
    LOOKUP_TWILIO_BASE_URL: vendor,
    CAMPAIGN_SECRET_AVAIL: S.availabilityToken,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
  };
}

/** One campaign per gateway, each on its own number, asking the echoing endpoint whether to offer. */
function campaigns(vendor: string): CampaignInput[] {
  return GATEWAYS.map((gateway, i) =>
    campaign({
      id: `c-${gateway}`,
      dnis: [`+1 800 555 01${String(10 + i)}`],
      gateway,
      fallbackGateway: 'none',
      availability: {
        kind: 'http',
        url: `${vendor}/availability`,
        availablePath: 'open',
        headers: { Authorization: 'Bearer {secret:AVAIL}' },
        onError: 'offer',
      },
    }),
  );
}

describe('with every secret configured', () => {
  let vendor: FakeServer;
  let server: TestServer;
  let hash: string;
  const logLines: string[] = [];
  const answers: string[] = [];

  /** Keeps everything a client saw of an answer. */
  function saw(res: request.Response): request.Response {
    answers.push(`${res.status} ${JSON.stringify(res.headers)}\n${res.text ?? ''}`);
    return res;
  }

  beforeAll(async () => {
    vendor = await echoingVendor();
    hash = await passwordHash();
    const log = createLogger('trace', { write: (line: string) => logLines.push(line) } as pino.DestinationStream);
    server = startTestServer({ env: environment(vendor.url, hash), campaigns: campaigns(vendor.url), log });
  });

  afterAll(async () => {
    await server.close();
    await vendor.close();
  });

  it('puts calls through every gateway, each refused by a vendor that echoes our request', async () => {
    for (const [i] of GATEWAYS.entries()) {
      const caller = new IvrCaller(server.app);
      saw(await caller.start({ dnis: `+180055501${10 + i}`, ani: `+1617555${String(2000 + i)}`, callid: `call-${i}`, key: S.ivrSecret }));
      saw(await caller.press('1'));
      saw(await caller.press('1'));
      expect(caller.ending().result.status).toBe('failed');
      answers.push(...caller.documents);
    }
    // Every vendor, the lookup and the availability check were given our credentials, and
    // echoed them back.
    const sent = vendor.requests.map((r) => `${r.url} ${r.headers.authorization ?? ''} ${r.body}`).join('\n');
    const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
    for (const credential of [
      basic('AC0001', S.twilioToken),
      S.vonageSecret,
      S.clickatellKey,
      S.clickatellHttpPassword,
      S.voxeoBotKey,
      basic('MA0001', S.plivoToken),
      S.telnyxKey,
      basic('AC0001', S.lookupToken),
      S.availabilityToken,
    ]) {
      expect(sent).toContain(credential);
    }
  });

  it('answers refused and malformed IVR requests', async () => {
    const app = server.app;
    saw(await request(app).get('/vxml/start?dnis=%2B18005550110&ani=%2B16175559999'));
    saw(await request(app).get(`/vxml/start?dnis=%2B18005550110&key=${S.ivrSecret}x`));
    saw(await request(app).post('/vxml/start').set('X-IVR-Secret', 'wrong-secret-value').type('form').send('dnis=1'));
    saw(await request(app).post(`/vxml/offer?call=nope&key=${S.ivrSecret}`).type('json').send('{"answer":'));
    saw(await request(app).post('/vxml/start').type('form').send(`dnis=${'9'.repeat(20_000)}`));
  });

  it('answers admin API errors', async () => {
    const app = server.app;
    const admin = (r: request.Test) => r.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    saw(await request(app).get('/api/messages'));
    saw(await request(app).get('/api/messages').set('Authorization', `Bearer ${ADMIN_TOKEN}x`));
    saw(await admin(request(app).get('/api/messages')));
    saw(await admin(request(app).get('/api/events?from=2000-01-01&to=2100-01-01')));
    saw(await admin(request(app).get('/api/messages?status=bogus')));
    saw(await admin(request(app).post('/api/campaigns').type('json').send('{"id": ')));
    saw(await admin(request(app).post('/api/campaigns').send({ id: 'x', availability: { kind: 'http', headers: { A: '{secret:NOPE}' } } })));
    saw(await admin(request(app).get('/api/campaigns/c-twilio')));
    saw(await admin(request(app).get('/api/nothing-here')));
    saw(await request(app).get('/api/openapi.json'));
  });

  it('answers console sign-ins, pages and errors', async () => {
    const app = server.app;
    const form = saw(await request(app).get('/admin/sign-in'));
    const cookie = (form.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const token = formToken(form.text);
    const post = (fields: Record<string, string>) => request(app).post('/admin/sign-in').set('Cookie', cookie).type('form').send(fields);
    saw(await post({ _csrf: 'forged', user: USER, password: PASSWORD }));
    saw(await post({ _csrf: token, user: USER, password: `${PASSWORD}!` }));
    saw(await post({ _csrf: token, user: 'root', password: PASSWORD }));
    const signedIn = saw(await post({ _csrf: token, user: USER, password: PASSWORD }));
    expect(signedIn.status).toBe(303);
    const session = (signedIn.headers['set-cookie'] as unknown as string[]).find((c) => c.includes('ivr_console='))!.split(';')[0]!;
    for (const page of ['/admin/campaigns', '/admin/campaigns/c-twilio', '/admin/messages', '/admin/service', '/admin/reports', '/admin/simulator']) {
      expect(saw(await request(app).get(page).set('Cookie', session)).status).toBe(200);
    }
    saw(await request(app).post('/admin/service').set('Cookie', session).type('form').send({ enabled: 'false' }));
    saw(await request(app).post('/admin/messages/reveal').set('Cookie', session).type('form').send({ reason: 'x'.repeat(70_000) }));
    saw(await request(app).get('/admin/assets/missing.js'));
    // A third failure for this user name from this address, then the limit.
    saw(await post({ _csrf: token, user: USER, password: 'guess' }));
    expect(saw(await post({ _csrf: token, user: USER, password: 'guess' })).status).toBe(429);
  });

  it('answers vendor callbacks it cannot trust', async () => {
    const app = server.app;
    for (const gateway of GATEWAYS) {
      saw(await request(app).post(`/webhooks/${gateway}/status`).type('form').send({ MessageSid: 'SM1', MessageStatus: 'delivered', sig: 'x' }));
      saw(await request(app).post(`/webhooks/${gateway}/inbound`).type('json').send({ from: '+16175551234', to: '+16175550000', text: 'STOP' }));
    }
    saw(await request(app).post('/webhooks/clickatell/status').auth('cb-user', 'wrong').send({ messageId: 'x', statusCode: 4 }));
  });

  it('answers short links, and too many of them', async () => {
    for (let i = 0; i < 3; i += 1) saw(await request(server.app).get('/s/AbCdEfGh'));
    expect(answers.at(-1)).toMatch(/^429 /);
  });

  it('never shows or logs a secret', async () => {
    await server.eventsOut.idle();
    // Events out tried, was refused, and logged it.
    expect(logLines.some((l) => l.includes('events out: delivery failed'))).toBe(true);
    expect(answers.length).toBeGreaterThan(40);
    expect(logLines.length).toBeGreaterThan(40);
    for (const secret of forbiddenStrings(hash)) {
      const inAnswer = answers.find((a) => a.includes(secret));
      const inLog = logLines.find((l) => l.includes(secret));
      expect({ secret, answer: inAnswer?.slice(0, 2000), log: inLog }).toEqual({ secret, answer: undefined, log: undefined });
    }
  });
});
