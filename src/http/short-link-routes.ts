import express, { type Router } from 'express';
import { SHORT_CODE_PATTERN } from '../shortener/builtin';
import type { Store } from '../store/port';

/** /s/{code}: counts the click and redirects to the interaction link. */
export function shortLinkRoutes(store: Store, now: () => Date = () => new Date()): Router {
  const router = express.Router();
  router.get('/:code', async (req, res) => {
    const code = req.params.code;
    const link = SHORT_CODE_PATTERN.test(code) ? await store.clickShortLink(code, now().toISOString()) : undefined;
    res.set('Cache-Control', 'no-store');
    if (!link) {
      res.status(404).render('link-not-found');
      return;
    }
    res.redirect(302, link.target);
  });
  return router;
}
