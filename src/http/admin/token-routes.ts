import express, { type Router } from 'express';
import type { ApiTokens } from '../../api-tokens/tokens';
import { z } from 'zod';
import { NewTokenFields, TokenViewSchema } from '../../api-tokens/schemas';
import { actorOf } from '../../audit/actor';
import { requireRole } from '../../auth/roles';
import { parseOr400 } from '../validation';

const Problem = z.object({ error: z.string() }).loose();
const forbidden = { description: 'the bearer token does not have the admin role', schema: Problem };

/** The routes below in the OpenAPI document (openapi.ts). */
export const TOKEN_OPERATIONS = [
  {
    method: 'get',
    path: '/tokens',
    tag: 'tokens',
    role: 'admin',
    summary: 'The named API tokens, newest first, revoked and expired ones included (never a secret or its hash); admin role',
    responses: { 200: { description: 'the tokens', schema: z.object({ tokens: z.array(TokenViewSchema) }) }, 403: forbidden },
  },
  {
    method: 'post',
    path: '/tokens',
    tag: 'tokens',
    role: 'admin',
    summary: 'Make a named API token with a role (viewer, editor, admin): its secret is in this answer and never again; admin role',
    body: { schema: z.toJSONSchema(NewTokenFields, { io: 'input' }), description: 'name (the audit trail names the token so), role, and optionally when it expires' },
    responses: {
      201: { description: 'the token, and its secret: keep it now, it is not shown again', schema: z.object({ token: TokenViewSchema, secret: z.string() }) },
      400: { description: 'invalid input, or an expiry already past', schema: Problem },
      403: forbidden,
      409: { description: 'an active token already has this name', schema: Problem },
    },
  },
  {
    method: 'delete',
    path: '/tokens/{id}',
    tag: 'tokens',
    role: 'admin',
    summary: 'Revoke a named API token: refused from the next request on, on every instance; admin role',
    responses: { 200: { description: 'the revoked token', schema: z.object({ token: TokenViewSchema }) }, 403: forbidden, 404: { description: 'no active token has this id', schema: Problem } },
  },
] as const;

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
