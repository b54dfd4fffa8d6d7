import { z } from 'zod';

/** GET /api/audit's query (the console page parses its own form, with the same fields). */
export const AuditQueryParams = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional().describe('entries at or after this time'),
    to: z.iso.datetime({ offset: true }).optional().describe('entries before this time'),
    actor: z.string().trim().min(1).max(200).optional().describe('the actor name, exactly (a user name, oidc:<host>:<sub>, admin for the API token)'),
    action: z
      .string()
      .regex(/^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/, 'must be an action name like campaign or campaign.update')
      .max(100)
      .optional()
      .describe('the action, or a group of them: campaign finds campaign.create, campaign.update, ...'),
    beforeId: z.coerce.number().int().min(1).optional().describe('paging: the nextBeforeId of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(100).describe('entries per page (JSON; CSV exports every match, up to 50,000)'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

export const AuditEntryView = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.object({ kind: z.enum(['user', 'token', 'system']), name: z.string(), ip: z.string().nullable() }),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable().describe('how: a campaign change\'s diff (changes: JSON pointer, old, new; numbers and secrets masked), a reveal\'s reason'),
  hash: z.string().describe('SHA-256 (hex) of the previous entry\'s hash and this entry\'s content'),
});

export const AuditChainView = z.object({
  ok: z.boolean().describe('false: an entry was edited or removed at or just before brokenAt'),
  checked: z.number().int(),
  brokenAt: z.number().int().optional(),
  checkpoint: z.object({ throughId: z.number().int(), hash: z.string(), prunedAt: z.string(), pruned: z.number().int() }).nullable(),
});

export const AuditListView = z.object({
  entries: z.array(AuditEntryView),
  nextBeforeId: z.number().int().nullable(),
  chain: AuditChainView,
});
