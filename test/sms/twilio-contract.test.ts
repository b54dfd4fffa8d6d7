import path from 'node:path';
import type { TwilioSettings } from '../../src/sms/gateway-config';
import { TwilioGateway } from '../../src/sms/twilio';
import { TWILIO_ACCOUNT, twilioMessagesPath } from '../fakes/twilio';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';

/**
 * The adapter against Twilio's official OpenAPI spec, served by Prism as a validating
 * mock: Prism answers 422 to a request that breaks the spec (401 without credentials,
 * 415 for a wrong content type) and otherwise the spec's own 201 example, whose sid is
 * "SMaaaa…". --errors also turns a violation in Prism's own answer into an error, so a
 * 201 means both sides of the exchange matched the spec.
 *
 * The resend lookup (findSent) is checked the same way against the spec's list endpoint.
 *
 * The spec only requires To; it cannot tell that Twilio also needs From (or a Messaging
 * Service) and Body: test/sms/twilio.test.ts covers those against the fake.
 */

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/twilio_api_v2010.json');
const STATUS_URL = 'https://ivr.example.com/webhooks/twilio/status';

const describeContract = describeIfSpec(SPEC, 'the Twilio contract test');

jest.setTimeout(60_000);

describeContract('TwilioGateway against the official Twilio API spec (Prism)', () => {
  let prism: PrismMock | undefined;
  let prismUrl: string;

  beforeAll(async () => {
    prism = await startPrism(SPEC, { args: ['--errors'], timeoutMs: 50_000 });
    prismUrl = prism.url;
  }, 60_000);

  afterAll(async () => {
    await prism?.stop();
  });

  function gateway(overrides: Partial<TwilioSettings> = {}): TwilioGateway {
    return new TwilioGateway({ ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: prismUrl, ...overrides }, { statusUrl: STATUS_URL });
  }

  const sms = { id: 'msg-1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc' };

  it('sends a request the spec accepts, and reads the spec’s 201 as accepted', async () => {
    const outcome = await gateway().send(sms, AbortSignal.timeout(10_000));

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', code: 'queued' });
  });

  it('sends a request the spec accepts when sending through a Messaging Service', async () => {
    const outcome = await gateway({ from: undefined, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' }).send(sms, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'accepted' });
  });

  it('sends a WhatsApp Content template the spec accepts (ContentSid, ContentVariables, whatsapp: addresses)', async () => {
    const outcome = await gateway({ whatsappFrom: '+15005550010' }).send(
      {
        ...sms,
        channel: 'whatsapp',
        template: { name: 'HX0123456789abcdef0123456789abcdef', language: 'en_US', body: ['https://x.example/c/abc'], urlButton: 'abc' },
      },
      AbortSignal.timeout(10_000),
    );

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', code: 'queued' });
  });

  it('sends an RCS message through its Messaging Service the way the spec accepts', async () => {
    const outcome = await gateway({ rcsMessagingServiceSid: 'MGfedcba9876543210fedcba9876543210' }).send(
      { ...sms, channel: 'rcs' },
      AbortSignal.timeout(10_000),
    );

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', code: 'queued' });
  });

  it('Prism refuses a ContentSid that is not an HX sid (so the WhatsApp check above can fail)', async () => {
    const auth = `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`;
    const res = await fetch(`${prismUrl}${twilioMessagesPath(TWILIO_ACCOUNT.accountSid)}`, {
      method: 'POST',
      headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: 'whatsapp:+14155550100', From: 'whatsapp:+15005550010', ContentSid: 'not-a-content-sid' }).toString(),
    });

    expect(res.status).toBe(422);
    expect(await res.text()).toContain('ContentSid');
  });

  describe('the resend lookup: GET Messages.json with the documented filters', () => {
    // The spec's first list example (readFullPage1): a page whose first message went from
    // +12019235161 to +18182008801 with the body "testing", created on 24 May 2019.
    const example = { id: 'msg-1', to: '+18182008801', body: 'testing' };
    // That example breaks the spec's own `format: uri` on first_page_uri, next_page_uri and
    // uri (they are paths, as Twilio sends them), so --errors would turn every list answer
    // into a 500: this Prism runs without it. Requests are still validated (422).
    let listPrism: PrismMock | undefined;
    let listUrl: string;

    beforeAll(async () => {
      listPrism = await startPrism(SPEC, { timeoutMs: 50_000 });
      listUrl = listPrism.url;
    }, 60_000);

    afterAll(async () => {
      await listPrism?.stop();
    });

    const lister = (overrides: Partial<TwilioSettings> = {}) =>
      new TwilioGateway({ ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: listUrl, ...overrides }, { statusUrl: STATUS_URL });

    it('reads the spec’s example page, and finds the spec’s own message in it', async () => {
      const found = await lister({ from: '+12019235161' }).findSent(example, '2019-05-24T17:44:00Z', AbortSignal.timeout(10_000));

      expect(found).toEqual({ kind: 'found', vendorMessageId: 'SMded05904ccb347238880ca9264e8fe1c', code: 'sent' });
    });

    it('sends a list request the spec accepts, and takes a page of older messages as not-found', async () => {
      const found = await lister().findSent(sms, new Date().toISOString(), AbortSignal.timeout(10_000));

      expect(found).toEqual({ kind: 'not-found' });
    });

    it('sends a list request the spec accepts through a Messaging Service (To alone)', async () => {
      const found = await lister({ from: undefined, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' }).findSent(
        sms,
        new Date().toISOString(),
        AbortSignal.timeout(10_000),
      );

      expect(found).toEqual({ kind: 'not-found' });
    });

    it('Prism refuses a PageSize beyond the spec’s 1000 (so the checks above can fail)', async () => {
      const auth = `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`;
      const res = await fetch(`${listUrl}${twilioMessagesPath(TWILIO_ACCOUNT.accountSid)}?To=%2B14155550100&PageSize=5000`, { headers: { Authorization: auth } });

      expect(res.status).toBe(422);
      expect((await res.text()).toLowerCase()).toContain('pagesize must be <= 1000');
    });
  });

  describe('Prism refuses what breaks the spec (so the checks above can fail)', () => {
    const auth = `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`;
    const form = 'application/x-www-form-urlencoded';

    function post(headers: Record<string, string>, body: string, accountSid: string = TWILIO_ACCOUNT.accountSid): Promise<Response> {
      return fetch(`${prismUrl}${twilioMessagesPath(accountSid)}`, { method: 'POST', headers, body });
    }

    it('a JSON body instead of a form: 415', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': 'application/json' }, JSON.stringify({ To: sms.to, Body: sms.body }));

      expect(res.status).toBe(415);
    });

    it('a form without To: 422 naming To', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ From: '+15005550006', Body: 'x' }).toString());

      expect(res.status).toBe(422);
      expect(await res.text()).toContain("'To'");
    });

    it('a StatusCallback that is not a URI: 422', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ To: sms.to, StatusCallback: 'not a url' }).toString());

      expect(res.status).toBe(422);
      expect(await res.text()).toContain('StatusCallback');
    });

    it('an AccountSid that is not one: 422', async () => {
      const res = await post({ Authorization: auth, 'Content-Type': form }, new URLSearchParams({ To: sms.to }).toString(), 'AC123');

      expect(res.status).toBe(422);
    });

    it('no HTTP Basic credentials: 401', async () => {
      const res = await post({ 'Content-Type': form }, new URLSearchParams({ To: sms.to }).toString());

      expect(res.status).toBe(401);
    });
  });
});
