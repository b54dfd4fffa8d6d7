import request from 'supertest';
import type { WebhookRequest } from '../src/sms/port';
import {
  AMAZON_ACCOUNT,
  INBOUND_TOPIC,
  OTHER_KEY,
  STATUS_TOPIC,
  snsSubscriptionConfirmation,
  startFakeAmazonSms,
  startFakeSns,
  type FakeAmazonSms,
  type FakeSns,
} from './fakes/amazon';
import { PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from './helpers/server';

/**
 * SNS subscription handshakes through the real webhook routes: SNS posts a signed
 * SubscriptionConfirmation to the endpoint it is asked to subscribe, and sends nothing
 * else until it is confirmed. (Receipts and STOP through SNS: test/vendors-e2e.test.ts.)
 */

let fake: FakeAmazonSms;
let sns: FakeSns;
let server: TestServer;

beforeAll(async () => {
  [fake, sns] = await Promise.all([startFakeAmazonSms(), startFakeSns()]);
  server = startTestServer({
    env: {
      AMAZON_SMS_REGION: AMAZON_ACCOUNT.region,
      AMAZON_SMS_ORIGINATION_IDENTITY: '+12065550152',
      AMAZON_SMS_ENDPOINT: fake.url,
      AMAZON_SMS_SNS_TOPIC_ARNS: `${STATUS_TOPIC},${INBOUND_TOPIC}`,
      AMAZON_SMS_SNS_BASE_URL: sns.url,
      AWS_ACCESS_KEY_ID: AMAZON_ACCOUNT.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AMAZON_ACCOUNT.secretAccessKey,
    },
    campaigns: [campaign({ gateway: 'amazon' })],
  });
});
afterAll(async () => {
  await server.close();
  await Promise.all([fake.close(), sns.close()]);
});
beforeEach(() => {
  sns.confirmed.length = 0;
});

function post(callback: WebhookRequest) {
  let req = request(server.app).post(callback.url.slice(PUBLIC_BASE_URL.length));
  for (const [name, value] of Object.entries(callback.headers)) if (value !== undefined) req = req.set(name, value);
  return req.send(callback.rawBody);
}

describe('SNS subscriptions to the amazon webhooks', () => {
  it.each([
    ['status', STATUS_TOPIC],
    ['inbound', INBOUND_TOPIC],
  ])('confirms the %s subscription and answers 204', async (kind, topic) => {
    const res = await post(snsSubscriptionConfirmation(`${PUBLIC_BASE_URL}/webhooks/amazon/${kind}`, topic));

    expect(res.status).toBe(204);
    expect(sns.confirmed).toEqual([topic]);
  });

  it('refuses a forged confirmation (403) and confirms nothing', async () => {
    const res = await post(snsSubscriptionConfirmation(`${PUBLIC_BASE_URL}/webhooks/amazon/inbound`, INBOUND_TOPIC, { key: OTHER_KEY }));

    expect(res.status).toBe(403);
    expect(sns.confirmed).toEqual([]);
  });

  it('refuses a confirmation for a topic not configured (403), fetching nothing', async () => {
    const before = sns.requests.length;
    const res = await post(snsSubscriptionConfirmation(`${PUBLIC_BASE_URL}/webhooks/amazon/status`, 'arn:aws:sns:us-east-1:999999999999:other'));

    expect(res.status).toBe(403);
    expect(sns.requests.length).toBe(before);
  });
});
