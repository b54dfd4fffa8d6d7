import type { Response, Router } from 'express';
import { z } from 'zod';
import { NewTokenFields } from '../../api-tokens/schemas';
import { ApiTokens, type TokenView } from '../../api-tokens/tokens';
import { actorOf } from '../../audit/actor';
import { ROLES } from '../../auth/roles';
import { consoleRole } from '../roles';
import { fieldErrors } from '../../http/validation';
import { render } from '../render';
import type { ConsoleDeps } from '../routes';

/**
 * API tokens, for admins: the list (never a secret), a form that makes one and shows its
 * secret on the answer to that form only (it is stored hashed: no page can show it again),
 * and a revoke button per active token that asks for a ticked confirmation.
 */

type Errors = Record<string, string>;
const errorsOf = (error: z.ZodError): Errors => Object.fromEntries(fieldErrors(error).map((e) => [e.field, e.message]));
const text = (input: unknown, name: string): string => {
  const v = (input as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

// The form's date (a day, UTC) as the API's expiresAt: the token stops at 00:00 UTC that day.
const CreateForm = z.object({
  name: z.string().default(''),
  role: z.string().default(''),
  expires: z.union([z.literal(''), z.iso.date('a date, e.g. 2027-01-31')]).default(''),
});
const RevokeForm = z.object({ understood: z.literal('yes', 'Tick the box to confirm: programs using this token stop working at once.') });

const ROLE_HELP: Record<(typeof ROLES)[number], string> = {
  viewer: 'Viewer: reports, calls, masked messages',
  editor: 'Editor: also campaigns and the service switch',
  admin: 'Admin: everything, including whole numbers, erasure and API tokens',
};

/** Admins only: a signed-in viewer or editor gets the console's own 403 page. */
const adminOnly = consoleRole('admin');

export function tokenPages(router: Router, { store, log, now, audit }: ConsoleDeps): void {
  const tokens = new ApiTokens(store, audit, log, now);

  interface View {
    created?: { token: TokenView; secret: string };
    form?: { values: Record<string, string>; errors: Errors };
    revoke?: { id: string; error: string };
    notice?: string;
    status?: number;
  }

  const show = async (res: Response, view: View): Promise<void> => {
    render(res, 'tokens', {
      title: 'API tokens',
      nav: 'tokens',
      status: view.status ?? 200,
      tokens: await tokens.list(),
      roles: ROLES.map((id) => ({ id, label: ROLE_HELP[id] })),
      created: view.created ?? null,
      form: view.form ?? { values: { name: '', role: 'viewer', expires: '' }, errors: {} },
      revoke: view.revoke ?? null,
      notice: view.notice ?? null,
    });
  };

  router.get('/tokens', adminOnly, async (req, res) => {
    const revoked = typeof req.query.revoked === 'string' && /^[a-z0-9][a-z0-9-]{0,39}$/.test(req.query.revoked) ? req.query.revoked : null;
    await show(res, revoked ? { notice: `The token ${revoked} is revoked: it is refused from now on.` } : {});
  });

  router.post('/tokens', adminOnly, async (req, res) => {
    const values = { name: text(req.body, 'name'), role: text(req.body, 'role'), expires: text(req.body, 'expires') };
    const form = CreateForm.safeParse(values);
    const fields = NewTokenFields.safeParse({
      name: values.name,
      role: values.role,
      ...(form.success && form.data.expires ? { expiresAt: `${form.data.expires}T00:00:00Z` } : {}),
    });
    const errors = { ...(form.success ? {} : errorsOf(form.error)), ...(fields.success ? {} : errorsOf(fields.error)) };
    if (errors.expiresAt) errors.expires = errors.expiresAt;
    if (!fields.success || !form.success) return show(res, { form: { values, errors }, status: 400 });
    const outcome = await tokens.create(fields.data, actorOf(req));
    if (outcome.kind === 'name-taken') return show(res, { form: { values, errors: { name: 'An active token has this name: revoke it first, or choose another.' } }, status: 409 });
    if (outcome.kind === 'expired') return show(res, { form: { values, errors: { expires: 'Choose a day after today.' } }, status: 400 });
    // Not a redirect: the secret exists only in this answer (never cached: render sets no-store).
    await show(res, { created: { token: outcome.token, secret: outcome.secret }, status: 201 });
  });

  router.post('/tokens/:id/revoke', adminOnly, async (req, res) => {
    const id = String(req.params.id);
    if (!RevokeForm.safeParse(req.body ?? {}).success) {
      return show(res, { revoke: { id, error: 'Tick the box to confirm: programs using this token stop working at once.' }, status: 400 });
    }
    const revoked = await tokens.revoke(id, actorOf(req));
    if (!revoked) return show(res, { notice: 'That token is not active any more (someone revoked it already).', status: 409 });
    // Post/redirect/get: reloading the page revokes nothing again.
    res.redirect(303, `/admin/tokens?revoked=${encodeURIComponent(revoked.name)}`);
  });
}
