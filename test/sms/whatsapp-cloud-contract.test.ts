import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutgoingSms } from '../../src/sms/port';
import { WhatsappCloudGateway } from '../../src/sms/whatsapp-cloud';
import type { FakeServer } from '../fakes/fake-server';
import { startFakeWhatsapp, WA_APP_SECRET, WA_PHONE_NUMBER_ID, WA_TOKEN, WA_VERIFY_TOKEN, WA_VERSION } from '../fakes/whatsapp-cloud';
import { describeIfSpec, startPrism, type PrismMock } from '../helpers/prism';

/**
 * The adapter against Meta's official OpenAPI spec of the Cloud API (operation
 * sendMessage, POST /{Version}/{Phone-Number-ID}/messages), served by Prism:
 * - as a validating mock (--errors): every request the adapter makes (a template with
 *   body and URL-button variables, a template without, a text) must pass, or Prism answers
 *   422 with the violations; the answer is then the spec's own example, with its wamid;
 * - as a validating proxy in front of our fake: the fake's answers must match the spec's
 *   response schema (Prism lists breaches in the sl-violations header).
 *
 * One erratum is applied to a copy of the spec, and checked to still be needed: the
 * button component's `index` has the pattern `^[2-6, 11-14]$`, which refuses "0", while
 * the same field's description says "Position index of the button (0-9)" and Meta's
 * template guide sends index "0" for the first button
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates).
 * The copy uses `^[0-9]$`, as the description says.
 */

const SPEC = path.resolve(__dirname, '../../../shared/vendor-specs/whatsapp_business_messaging_v23.0.yaml');
const BROKEN_INDEX_PATTERN = 'pattern: ^[2-6, 11-14]$';

const describeContract = describeIfSpec(SPEC, 'the WhatsApp Cloud API contract test');

jest.setTimeout(90_000);

const template: OutgoingSms = {
  id: 'msg-1',
  to: '+16505551234',
  body: 'Chat with us: https://x.example/c/abc',
  channel: 'whatsapp',
  template: { name: 'chat_link', language: 'en_US', body: ['https://x.example/c/abc'], urlButton: 'abc' },
};

describeContract('WhatsappCloudGateway against Meta’s official Cloud API spec (Prism)', () => {
  let specCopy: string;
  let mock: PrismMock | undefined;
  let proxy: PrismMock | undefined;
  let fake: FakeServer | undefined;

  beforeAll(async () => {
    const original = fs.readFileSync(SPEC, 'utf8');
    // Both the base TemplateComponent and ButtonComponent carry it; if Meta fixes it, this fails and the erratum goes.
    expect(original.split(BROKEN_INDEX_PATTERN).length - 1).toBe(2);
    specCopy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wa-spec-')), 'whatsapp.yaml');
    fs.writeFileSync(specCopy, original.split(BROKEN_INDEX_PATTERN).join('pattern: ^[0-9]$'));
    fake = await startFakeWhatsapp();
    [mock, proxy] = await Promise.all([
      startPrism(specCopy, { args: ['--errors'], timeoutMs: 80_000 }),
      startPrism(specCopy, { command: 'proxy', upstream: fake.url, args: ['--errors'], timeoutMs: 80_000 }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([mock?.stop(), proxy?.stop(), fake?.close()]);
  });

  const gateway = (baseUrl: string) =>
    new WhatsappCloudGateway({ accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, appSecret: WA_APP_SECRET, verifyToken: WA_VERIFY_TOKEN, baseUrl, apiVersion: WA_VERSION });

  it.each<[string, OutgoingSms]>([
    ['a template with body and URL-button variables', template],
    ['a template without variables', { ...template, template: { name: 'hello_world', language: 'en_US', body: [] } }],
    ['a template with body variables only', { ...template, template: { name: 'chat_link_body', language: 'es', body: ['Ana', 'https://x.example/c/abc'] } }],
    ['a text (no template)', { id: 'msg-2', to: '+16505551234', body: 'Chat: https://x.example/c/q', channel: 'whatsapp' }],
  ])('the spec accepts %s, and its example answer reads as accepted with the wamid', async (_label, sms) => {
    const outcome = await gateway(mock!.url).send(sms, AbortSignal.timeout(30_000));

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA' });
  });

  it('Prism does refuse a request that breaks the spec (a template language without its policy)', async () => {
    const res = await fetch(`${mock!.url}/${WA_VERSION}/${WA_PHONE_NUMBER_ID}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${WA_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '+16505551234', type: 'template', template: { name: 'x', language: { code: 'en_US' } } }),
    });

    expect(res.status).toBe(422);
    expect(await res.text()).toContain("template.language must have required property 'policy'");
  });

  it('the fake’s answer to the adapter’s request matches the spec’s response schema (proxy)', async () => {
    const before = fake!.requests.length;
    const outcome = await gateway(proxy!.url).send(template, AbortSignal.timeout(30_000));

    expect(fake!.requests.length).toBe(before + 1);
    expect(outcome).toMatchObject({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^wamid\./) });
    // The proxy turns a breach on either side into an error with --errors.
    expect(proxy!.output()).not.toMatch(/violation/i);
  });
});
