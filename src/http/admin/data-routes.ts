import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { maskNumber } from '../../phone';
import { eraseNumber } from '../../retention/erasure';
import type { LegalHold, NumberKey, Store } from '../../store/port';
import { parseOr400 } from '../validation';

/**
 * Erasure of one number and legal holds (README "Data"). Who did it is the API bearer
 * (actor { kind: 'token', name: 'admin' }); until the audit trail is merged, each action
 * is logged as its entry would read, the number masked: the log must not undo an erasure.
 */

const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number (+ and 7 to 15 digits)');
const Reason = z.string().trim().min(3).max(500);

export const ErasureBody = z.strictObject({ number: E164, reason: Reason });
export const LegalHoldBody = z.union([
  z.strictObject({ number: E164, reason: Reason }),
  z.strictObject({ campaign: z.string().min(1).max(63), reason: Reason }),
]);
export const LegalHoldTarget = z.union([z.strictObject({ number: E164 }), z.strictObject({ campaign: z.string().min(1).max(63) })]);

const ACTOR = { kind: 'token', name: 'admin' } as const;

/** A hold as the API shows it: a held number masked, like every number the API answers. */
function holdView(hold: LegalHold): LegalHold {
  return hold.kind === 'number' ? { ...hold, value: maskNumber(hold.value) } : hold;
}

const target = (t: { number: string } | { campaign: string }) =>
  'number' in t ? { kind: 'number' as const, value: t.number } : { kind: 'campaign' as const, value: t.campaign };

export function dataRoutes(deps: { store: Store; log: Logger; now: () => Date; numberKey: NumberKey | undefined }): Router {
  const { store, log, now } = deps;
  const router = express.Router();

  router.post('/erasure', async (req, res) => {
    const body = parseOr400(ErasureBody, req.body, 'body', res);
    if (!body) return;
    if (!deps.numberKey) {
      res.status(503).json({ error: 'erasure needs ERASURE_KEY (the opt-out list keeps an erased number by it): set it and restart' });
      return;
    }
    const outcome = await eraseNumber(store, deps.numberKey, body.number);
    const number = maskNumber(body.number);
    if (outcome.kind === 'held') {
      log.warn({ actor: ACTOR, action: 'erasure.refused', number, hold: holdView(outcome.hold) }, 'erasure refused: legal hold');
      res.status(409).json({ error: `a legal hold covers this number (${outcome.hold.kind} ${holdView(outcome.hold).value})`, hold: holdView(outcome.hold) });
      return;
    }
    const at = now().toISOString();
    log.warn({ actor: ACTOR, action: 'erasure', number, reason: body.reason, removed: outcome.removed }, 'number erased');
    res.set('Cache-Control', 'no-store').json({ number, erasedAt: at, removed: outcome.removed, optOutKept: outcome.removed.suppressions! > 0 });
  });

  router.get('/legal-holds', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ holds: (await store.listLegalHolds()).map(holdView) });
  });

  router.post('/legal-holds', async (req, res) => {
    const body = parseOr400(LegalHoldBody, req.body, 'body', res);
    if (!body) return;
    const hold: LegalHold = { ...target(body), reason: body.reason, createdBy: 'admin-api', createdAt: now().toISOString() };
    await store.placeLegalHold(hold);
    log.warn({ actor: ACTOR, action: 'legal-hold.placed', hold: holdView(hold) }, 'legal hold placed');
    res.status(201).json(holdView(hold));
  });

  router.delete('/legal-holds', async (req, res) => {
    const q = parseOr400(LegalHoldTarget, req.query, 'query', res);
    if (!q) return;
    const { kind, value } = target(q);
    if (!(await store.liftLegalHold(kind, value))) {
      res.status(404).json({ error: 'no such legal hold' });
      return;
    }
    log.warn({ actor: ACTOR, action: 'legal-hold.lifted', kind, value: kind === 'number' ? maskNumber(value) : value }, 'legal hold lifted');
    res.status(204).end();
  });

  return router;
}
