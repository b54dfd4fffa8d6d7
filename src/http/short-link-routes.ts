import express, { type Router } from 'express';
import type { Campaigns } from '../campaigns/registry';
import { SHORT_CODE_PATTERN } from '../shortener/builtin';
import type { Store } from '../store/port';
import { expiredPageView } from './link-expired-page';

/**
 * /s/{code}: counts the click and redirects to the interaction link. An expired link
 * answers 410 with a page in the campaign's language saying how to reach the company.
 */
export function shortLinkRoutes(store: Store, campaigns: Campaigns, now: () => Date = () => new Date()): Router {
  const router = express.Router();
  router.get('/:code', async (req, res) => {
    const code = req.params.code;
    const link = SHORT_CODE_PATTERN.test(code) ? await store.clickShortLink(code, now().toISOString()) : undefined;
    res.set('Cache-Control', 'no-store');
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
