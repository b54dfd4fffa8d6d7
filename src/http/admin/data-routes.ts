import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { actorOf } from '../../audit/actor';
import type { AuditTrail } from '../../audit/trail';
import { maskNumber } from '../../phone';
import { eraseNumber } from '../../retention/erasure';
import type { LegalHold, NumberKey, Store } from '../../store/port';
import { parseOr400 } from '../validation';
import { requireRole } from '../../auth/roles';

/**
 * Erasure of one number and legal holds (README "Data"). Each action is an audit trail
 * entry (who: the API bearer) and a log line, the number masked in both: neither may
 * undo an erasure.
 */

const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number (+ and 7 to 15 digits)');
const Reason = z.string().trim().min(3).max(500);

export const ErasureBody = z.strictObject({ number: E164, reason: Reason });
export const LegalHoldBody = z.union([
  z.strictObject({ number: E164, reason: Reason }),
  z.strictObject({ campaign: z.string().min(1).max(63), reason: Reason }),
]);
export const LegalHoldTarget = z
  .strictObject({ number: E164.optional().describe('a held number (E.164)'), campaign: z.string().min(1).max(63).optional().describe('a held campaign') })
  .refine((q) => (q.number === undefined) !== (q.campaign === undefined), { message: 'name either number or campaign', path: ['number'] });

const ErasureReport = z.object({
  number: z.string().describe('the erased number, masked'),
  erasedAt: z.string(),
  removed: z.record(z.string(), z.number().int()).describe('rows removed per table (suppressions, opt_out_changes: replaced by the key)'),
  optOutKept: z.boolean().describe('the number was on the opt-out list and stays on it, by its key'),
});
const HoldView = z.object({ kind: z.enum(['number', 'campaign']), value: z.string(), reason: z.string(), createdBy: z.string(), createdAt: z.string() });
const Problem = z.object({ error: z.string() });

/** The OpenAPI document's entries for these routes (src/http/admin/openapi.ts lists them). */
export const DATA_OPERATIONS = [
  {
    method: 'post',
    path: '/erasure',
    role: 'admin',
    tag: 'data',
    summary: 'Erase one number everywhere (calls, events, texts, consent, short links); the opt-out list keeps only its HMAC',
    body: { schema: z.toJSONSchema(ErasureBody, { io: 'input' }), description: 'the number (E.164) and why (logged)' },
    responses: {
      200: { description: 'what was removed, per table', schema: ErasureReport },
      400: { description: 'invalid input', schema: Problem },
      409: { description: 'a legal hold covers the number: nothing erased', schema: z.object({ error: z.string(), hold: HoldView }) },
      503: { description: 'ERASURE_KEY is not set: nothing erased', schema: Problem },
    },
  },
  {
    method: 'get',
    path: '/legal-holds',
    role: 'admin',
    tag: 'data',
    summary: 'The legal holds (numbers masked)',
    responses: { 200: { description: 'the holds', schema: z.object({ holds: z.array(HoldView) }) } },
  },
  {
    method: 'post',
    path: '/legal-holds',
    role: 'admin',
    tag: 'data',
    summary: 'Place a legal hold on a number or a campaign: kept whatever its age, and not erasable',
    body: { schema: z.toJSONSchema(LegalHoldBody, { io: 'input' }), description: 'number or campaign, and the reason' },
    responses: { 201: { description: 'the hold', schema: HoldView }, 400: { description: 'invalid input', schema: Problem } },
  },
  {
    method: 'delete',
    path: '/legal-holds',
    role: 'admin',
    tag: 'data',
    summary: 'Lift a legal hold (number or campaign in the query)',
    query: LegalHoldTarget,
    responses: {
      204: { description: 'lifted' },
      400: { description: 'invalid input', schema: Problem },
      404: { description: 'no such hold', schema: Problem },
    },
  },
] as const;

const ACTOR = { kind: 'token', name: 'admin' } as const;

/** A hold as the API shows it: a held number masked, like every number the API answers. */
function holdView(hold: LegalHold): LegalHold {
  return hold.kind === 'number' ? { ...hold, value: maskNumber(hold.value) } : hold;
}

const target = (t: { number: string } | { campaign: string }) =>
  'number' in t ? { kind: 'number' as const, value: t.number } : { kind: 'campaign' as const, value: t.campaign };

export function dataRoutes(deps: { store: Store; log: Logger; now: () => Date; numberKey: NumberKey | undefined; audit: AuditTrail }): Router {
  const { store, log, now, audit } = deps;
  const router = express.Router();

  router.post('/erasure', requireRole('admin'), async (req, res) => {
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
      await audit.record(actorOf(req), 'erasure.refused', `number:${number}`, { reason: body.reason, hold: holdView(outcome.hold) });
      res.status(409).json({ error: `a legal hold covers this number (${outcome.hold.kind} ${holdView(outcome.hold).value})`, hold: holdView(outcome.hold) });
      return;
    }
    const at = now().toISOString();
    log.warn({ actor: ACTOR, action: 'erasure', number, reason: body.reason, removed: outcome.removed }, 'number erased');
    await audit.record(actorOf(req), 'erasure', `number:${number}`, { reason: body.reason, removed: outcome.removed });
    res.set('Cache-Control', 'no-store').json({ number, erasedAt: at, removed: outcome.removed, optOutKept: outcome.removed.suppressions! > 0 });
  });

  router.get('/legal-holds', requireRole('admin'), async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ holds: (await store.listLegalHolds()).map(holdView) });
  });

  router.post('/legal-holds', requireRole('admin'), async (req, res) => {
    const body = parseOr400(LegalHoldBody, req.body, 'body', res);
    if (!body) return;
    const hold: LegalHold = { ...target(body), reason: body.reason, createdBy: 'admin-api', createdAt: now().toISOString() };
    await store.placeLegalHold(hold);
    log.warn({ actor: ACTOR, action: 'legal-hold.placed', hold: holdView(hold) }, 'legal hold placed');
    await audit.record(actorOf(req), 'legal-hold.place', `${hold.kind}:${holdView(hold).value}`, { reason: hold.reason });
    res.status(201).json(holdView(hold));
  });

  router.delete('/legal-holds', requireRole('admin'), async (req, res) => {
    const q = parseOr400(LegalHoldTarget, req.query, 'query', res);
    if (!q) return;
    const { kind, value } = q.number !== undefined ? target({ number: q.number }) : target({ campaign: q.campaign! });
    if (!(await store.liftLegalHold(kind, value))) {
      res.status(404).json({ error: 'no such legal hold' });
      return;
    }
    log.warn({ actor: ACTOR, action: 'legal-hold.lifted', kind, value: kind === 'number' ? maskNumber(value) : value }, 'legal hold lifted');
    await audit.record(actorOf(req), 'legal-hold.lift', `${kind}:${kind === 'number' ? maskNumber(value) : value}`);
    res.status(204).end();
  });

  return router;
}
