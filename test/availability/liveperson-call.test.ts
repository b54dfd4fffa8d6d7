import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import { LP_ACCOUNT_ID, startFakeLivePerson, type FakeLivePerson } from '../fakes/liveperson';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * A whole call through the real app whose availability check goes to a fake LivePerson
 * that accepts only correctly signed requests (API key, OAuth 1.0; checked by the test
 * verifier, test/helpers/oauth1-verifier.ts), with the engagement host named by the
 * Domain API. The credentials come from CAMPAIGN_SECRET_* only; none of them may appear
 * in a log line, an admin answer or a VoiceXML document.
 */

const API_KEY = {
  consumerKey: 'd392e7ff2e204d6c802e38fd775563d1',
  consumerSecret: 'call-consumer-secret-58c1',
  token: '61adad31204a4e6fab68d560f1ffb594',
  tokenSecret: 'call-token-secret-9e07',
};
const ENV = {
  OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
  CAMPAIGN_SECRET_LP_CONSUMER_KEY: API_KEY.consumerKey,
  CAMPAIGN_SECRET_LP_CONSUMER_SECRET: API_KEY.consumerSecret,
  CAMPAIGN_SECRET_LP_ACCESS_TOKEN: API_KEY.token,
  CAMPAIGN_SECRET_LP_ACCESS_TOKEN_SECRET: API_KEY.tokenSecret,
};
const DNIS = '+18005550100';

let lp: FakeLivePerson;
let server: TestServer | undefined;
beforeEach(async () => {
  lp = await startFakeLivePerson(LP_ACCOUNT_ID, undefined, 0, { apiKey: API_KEY });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await lp.close();
});

function capturedLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), text: () => lines.join('') };
}

const signedCampaign = (): CampaignInput =>
  campaign({
    availability: { kind: 'liveperson', accountId: LP_ACCOUNT_ID, domainApiUrl: lp.url, auth: { type: 'api-key' }, consumerSections: ['Support'] },
  } as Partial<CampaignInput>);

it('a whole call: the signed availability check passes, the caller gets LivePerson\'s chat link, no credential leaks', async () => {
  const { log, text } = capturedLog();
  server = startTestServer({ campaigns: [signedCampaign()], env: ENV, log });

  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: '+16175551234', callid: 'cvp-lp-1' });
  const documents = [caller.xml];
  expect(caller.isQuestion()).toBe(true);
  await caller.press('1');
  documents.push(caller.xml);
  await caller.press('1');
  documents.push(caller.xml);
  expect(caller.ending().result.status).toBe('sent');

  expect(lp.refusals).toEqual([]);
  expect(lp.domainLookups()).toHaveLength(1);
  expect(lp.engagementRequests()).toHaveLength(1);
  expect(String(lp.engagementRequests()[0]!.headers.authorization)).toMatch(/^OAuth .*oauth_signature_method="HMAC-SHA1"/);

  const messages = await request(server.app)
    .get('/api/messages?limit=10&reveal=true&reason=test+assertions')
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(messages.status).toBe(200);
  const body = messages.body.messages[0].body as string;
  const code = /\/s\/([A-Za-z0-9_-]+)/.exec(body)?.[1];
  const target = (await request(server.app).get(`/s/${code}`)).headers.location as string;
  expect(target).toMatch(/^https:\/\/lpcdn\.lpsnmedia\.net\/le_unified_window\//);

  const campaigns = await request(server.app).get('/api/campaigns').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const everything = [text(), JSON.stringify(messages.body), JSON.stringify(campaigns.body), ...documents].join('\n');
  for (const value of Object.values(API_KEY)) expect(everything).not.toContain(value);
});

it('a wrong secret in the environment: LivePerson refuses, the campaign\'s onError (hand-back) decides, nothing leaks', async () => {
  const { log, text } = capturedLog();
  server = startTestServer({ campaigns: [signedCampaign()], env: { ...ENV, CAMPAIGN_SECRET_LP_ACCESS_TOKEN_SECRET: 'stale-secret-0000' }, log });

  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: '+16175551234', callid: 'cvp-lp-2' });
  expect(caller.isQuestion()).toBe(false);
  expect(caller.ending().result).toMatchObject({ status: 'unavailable', reason: 'availability-error' });
  expect(lp.refusals).toEqual(['signature does not match']);
  expect(text()).not.toContain('stale-secret-0000');
  expect(text()).not.toContain(API_KEY.consumerSecret);
});

it("passes the call's allowed IVR context to LivePerson as engagement attributes, after the campaign's own", async () => {
  server = startTestServer({
    campaigns: [
      campaign({
        availability: {
          kind: 'liveperson',
          accountId: LP_ACCOUNT_ID,
          domainApiUrl: lp.url,
          auth: { type: 'api-key' },
          consumerSections: ['Support'],
          engagementAttributes: [{ type: 'mrktInfo', info: { channel: '3' } }],
        },
        context: { allow: ['intent', 'account', 'language', 'waited'] },
      } as Partial<CampaignInput>),
    ],
    env: ENV,
  });
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: '+16175551234', 'ctx.intent': 'billing', 'ctx.account': 'AC123', 'ctx.language': 'fr-CA', 'ctx.waited': '240', 'ctx.pin': '1234' });
  expect(caller.isQuestion()).toBe(true);

  const [engagement] = lp.engagementRequests();
  expect(JSON.parse(String(engagement?.body))).toEqual({
    appType: 'IVR',
    consumerSections: ['Support'],
    // https://developers.liveperson.com/engagement-attributes-types-of-engagement-attributes.html
    engagementAttributes: [
      { type: 'mrktInfo', info: { channel: '3' } },
      { type: 'service', service: { topic: 'billing' } },
      { type: 'ctmrinfo', info: { customerId: 'AC123' } },
      { type: 'personal', personal: { language: 'fr-CA' } },
    ],
  });
});

it('sends only the campaign attributes for a call without context', async () => {
  server = startTestServer({ campaigns: [signedCampaign()], env: ENV });
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: '+16175551234', 'ctx.intent': 'billing' });
  const [engagement] = lp.engagementRequests();
  expect(JSON.parse(String(engagement?.body)).engagementAttributes).toEqual([]);
});
