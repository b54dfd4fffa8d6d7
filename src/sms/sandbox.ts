import type { ChannelName } from '../channels/channel';
import type { OutgoingSms, SendOutcome, SmsGateway } from './port';

/**
 * The default gateway: nothing leaves the machine. The message is stored by the call flow
 * like any other and reported as accepted, so a whole deflection can be walked without a
 * vendor account, on every channel a gateway of ours carries (SMS, WhatsApp, RCS).
 * Numbers listed in failNumbers are refused as invalid, so testers can walk the "couldn't
 * send" path too; numbers in notOnChannelNumbers are "not on WhatsApp / no RCS" on every
 * channel but SMS, so they can walk a channel's fallback.
 */
export class SandboxGateway implements SmsGateway {
  readonly name = 'sandbox';
  /** Not c2m: LivePerson sends its invites itself (its own gateway). */
  readonly channels: readonly ChannelName[] = ['sms', 'whatsapp', 'rcs'];
  /** Nothing leaves the server and the id is ours: sending again changes nothing. */
  readonly resendSafety = 'idempotent' as const;
  private readonly failNumbers: ReadonlySet<string>;
  private readonly notOnChannelNumbers: ReadonlySet<string>;

  constructor(failNumbers: readonly string[] = [], notOnChannelNumbers: readonly string[] = []) {
    this.failNumbers = new Set(failNumbers);
    this.notOnChannelNumbers = new Set(notOnChannelNumbers);
  }

  async send(sms: OutgoingSms, _signal?: AbortSignal): Promise<SendOutcome> {
    if (this.failNumbers.has(sms.to)) {
      return {
        outcome: 'permanent',
        code: 'sandbox-refused',
        detail: 'number is listed in SANDBOX_FAIL_NUMBERS',
        reason: 'invalid-number',
      };
    }
    const channel = sms.channel ?? 'sms';
    if (channel !== 'sms' && this.notOnChannelNumbers.has(sms.to)) {
      return {
        outcome: 'permanent',
        code: 'sandbox-not-on-channel',
        detail: `number is listed in SANDBOX_NOT_ON_CHANNEL_NUMBERS: not reachable on ${channel}`,
        reason: 'not-on-channel',
      };
    }
    if (!this.channels.includes(channel)) {
      return { outcome: 'permanent', code: 'sandbox-channel', detail: `the sandbox does not carry ${channel}`, reason: 'rejected' };
    }
    return { outcome: 'accepted', vendorMessageId: `sandbox-${sms.id}` };
  }
}
