import { OutboundClient } from '../../src/outbound/client';
import { OutboundPolicy, type Resolver } from '../../src/outbound/policy';

/**
 * The outbound client as an operator testing locally configures it: the fakes listen on
 * 127.0.0.1, which the policy refuses unless OUTBOUND_ALLOWED_HOSTS names it.
 */
export function localOutbound(allowedHosts: string[] = ['127.0.0.1'], resolve?: Resolver): OutboundClient {
  return new OutboundClient(new OutboundPolicy({ allowedHosts }, resolve));
}
