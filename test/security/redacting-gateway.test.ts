import type { SmsGateway } from '../../src/sms/port';
import { gatewaySecrets, withSecretsRedacted } from '../../src/sms/redacting-gateway';

/**
 * A vendor's refusal is shown to admins and logged: whatever of our credentials it quotes
 * (raw, form-encoded or as HTTP Basic) comes out as [secret]; the rest stays readable.
 */

const SECRET = 'k3y+with/slash=';
const secrets = gatewaySecrets({
  vonage: { apiKey: 'key', apiSecret: SECRET, from: 'Acme', baseUrl: 'http://v' },
  plivo: { authId: 'MA1', authToken: 'plivo-token', from: '+1', baseUrl: 'http://p' },
});

function echoing(detail: string): SmsGateway {
  return {
    name: 'echo',
    send: async () => ({ outcome: 'permanent', code: 'http-400', detail, reason: 'rejected' }),
    parseReceipt: () => ({ ok: false, status: 403, error: 'unsigned' }),
  };
}

const send = (gateway: SmsGateway) => gateway.send({ id: 'm1', to: '+16175551234', body: 'hi' }, new AbortController().signal);

it('takes each credential out of a refusal, in whatever form the vendor echoed it', async () => {
  const basic = Buffer.from('MA1:plivo-token').toString('base64');
  const detail = `bad request: api_secret=${encodeURIComponent(SECRET)} secret=${SECRET} auth=Basic ${basic}`;
  const outcome = await send(withSecretsRedacted(echoing(detail), secrets));
  expect(outcome).toEqual({
    outcome: 'permanent',
    code: 'http-400',
    reason: 'rejected',
    detail: 'bad request: api_secret=[secret] secret=[secret] auth=Basic [secret]',
  });
});

it('leaves accepted sends and callbacks as they are', async () => {
  const accepting: SmsGateway = { name: 'ok', send: async () => ({ outcome: 'accepted', vendorMessageId: SECRET }) };
  expect(await send(withSecretsRedacted(accepting, secrets))).toEqual({ outcome: 'accepted', vendorMessageId: SECRET });
  const wrapped = withSecretsRedacted(echoing(''), secrets);
  expect(wrapped.name).toBe('echo');
  expect(wrapped.parseReceipt?.({ url: '', method: 'POST', headers: {}, rawBody: '', params: {} })).toEqual({ ok: false, status: 403, error: 'unsigned' });
  expect(wrapped.parseInbound).toBeUndefined();
});
