import { SandboxGateway } from '../../src/sms/sandbox';
import { campaign, startTestServer } from '../helpers/server';

/** The sandbox carries every channel a gateway of ours does, so testers need no vendor account. */

const NOT_ON_CHANNEL = '+16175559876';
const TEMPLATE = { name: 'chat_link', language: 'en_US', body: ['https://t.example.test/s/abc1234'] };

describe('the sandbox gateway on channels', () => {
  const sandbox = new SandboxGateway(['+15005550001'], [NOT_ON_CHANNEL]);

  it('says it carries SMS, WhatsApp and RCS (LivePerson sends its own invites)', () => {
    expect(sandbox.channels).toEqual(['sms', 'whatsapp', 'rcs']);
  });

  it.each(['whatsapp', 'rcs'] as const)('accepts a %s message', async (channel) => {
    const outcome = await sandbox.send({ id: 'm1', to: '+16175551234', body: 'x', channel, ...(channel === 'whatsapp' ? { template: TEMPLATE } : {}) });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'sandbox-m1' });
  });

  it.each(['whatsapp', 'rcs'] as const)('answers not-on-channel for a listed number on %s', async (channel) => {
    const outcome = await sandbox.send({ id: 'm2', to: NOT_ON_CHANNEL, body: 'x', channel });
    expect(outcome).toMatchObject({ outcome: 'permanent', reason: 'not-on-channel' });
  });

  it('still texts a listed number by SMS (the fallback reaches it)', async () => {
    expect(await sandbox.send({ id: 'm3', to: NOT_ON_CHANNEL, body: 'x' })).toEqual({ outcome: 'accepted', vendorMessageId: 'sandbox-m3' });
    expect(await sandbox.send({ id: 'm4', to: NOT_ON_CHANNEL, body: 'x', channel: 'sms' })).toMatchObject({ outcome: 'accepted' });
  });

  it('refuses a C2M invite: it is not a channel the sandbox carries', async () => {
    const outcome = await sandbox.send({ id: 'm5', to: '+16175551234', body: 'x', channel: 'c2m', c2m: { callId: 'c' } });
    expect(outcome).toMatchObject({ outcome: 'permanent', reason: 'rejected' });
  });
});

describe('a campaign whose channel gateway cannot carry the channel', () => {
  it('is refused at start-up, naming the entry and the gateway', () => {
    const unconfigured = campaign({
      channels: {
        list: [
          { channel: 'rcs', gateway: 'twilio', message: 'Chat: {link}' },
          { channel: 'c2m', skill: 'support', handoffId: 'H1' },
        ],
      },
    });
    expect(() => startTestServer({ campaigns: [unconfigured] })).toThrow(
      /channels\.list\.0\.gateway: twilio is not configured[^]*channels\.list\.1\.channel: liveperson-c2m is not configured/,
    );
  });

  it('is refused when a configured gateway does not carry the channel', () => {
    // A gateway that lists no channels carries SMS only (every SMS vendor before issue 18).
    const smsOnly = { name: 'twilio', send: async () => ({ outcome: 'accepted' as const, vendorMessageId: 'x' }) };
    const c = campaign({ channels: { list: [{ channel: 'rcs', gateway: 'twilio', message: 'Chat: {link}' }] } });
    expect(() => startTestServer({ campaigns: [c], gateways: [smsOnly] })).toThrow(
      'channels.list.0.gateway: twilio does not carry rcs (it carries sms)',
    );
  });

  it('is refused when its own SMS gateway (gateway, fallbackGateway) carries no text: a WhatsApp-only gateway is named in channels', () => {
    const whatsappOnly = { name: 'twilio', channels: ['whatsapp' as const], send: async () => ({ outcome: 'accepted' as const, vendorMessageId: 'x' }) };
    expect(() => startTestServer({ campaigns: [campaign({ gateway: 'twilio' })], gateways: [whatsappOnly] })).toThrow(
      'gateway: twilio does not carry sms (it carries whatsapp): name it in channels instead',
    );
    expect(() => startTestServer({ campaigns: [campaign({ fallbackGateway: 'twilio' })], gateways: [whatsappOnly] })).toThrow(
      'fallbackGateway: twilio does not carry sms',
    );
  });
});
