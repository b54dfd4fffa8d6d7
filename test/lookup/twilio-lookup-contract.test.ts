import fs from 'node:fs';
import path from 'node:path';
import type { LineTypeAnswer } from '../../src/lookup/port';
import { TwilioLineTypeLookup } from '../../src/lookup/twilio-lookup';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from '../fakes/fake-server';
import { TWILIO_ACCOUNT } from '../fakes/twilio';
import { lookupPath } from '../fakes/twilio-lookup';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';

/**
 * The adapter against Twilio's official Lookup v2 OpenAPI spec, served by Prism as a
 * validating mock with --errors: a request that breaks the spec is refused (401 without
 * Basic credentials, 405 for another method, 422 for a missing number), and an answer of
 * Prism's own that breaks the spec becomes a 500.
 *
 * That second rule bites the spec itself: every example it ships has null where its schema
 * says object (line_type_intelligence, caller_name, ...), so Prism refuses to serve any of
 * them. The adapter therefore talks to Prism through a relay that asks for a schema-valid
 * generated answer (Prefer: dynamic=true) and records what Prism said; Twilio's examples
 * themselves are served verbatim to the adapter by a plain fake, read from the same file.
 */

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/twilio_lookups_v2.json');
const NUMBER = '+14159929960'; // the number in the spec's examples

const describeContract = describeIfSpec(SPEC, 'the Twilio Lookup contract test');

jest.setTimeout(60_000);

interface Exchange {
  status: number;
  body: string;
  violations: string | null;
}

/** Headers that belong to one hop, not to the request the adapter made. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

describeContract('TwilioLineTypeLookup against the official Twilio Lookup v2 spec (Prism)', () => {
  let prism: PrismMock | undefined;
  let relay: FakeServer | undefined;
  let prefer: string;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    prism = await startPrism(SPEC, { args: ['--errors'], timeoutMs: 50_000 });
    const prismUrl = prism.url;
    relay = await startFakeServer(async (req: RecordedRequest): Promise<FakeReply> => {
      const headers: Record<string, string> = { prefer };
      for (const [name, value] of Object.entries(req.headers)) {
        if (!HOP_HEADERS.has(name) && typeof value === 'string') headers[name] = value;
      }
      const res = await fetch(`${prismUrl}${req.url}`, { method: req.method, headers });
      const body = await res.text();
      exchanges.push({ status: res.status, body, violations: res.headers.get('sl-violations') });
      return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' }, body };
    });
  }, 60_000);

  afterAll(async () => {
    await relay?.close();
    await prism?.stop();
  });

  beforeEach(() => {
    exchanges.length = 0;
    prefer = 'dynamic=true';
  });

  function adapter(baseUrl: string): TwilioLineTypeLookup {
    return new TwilioLineTypeLookup({ ...TWILIO_ACCOUNT, baseUrl, timeoutMs: 10_000 });
  }

  function lookup(baseUrl: string, number = NUMBER): Promise<LineTypeAnswer> {
    return adapter(baseUrl).lookup(number, AbortSignal.timeout(15_000));
  }

  it('sends a request the spec accepts, and reads a spec-valid answer as a verdict on the number', async () => {
    // Generated answers vary (valid true or false, any type string): a few rounds cover both.
    for (let round = 0; round < 5; round++) {
      exchanges.length = 0;
      const answer = await lookup(relay!.url);

      expect(exchanges).toHaveLength(1);
      const [exchange] = exchanges;
      expect({ status: exchange.status, violations: exchange.violations }).toEqual({ status: 200, violations: null });
      const body = JSON.parse(exchange.body) as { valid: boolean; line_type_intelligence?: { type?: string } };
      if (!body.valid) {
        expect(answer).toEqual({ kind: 'known', lineType: 'unknown', vendorType: 'invalid', textable: false });
      } else {
        // Prism's made-up type is no Twilio type, so it must come out as unknown, keeping the word.
        expect(answer).toMatchObject({ kind: 'known', lineType: 'unknown', textable: true });
        if (body.line_type_intelligence?.type) expect(answer).toMatchObject({ vendorType: body.line_type_intelligence.type });
      }
    }
  });

  it('under --errors Prism faults only its own example answers, never the adapter’s request', async () => {
    prefer = 'example=fetchLineTypeIntelligence';

    const answer = await lookup(relay!.url);

    expect(exchanges).toHaveLength(1);
    const violations = JSON.parse(exchanges[0].violations ?? '[]') as { location: string[] }[];
    expect(exchanges[0].status).toBe(500);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.filter((v) => v.location[0] !== 'response')).toEqual([]);
    // And a 500 is an error to the caller, not a verdict.
    expect(answer).toMatchObject({ kind: 'error', detail: expect.stringContaining('500') });
  });

  describe('Twilio’s own examples, served verbatim', () => {
    const spec = fs.existsSync(SPEC) ? (JSON.parse(fs.readFileSync(SPEC, 'utf8')) as SpecShape) : undefined;
    let examples: FakeServer | undefined;
    let example = '';

    beforeAll(async () => {
      examples = await startFakeServer((req) => {
        const value = spec?.paths['/v2/PhoneNumbers/{PhoneNumber}'].get.responses['200'].content['application/json'].examples[example]?.value;
        return req.path === lookupPath(NUMBER) && value !== undefined ? json(200, value) : json(404, { code: 20404 });
      });
    });

    afterAll(async () => {
      await examples?.close();
    });

    it.each<[string, LineTypeAnswer]>([
      ['fetchLineTypeIntelligence', { kind: 'known', lineType: 'voip', vendorType: 'nonFixedVoip', textable: true, carrier: 'Twilio - SMS/MMS-SVR' }],
      ['fetchInvalid', { kind: 'known', lineType: 'unknown', vendorType: 'invalid', textable: false }],
      // The answer without Fields=line_type_intelligence: not the answer the adapter asked for.
      ['fetch', { kind: 'error', detail: expect.stringContaining('without line_type_intelligence') as unknown as string }],
    ])('%s', async (name, expected) => {
      example = name;

      expect(await lookup(examples!.url)).toEqual(expected);
    });
  });

  describe('Prism refuses what breaks the spec (so the checks above can fail)', () => {
    const auth = `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`;
    const query = '?Fields=line_type_intelligence';

    it('no HTTP Basic credentials: 401', async () => {
      const res = await fetch(`${prism!.url}${lookupPath(NUMBER)}${query}`);

      expect(res.status).toBe(401);
    });

    it('a POST instead of a GET: 405', async () => {
      const res = await fetch(`${prism!.url}${lookupPath(NUMBER)}${query}`, { method: 'POST', headers: { Authorization: auth } });

      expect(res.status).toBe(405);
    });

    it('no number in the path: 422', async () => {
      const res = await fetch(`${prism!.url}/v2/PhoneNumbers/${query}`, { headers: { Authorization: auth } });

      expect(res.status).toBe(422);
    });

    it('a path the spec does not have is Prism’s 404, which the adapter does not take for an invalid number', async () => {
      const answer = await lookup(`${prism!.url}/v1`);

      expect(answer).toMatchObject({ kind: 'error', detail: expect.stringContaining('404') });
    });
  });
});

interface SpecShape {
  paths: Record<string, { get: { responses: Record<string, { content: Record<string, { examples: Record<string, { value: unknown } | undefined> }> }> } }>;
}
