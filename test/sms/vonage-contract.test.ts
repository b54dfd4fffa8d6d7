import path from 'node:path';
import type { OutgoingSms } from '../../src/sms/port';
import { VonageGateway } from '../../src/sms/vonage';
import { startFakeServer, type FakeServer, type Responder } from '../fakes/fake-server';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';

/**
 * The adapter against Vonage's official OpenAPI spec, served by Prism as a validating
 * mock: Prism answers 422 with a list of violations to any request that breaks the spec,
 * and otherwise the spec's example answer.
 *
 * Paths: the spec's server is https://rest.nexmo.com/sms and its path is /{format}, so
 * the real request goes to /sms/json. Prism serves the spec's paths from its root (/json)
 * and ignores the server's base path, so /sms/json would be a 404 there. A tiny proxy
 * (the fake server, forwarding) strips the "/sms" base path: the adapter keeps its real
 * path, with the proxy's address as VONAGE_BASE_URL, and Prism sees what the spec names.
 */

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/vonage_sms.yml');
const SERVER_BASE_PATH = '/sms';

const describeContract = describeIfSpec(SPEC, 'the Vonage contract test');

jest.setTimeout(60_000);

// api_key is exactly 8 characters and api_secret 6 to 32 in the spec.
const settings = { apiKey: 'abcd1234', apiSecret: 'abcdef0123456789', from: 'AcmeInc' };
const sms: OutgoingSms = { id: 'msg_abc123', to: '+447700900000', body: 'Chat with us: https://x.test/s/AbCd1234' };

interface PrismReply {
  status: number;
  violations: { location: string[]; message: string }[];
  body: string;
}

describeContract('VonageGateway against the official Vonage SMS spec (Prism)', () => {
  let prism: PrismMock | undefined;
  let proxy: FakeServer;
  let gateway: VonageGateway;
  const replies: PrismReply[] = [];

  beforeAll(async () => {
    // No --errors: the spec's own example answer breaks its oneOf (it matches both the SMS
    // and the Error schema), which --errors would turn into an error answer. Request
    // violations are still refused with 422, and the tests check the violation header.
    prism = await startPrism(SPEC, { timeoutMs: 55_000 });
    proxy = await startFakeServer(forwardingTo(prism.url, replies));
    gateway = new VonageGateway({ ...settings, baseUrl: proxy.url }, { statusUrl: 'https://t.example.test/sms/vonage/status' });
  });

  beforeEach(() => {
    replies.length = 0;
    proxy.requests.length = 0;
  });

  afterAll(async () => {
    await proxy?.close();
    await prism?.stop();
  });

  it.each([
    ['a GSM-7 text', sms.body],
    ['a text that needs type=unicode', 'Chat with us “now” 💬'],
  ])('sends %s that satisfies the spec, and maps the spec’s example answer', async (_what, body) => {
    const outcome = await gateway.send({ ...sms, body }, AbortSignal.timeout(10_000));
    expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /sms/json']);
    expect(replies).toHaveLength(1);
    const [reply] = replies;
    expect({ status: reply.status, requestViolations: reply.violations.filter((v) => v.location[0] === 'request') }).toEqual({
      status: 200,
      requestViolations: [],
    });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: '0A0000000123ABCD1', code: 'vonage-0' });
  });

  it('is a check that can fail: Prism refuses a request without `to`', async () => {
    const response = await fetch(`${proxy.url}/sms/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ api_key: settings.apiKey, api_secret: settings.apiSecret, from: 'AcmeInc', text: 'hi' }).toString(),
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { validation?: { message: string }[] };
    expect(problem.validation?.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringContaining("'to'")]));
  });

  it('is a check that can fail: an adapter request breaking the spec (a 2-digit `to`) comes back refused', async () => {
    const outcome = await gateway.send({ ...sms, to: '+12' }, AbortSignal.timeout(10_000));
    expect(replies.map((r) => r.status)).toEqual([422]);
    expect(outcome).toMatchObject({ outcome: 'permanent', code: 'http-422' });
  });
});

/** Forwards to Prism without the spec server's base path, recording what Prism answered. */
function forwardingTo(prismUrl: string, replies: PrismReply[]): Responder {
  return async (req) => {
    const target = prismUrl + req.url.replace(new RegExp(`^${SERVER_BASE_PATH}(?=/)`), '');
    const contentType = req.headers['content-type'];
    const response = await fetch(target, {
      method: req.method,
      headers: contentType ? { 'content-type': contentType } : {},
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
    });
    const body = await response.text();
    replies.push({ status: response.status, violations: violationsOf(response.headers.get('sl-violations')), body });
    return { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'text/plain' }, body };
  };
}

/** Prism lists what it found wrong (request or response) in an sl-violations header. */
function violationsOf(header: string | null): PrismReply['violations'] {
  return header ? (JSON.parse(header) as PrismReply['violations']) : [];
}
