import type { RequestHandler } from 'express';
import { actorOf } from './actor';
import type { AuditTrail } from './trail';

const HOUR_MS = 3_600_000;

/**
 * Token use, without flooding the trail: every change made with a token is recorded as
 * its own action (with the token as actor); on top, the first request of each token in
 * each clock hour (per instance) is recorded as token.use, reads included, so a token
 * that only reads still shows when, and from where, it was used.
 */
export function auditTokenUse(trail: AuditTrail, now: () => Date): RequestHandler {
  const lastHour = new Map<string, number>();
  return (req, _res, next) => {
    const actor = actorOf(req);
    const hour = Math.floor(now().getTime() / HOUR_MS);
    // Keyed by token and address: the same token from a new place is worth a line too.
    const key = `${actor.name} ${actor.ip ?? ''}`;
    if (lastHour.get(key) !== hour) {
      if (lastHour.size > 10_000) lastHour.clear();
      lastHour.set(key, hour);
      // Awaited (record never throws): the entry is in before the request's own.
      void trail.record(actor, 'token.use', `token:${actor.name}`, { method: req.method, path: req.baseUrl + req.path }).then(() => next());
      return;
    }
    next();
  };
}
