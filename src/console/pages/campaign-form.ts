import type { FieldError } from '../../http/validation';
import { hoursFormFromBody, hoursFormFromDocument, hoursFromForm, type HoursForm } from './hours-form';
import { keysFormFromBody, keysFormFromDocument, keysFromForm, keysInAdvanced, type KeysForm } from './keys-form';
import { promptsFormFromBody, promptsFormFromDocument, promptsFromForm, type PromptsForm } from './prompts-form';
import { availabilityFormFromBody, availabilityFormFromDocument, availabilityFromForm, type AvailabilityForm } from './availability-form';
import { limitsFormFromBody, limitsFormFromDocument, limitsFromForm, type LimitsForm } from './limits-form';
import { variantsFitForm, variantsFormFromBody, variantsFormFromDocument, variantsFromForm, type VariantsForm } from './variants-form';

/**
 * The campaign form: the fields most campaigns change are form fields, and so are opening
 * hours and holidays (hours-form.ts), prompts (prompts-form.ts), keys (keys-form.ts),
 * limits (limits-form.ts), variants (variants-form.ts) and availability
 * (availability-form.ts); the rest (channels, context, timers...) is edited as JSON in
 * "advanced", and so is a prompt or variant whose shape the fields cannot show exactly.
 * The form is turned into the same document a campaign file holds and validated by the
 * catalog, so the console can never accept what the API or a file would refuse.
 */

/** The fields the form shows one by one, in the order they are written to the file. */
export const FORM_FIELDS = ['id', 'name', 'active', 'dnis', 'message', 'link', 'language', 'country', 'timeZone', 'hours', 'linkTtlMinutes', 'gateway'] as const;
type FormField = (typeof FORM_FIELDS)[number];
/** Settings with editors of their own, also kept out of the advanced JSON (variants only when the rows can show them). */
export const SECTION_FIELDS = ['limits', 'variants', 'availability'] as const;

export type CampaignForm = Record<Exclude<FormField, 'active' | 'hours'>, string> & {
  active: boolean;
  /** Opening hours and holidays as fields (hours-form.ts). */
  hours: HoursForm;
  /** Prompts as text and audio fields (prompts-form.ts). */
  prompts: PromptsForm;
  /** DTMF keys as selects (keys-form.ts); keysKept: they are in advanced instead. */
  keys: KeysForm;
  keysKept: boolean;
  limits: LimitsForm;
  variants: VariantsForm;
  availability: AvailabilityForm;
  /** The rest of the document as JSON text. */
  advanced: string;
  /** The version the form was opened on (If-Match), empty for a new campaign. */
  version: string;
};

const text = (body: Record<string, unknown>, name: string): string => {
  const value = body[name];
  return typeof value === 'string' ? value : '';
};

/** The form as submitted (or blank with sensible defaults); an edit's id comes from the URL. */
export function campaignForm(body: unknown = undefined, id?: string): CampaignForm {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const blank = body === undefined;
  const advanced = blank ? '{}' : text(b, 'advanced');
  return {
    id: id ?? text(b, 'id').trim(),
    name: text(b, 'name'),
    active: blank ? true : b.active === 'on' || b.active === 'true',
    dnis: text(b, 'dnis'),
    message: blank ? 'Chat with us: {link} Reply STOP to opt out.' : text(b, 'message'),
    link: text(b, 'link'),
    language: blank ? 'en-US' : text(b, 'language'),
    country: blank ? 'US' : text(b, 'country'),
    timeZone: text(b, 'timeZone'),
    hours: hoursFormFromBody(b, blank),
    limits: limitsFormFromBody(b, blank),
    variants: variantsFormFromBody(b),
    availability: availabilityFormFromBody(b, blank),
    linkTtlMinutes: text(b, 'linkTtlMinutes'),
    gateway: text(b, 'gateway'),
    prompts: promptsFormFromBody(b, advanced),
    keys: keysFormFromBody(b),
    keysKept: keysInAdvanced(advanced),
    advanced,
    version: text(b, 'version'),
  };
}

/** The form for a campaign as its file holds it. */
export function formFromDocument(document: Record<string, unknown>, version = ''): CampaignForm {
  const { $schema: _schema, ...rest } = document;
  const advanced: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    const edited = key === 'variants' ? variantsFitForm(value) : (SECTION_FIELDS as readonly string[]).includes(key);
    if (!(FORM_FIELDS as readonly string[]).includes(key) && key !== 'prompts' && key !== 'keys' && !edited) advanced[key] = value;
  }
  // What the prompt and key fields cannot show exactly stays JSON (see their modules).
  const prompts = promptsFormFromDocument(rest.prompts);
  const keys = keysFormFromDocument(rest.keys);
  Object.assign(advanced, prompts.advanced, keys.advanced);
  const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  return {
    id: str(rest.id),
    name: str(rest.name),
    active: rest.active !== false,
    dnis: Array.isArray(rest.dnis) ? rest.dnis.map(String).join('\n') : '',
    message: str(rest.message),
    link: str(rest.link),
    language: str(rest.language),
    country: str(rest.country),
    timeZone: str(rest.timeZone),
    hours: hoursFormFromDocument(rest.hours),
    limits: limitsFormFromDocument(rest.limits),
    variants: variantsFormFromDocument(rest.variants),
    availability: availabilityFormFromDocument(rest.availability),
    linkTtlMinutes: str(rest.linkTtlMinutes),
    gateway: str(rest.gateway),
    prompts: prompts.form,
    keys: keys.form,
    keysKept: keys.advanced !== undefined,
    advanced: JSON.stringify(advanced, null, 2),
    version,
  };
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

export type BuiltDocument = { kind: 'built'; document: Record<string, unknown> } | { kind: 'invalid'; fields: FieldError[] };

/**
 * The campaign document from the form. Only what the form itself can tell is checked
 * here (the advanced JSON parses, the minutes are a number); the campaign rules are the
 * catalog's. Empty optional fields are left out, so the defaults apply.
 */
export function documentFromForm(form: CampaignForm, previous?: Record<string, unknown>): BuiltDocument {
  let advanced: unknown;
  try {
    advanced = JSON.parse(form.advanced.trim() || '{}');
  } catch (err) {
    return { kind: 'invalid', fields: [{ field: 'advanced', message: `is not valid JSON (${(err as Error).message})` }] };
  }
  if (!advanced || typeof advanced !== 'object' || Array.isArray(advanced)) {
    return { kind: 'invalid', fields: [{ field: 'advanced', message: 'must be a JSON object: { ... }' }] };
  }
  const { prompts: advancedPrompts, keys: advancedKeys, ...rest } = advanced as Record<string, unknown>;
  const prompts = promptsFromForm(form.prompts, advancedPrompts, isPlainObject(previous?.prompts));
  if (prompts.kind === 'invalid') return prompts;
  const keys = keysFromForm(form.keys, advancedKeys, isPlainObject(previous?.keys));
  if (keys.kind === 'invalid') return keys;
  const shown = Object.keys(rest).filter(
    (key) => (FORM_FIELDS as readonly string[]).includes(key) || (key === 'variants' ? variantsFitForm(rest.variants) : (SECTION_FIELDS as readonly string[]).includes(key)),
  );
  if (shown.length) {
    return { kind: 'invalid', fields: [{ field: 'advanced', message: `set ${shown.join(', ')} in the form above, not here` }] };
  }
  const minutes = form.linkTtlMinutes.trim();
  if (minutes && !/^\d+$/.test(minutes)) {
    return { kind: 'invalid', fields: [{ field: 'linkTtlMinutes', message: 'must be a whole number of minutes' }] };
  }
  const hours = hoursFromForm(form.hours);
  if (hours.kind === 'invalid') return hours;
  const limits = limitsFromForm(form.limits, previous);
  const variants = variantsFromForm(form.variants, previous);
  const availability = availabilityFromForm(form.availability, previous);
  const sectionErrors = [limits, variants, availability].flatMap((r) => (r.kind === 'invalid' ? r.fields : []));
  if (sectionErrors.length) return { kind: 'invalid', fields: sectionErrors };
  if (rest.variants !== undefined && form.variants.rows.length) {
    return { kind: 'invalid', fields: [{ field: 'variants', message: 'are in the advanced settings: add them there, or empty them there to use these rows' }] };
  }
  const optional = (value: string) => (value.trim() ? value.trim() : undefined);
  const document: Record<string, unknown> = {
    ...(typeof previous?.$schema === 'string' ? { $schema: previous.$schema } : {}),
    id: form.id,
    name: form.name.trim(),
    // A file that left active out (on by default) keeps it out while it stays on, so an
    // edit in the form writes what the same edit through the API writes.
    active: previous && previous.active === undefined && form.active ? undefined : form.active,
    dnis: form.dnis
      .split(/[\n,]/)
      .map((d) => d.trim())
      .filter(Boolean),
    message: form.message,
    link: form.link.trim(),
    language: optional(form.language),
    country: optional(form.country)?.toUpperCase(),
    timeZone: optional(form.timeZone),
    hours: hours.hours,
    linkTtlMinutes: minutes ? Number(minutes) : undefined,
    gateway: optional(form.gateway),
    prompts: prompts.prompts,
    keys: keys.keys,
    availability: availability.kind === 'built' ? availability.availability : undefined,
    limits: limits.kind === 'built' ? limits.limits : undefined,
    variants: variants.kind === 'built' ? variants.variants : undefined,
    ...rest,
  };
  for (const key of Object.keys(document)) if (document[key] === undefined) delete document[key];
  return { kind: 'built', document };
}
