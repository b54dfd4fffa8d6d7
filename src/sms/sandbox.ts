import type { OutgoingSms, SendOutcome, SmsGateway } from './port';

/**
 * The default gateway: nothing leaves the machine. The message is stored by the call flow
 * like any other and reported as accepted, so a whole deflection can be walked without a
 * vendor account. Numbers listed in failNumbers are refused as invalid, so testers can
 * walk the "couldn't send" path too.
 */
export class SandboxGateway implements SmsGateway {
  readonly name = 'sandbox';
  /** Nothing leaves the server and the id is ours: sending again changes nothing. */
  readonly resendSafety = 'idempotent' as const;
  private readonly failNumbers: ReadonlySet<string>;

  constructor(failNumbers: readonly string[] = []) {
    this.failNumbers = new Set(failNumbers);
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
    return { outcome: 'accepted', vendorMessageId: `sandbox-${sms.id}` };
  }
}
