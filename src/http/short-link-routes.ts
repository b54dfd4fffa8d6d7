import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Campaigns } from '../campaigns/registry';
import { SHORT_CODE_PATTERN } from '../shortener/builtin';
import type { Store } from '../store/port';
import { expiredPageView } from './link-expired-page';
import { classifyVisit } from './link-visitor';
import { linkPageStyle } from './link-page-style';
import { linkPageHeaders } from './security/html-headers';
import { limitRequests } from './security/rate-limits';

export interface ShortLinkDeps {
  store: Store;
  campaigns: Campaigns;
  /** PUBLIC_BASE_URL: an https one turns HSTS on. */
  publicBaseUrl: string;
  /** Requests per minute per client address (SHORT_LINK_RATE_LIMIT); 0 means no limit. */
  rateLimit: number;
  log: Logger;
  now: () => Date;
}

/**
 * /s/{code}: counts the click and redirects to the interaction link. Only a person's
 * click counts: a HEAD, a messaging app's preview or a URL scanner (see link-visitor.ts)
 * gets the same redirect but is recorded as a preview. An expired link
 * answers 410 with a page in the campaign's language saying how to reach the company.
 * A client following links faster than SHORT_LINK_RATE_LIMIT a minute is guessing codes
 * (or counting clicks up): it gets 429 until the minute is over.
 */
export function shortLinkRoutes(deps: ShortLinkDeps): Router {
  const { store, campaigns, now } = deps;
  const style = linkPageStyle();
  const router = express.Router();
  router.use(linkPageHeaders({ https: /^https:/i.test(deps.publicBaseUrl), styleHash: style.hash }));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.locals.style = style.css;
    next();
  });
  if (deps.rateLimit > 0) {
    router.use(
      limitRequests({
        name: 'short links',
        windowMs: 60_000,
        limit: deps.rateLimit,
        refuse: (_req, res, retryAfterSeconds) => res.status(429).render('link-rate-limited', { retryAfterSeconds }),
        log: deps.log,
      }),
    );
  }
  router.get('/:code', async (req, res) => {
    const code = req.params.code;
    // Express answers HEAD with this GET route (without the body): req.method says which.
    const visit = classifyVisit({
      method: req.method,
      userAgent: req.get('user-agent'),
      accept: req.get('accept'),
      purpose: req.get('sec-purpose') ?? req.get('purpose'),
    });
    const link = SHORT_CODE_PATTERN.test(code) ? await store.clickShortLink(code, now().toISOString(), visit) : undefined;
    if (!link) {
      res.status(404).render('link-not-found');
      return;
    }
    if (link.expired) {
      const campaign = link.campaignId ? campaigns.get(link.campaignId) : undefined;
      res.status(410).render('link-expired', expiredPageView(campaign));
      return;
    }
    res.redirect(302, link.target);
  });
  return router;
}
