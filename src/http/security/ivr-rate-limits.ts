import type { Request, RequestHandler, Response } from 'express';
import { inNetworks, networkList } from './cidr';
import { fromSimulator, type IvrAccess } from './ivr-access';
import { limitRequests } from './rate-limits';
import type { IvrRateLimits } from './settings';

/**
 * Per-address budgets on the two IVR requests that cost the brand: /vxml/start (a call,
 * maybe a paid availability check or lookup) and the send step (/vxml/confirm, which
 * texts the number). One script on one address cannot walk hundreds of calls a minute
 * and text hundreds of numbers; the VoiceXML platform, whose one address carries every
 * call, gets its own larger budget when its networks are in IVR_ALLOWED_CIDRS.
 *
 * The address is req.ip: behind a load balancer only TRUST_PROXY makes it the caller's.
 * The console's simulated calls count as the platform's. A refused request gets 429 with
 * Retry-After and the hand-back document (the caller hears the call end politely), and a
 * log line naming the setting.
 */

const SETTING: Record<keyof IvrRateLimits, { platform: string; other: string }> = {
  start: { platform: 'IVR_PLATFORM_START_RATE_LIMIT', other: 'IVR_START_RATE_LIMIT' },
  send: { platform: 'IVR_PLATFORM_SEND_RATE_LIMIT', other: 'IVR_SEND_RATE_LIMIT' },
};

const MINUTE_MS = 60_000;

export function limitIvrStep(
  step: keyof IvrRateLimits,
  access: IvrAccess,
  refuseTooMany: (req: Request, res: Response) => void,
): RequestHandler {
  const isSimulated = fromSimulator(access);
  const budgets = access.settings.rateLimits[step];
  const platformNetworks = networkList(access.settings.allowedCidrs);
  const limiter = (limit: number, setting: string): RequestHandler | undefined =>
    limit === 0 ? undefined : limitRequests({ name: setting, windowMs: MINUTE_MS, limit, refuse: refuseTooMany, log: access.log });
  const platform = limiter(budgets.platform, SETTING[step].platform);
  const other = limiter(budgets.other, SETTING[step].other);
  return (req, res, next) => {
    const fromPlatform = inNetworks(platformNetworks, req.ip) || isSimulated(req);
    const chosen = fromPlatform ? platform : other;
    if (chosen) chosen(req, res, next);
    else next();
  };
}
