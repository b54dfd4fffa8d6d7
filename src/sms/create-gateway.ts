import type { Config } from '../config';
import type { SmsGateway } from './port';
import { SandboxGateway } from './sandbox';

/** Picks the configured gateway adapter (SMS_GATEWAY). */
export function createGateway(config: Pick<Config, 'smsGateway' | 'sandboxFailNumbers'>): SmsGateway {
  switch (config.smsGateway) {
    case 'sandbox':
      return new SandboxGateway(config.sandboxFailNumbers);
    default:
      throw new Error(`gateway ${config.smsGateway} is not wired yet`);
  }
}
