import type { Request, Response, Router } from 'express';
import { actorOf } from '../../audit/actor';
import { auditCampaignChange } from '../../audit/campaign-audit';
import type { CampaignEntry, SaveResult } from '../../campaigns/catalog';
import { CampaignIdParam } from '../../http/admin/schemas';
import type { FieldError } from '../../http/validation';
import type { ConsoleDeps } from '../routes';
import { PageError, render } from '../render';
import { currentSession } from '../session';
import { previewSms } from '../sms-preview';
import { FORM_WEEKDAYS, WEEKDAY_NAMES, type FormWeekday } from './hours-form';
import { sectionErrorKey, sectionView } from './section-editors';
import { campaignForm, documentFromForm, FORM_FIELDS, formFromDocument, type CampaignForm } from './campaign-form';
import { DTMF_KEYS, KEY_DEFAULTS, KEY_LABELS, KEY_NAMES, keysErrorKey } from './keys-form';
import { promptErrorKey, promptErrorPrefix, promptViews } from './prompts-form';
import { consoleRole } from '../roles';
import { hasRole } from '../../auth/roles';

/**
 * Campaigns in the console: the list with on/off switches, and one form for creating and
 * editing. Changes go through the same catalog as the API, so they are validated, written
 * to campaigns/ atomically and in service from the next call.
 */
export function campaignPages(router: Router, deps: ConsoleDeps): void {
  const { catalog, log } = deps;

  router.get('/campaigns', consoleRole('viewer'), (req, res) => {
    const saved = typeof req.query.saved === 'string' ? catalog.entry(req.query.saved) : undefined;
    render(res, 'campaigns', {
      title: 'Campaigns',
      nav: 'campaigns',
      campaigns: catalog.entries().sort((a, b) => a.campaign.name.localeCompare(b.campaign.name)),
      fileProblems: catalog.fileProblems(),
      saved: saved?.campaign.name ?? null,
    });
  });

  router.get('/campaigns/new', consoleRole('editor'), (_req, res) => {
    showForm(res, deps, { mode: 'new', form: campaignForm(), errors: [] });
  });

  router.post('/campaigns/new', consoleRole('editor'), async (req, res) => {
    const form = campaignForm(req.body);
    const built = documentFromForm(form);
    if (built.kind === 'invalid') return showForm(res, deps, { mode: 'new', form, errors: built.fields, status: 400 });
    const result = await catalog.create(built.document);
    await auditCampaignChange(deps.audit, actorOf(req), 'campaign.create', undefined, result);
    afterSave(res, deps, result, { mode: 'new', form });
  });

  router.get('/campaigns/:id', consoleRole('viewer'), (req, res) => {
    const entry = entryOf(req, deps);
    showForm(res, deps, { mode: 'edit', form: formFromDocument(entry.document, entry.version), errors: [], entry });
  });

  router.post('/campaigns/:id', consoleRole('editor'), async (req, res) => {
    const entry = entryOf(req, deps);
    const form = campaignForm(req.body, entry.id);
    const built = documentFromForm(form, entry.document);
    if (built.kind === 'invalid') return showForm(res, deps, { mode: 'edit', form, errors: built.fields, entry, status: 400 });
    const result = await catalog.update(entry.id, built.document, { ifMatch: form.version });
    await auditCampaignChange(deps.audit, actorOf(req), 'campaign.update', entry, result);
    afterSave(res, deps, result, { mode: 'edit', form, entry });
  });

  // The list's switches; If-Match keeps a stale list from undoing someone else's change.
  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    router.post(`/campaigns/:id/${action}`, consoleRole('editor'), async (req, res) => {
      const entry = entryOf(req, deps);
      // Switching off hands every caller back from the next call: the first post only asks
      // (a page, so it works without script); the confirm page's own post says yes.
      if (!active && req.body?.confirmed !== 'yes') {
        render(res, 'campaign-off', {
          title: `Switch off ${entry.campaign.name}?`,
          nav: 'campaigns',
          entry,
          version: String(req.body?.version ?? entry.version),
        });
        return;
      }
      const result = await catalog.setActive(entry.id, active, { ifMatch: String(req.body?.version ?? '') });
      if (result.kind !== 'saved') throw new PageError(409, refusal(result));
      await auditCampaignChange(deps.audit, actorOf(req), `campaign.${action}`, entry, result);
      log.info({ user: currentSession(res).user, campaignId: entry.id, active }, 'campaign switched in the console');
      res.redirect(303, '/admin/campaigns');
    });
  }

  router.post('/campaigns/:id/delete', consoleRole('editor'), async (req, res) => {
    const entry = entryOf(req, deps);
    if (req.body?.confirm !== entry.id) {
      throw new PageError(400, `To delete, type the campaign id "${entry.id}" in the confirmation box.`);
    }
    const result = await catalog.remove(entry.id, { ifMatch: String(req.body?.version ?? '') });
    if (result.kind !== 'saved') throw new PageError(409, refusal(result));
    await auditCampaignChange(deps.audit, actorOf(req), 'campaign.delete', entry, result);
    log.warn({ user: currentSession(res).user, campaignId: entry.id }, 'campaign deleted in the console');
    res.redirect(303, '/admin/campaigns');
  });

  // The live SMS preview: the form's script posts the message as it is typed.
  router.post('/campaigns-preview', consoleRole('editor'), (req, res) => {
    const message = typeof req.body?.message === 'string' ? req.body.message.slice(0, 5_000) : '';
    res.json(previewSms(message, deps.publicBaseUrl));
  });
}

interface FormView {
  mode: 'new' | 'edit';
  form: CampaignForm;
  errors: FieldError[];
  entry?: CampaignEntry;
  status?: number;
}

function showForm(res: Response, deps: ConsoleDeps, view: FormView): void {
  const known = new Set<string>(FORM_FIELDS);
  // Errors of fields the form shows go beside them; the rest beside the advanced settings.
  const errorsByField: Record<string, string[]> = {};
  for (const e of view.errors) {
    const head = e.field.split('.')[0] ?? '';
    // A prompt's, key's, limit's, variant's or availability's error goes beside its own
    // field (unless it is kept in advanced).
    const own = promptErrorKey(e.field, view.form.prompts) ?? keysErrorKey(e.field, view.form.keysKept);
    const section = own ? undefined : sectionErrorKey(e.field);
    if (section) {
      (errorsByField[section] ??= []).push(section === head && e.field !== head ? `${e.field}: ${e.message}` : e.message);
      continue;
    }
    const key = own ?? (known.has(head) ? head : 'advanced');
    const text = own?.startsWith('prompts.')
      ? `${promptErrorPrefix(e.field)}${e.message}`
      : key === 'hours' ? `${hoursPart(e.field)}${e.message}` : key === 'advanced' && e.field && e.field !== 'advanced' ? `${e.field}: ${e.message}` : e.message;
    (errorsByField[key] ??= []).push(text);
  }
  render(res, 'campaign-form', {
    // A viewer reads the form (read-only: no Save, no Delete); only an editor edits.
    title: view.mode === 'new' ? 'New campaign' : `${hasRole(res, 'editor') ? 'Edit ' : ''}${view.entry?.campaign.name ?? ''}`,
    nav: 'campaigns',
    status: view.status,
    mode: view.mode,
    form: view.form,
    entry: view.entry ?? null,
    errors: errorsByField,
    errorCount: view.errors.length,
    gateways: deps.gatewayNames,
    preview: previewSms(view.form.message, deps.publicBaseUrl),
    weekdays: FORM_WEEKDAYS.map((id) => ({ id, name: WEEKDAY_NAMES[id] })),
    timeZones: TIME_ZONES,
    prompts: promptViews(view.form.prompts, view.form),
    keyChoices: { names: KEY_NAMES, labels: KEY_LABELS, defaults: KEY_DEFAULTS, keys: DTMF_KEYS },
    sections: sectionView(view.form),
  });
}

// The picker's choices: every IANA zone this Node knows (the schema accepts the same).
const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

/** "Monday: " for hours.weekly.mon.0, "Holidays: " for hours.closed.1...: which field of the hours a message is about. */
function hoursPart(field: string): string {
  const [, part, key] = field.split('.');
  if (part === 'weekly' && key && key in WEEKDAY_NAMES) return `${WEEKDAY_NAMES[key as FormWeekday]}: `;
  if (part === 'closed') return 'Holidays: ';
  if (part === 'special') return 'Special days: ';
  return '';
}

function afterSave(res: Response, deps: ConsoleDeps, result: SaveResult, view: Omit<FormView, 'errors'>): void {
  if (result.kind === 'saved') {
    deps.log.info({ user: currentSession(res).user, campaignId: result.entry.id, action: view.mode === 'new' ? 'create' : 'update' }, 'campaign saved in the console');
    res.redirect(303, `/admin/campaigns?saved=${encodeURIComponent(result.entry.id)}`);
    return;
  }
  const errors: FieldError[] =
    result.kind === 'invalid'
      ? result.fields
      : [{ field: result.kind === 'conflict' && !result.currentVersion ? 'id' : '', message: refusal(result) }];
  showForm(res, deps, { ...view, errors, status: result.kind === 'invalid' ? 400 : 409 });
}

function refusal(result: Exclude<SaveResult, { kind: 'saved' }>): string {
  if (result.kind === 'not-found') return 'This campaign no longer exists.';
  if (result.kind === 'invalid') return result.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return result.currentVersion
    ? 'Someone changed this campaign since you opened it. Reload it to see their change, then make yours again.'
    : result.message;
}

function entryOf(req: Request, deps: ConsoleDeps): CampaignEntry {
  const id = CampaignIdParam.safeParse(req.params.id);
  const entry = id.success ? deps.catalog.entry(id.data) : undefined;
  if (!entry) throw new PageError(404, 'There is no campaign with this id. It may have been deleted.');
  return entry;
}
