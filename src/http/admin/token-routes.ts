import express, { type Router } from 'express';
import type { ApiTokens } from '../../api-tokens/tokens';
import { NewTokenFields } from '../../api-tokens/schemas';
import { actorOf } from '../../audit/actor';
import { requireRole } from '../../auth/roles';
import { parseOr400 } from '../validation';

/**
 * Named API tokens, for the admin role only: POST /api/tokens makes one and answers its
 * secret, the only time it is ever shown; GET /api/tokens lists them (no secret, no hash);
 * DELETE /api/tokens/:id revokes one, from the next request on.
 */
export function tokenRoutes(tokens: ApiTokens): Router {
  const router = express.Router();
  const adminOnly = requireRole('admin');

  router.get('/tokens', adminOnly, async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ tokens: await tokens.list() });
  });

  router.post('/tokens', adminOnly, async (req, res) => {
    const fields = parseOr400(NewTokenFields, req.body, 'body', res);
    if (!fields) return;
    const outcome = await tokens.create(fields, actorOf(req));
    res.set('Cache-Control', 'no-store');
    if (outcome.kind === 'name-taken') {
      res.status(409).json({ error: `an active token is already named ${fields.name}: revoke it first, or choose another name` });
      return;
    }
    if (outcome.kind === 'expired') {
      res.status(400).json({ error: 'expiresAt is in the past' });
      return;
    }
    res.status(201).json({ token: outcome.token, secret: outcome.secret });
  });

  router.delete('/tokens/:id', adminOnly, async (req, res) => {
    const revoked = await tokens.revoke(String(req.params.id).slice(0, 100), actorOf(req));
    if (!revoked) {
      res.status(404).json({ error: 'no active token has that id' });
      return;
    }
    res.json({ token: revoked });
  });
  return router;
}
