import type { FieldError } from '../../http/validation';

/**
 * The campaign form's DTMF keys, as selects instead of JSON: the offer's accept and
 * decline keys and the number confirmation's confirm and change keys. Each select starts
 * with "Default (1)": a key left at its default is not written, so a file that never
 * named its keys still does not after a save, and one that did keeps exactly what it said.
 * The rules ("accept and decline must differ") are the campaign schema's; its errors
 * (keys.decline, keys.change) come back beside the select they name.
 */

export const KEY_NAMES = ['accept', 'decline', 'confirm', 'change'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

/** Each key's value; '' is the default. */
export type KeysForm = Record<KeyName, string>;

export const KEY_DEFAULTS: KeysForm = { accept: '1', decline: '2', confirm: '1', change: '2' };

export const KEY_LABELS: Record<KeyName, string> = {
  accept: 'Accept the offer',
  decline: 'Decline the offer',
  confirm: 'Confirm the number',
  change: 'Use another number',
};

/** The keys a caller can press for an answer: the schema's DTMF keys (# ends a number). */
export const DTMF_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function keysFormFromBody(b: Record<string, unknown>): KeysForm {
  const value = (name: KeyName) => {
    const v = b[`keys.${name}`];
    return typeof v === 'string' ? v : '';
  };
  return { accept: value('accept'), decline: value('decline'), confirm: value('confirm'), change: value('change') };
}

/**
 * The keys of a campaign document, or, when the selects cannot show them exactly (not an
 * object, a name that is not a key, a value that is not a string), the JSON to keep in
 * advanced. A string that is not a DTMF key is shown, so the schema's error comes back beside it.
 */
export function keysFormFromDocument(keys: unknown): { form: KeysForm; advanced: Record<string, unknown> | undefined } {
  const form: KeysForm = { accept: '', decline: '', confirm: '', change: '' };
  if (keys === undefined) return { form, advanced: undefined };
  const shown =
    isObject(keys) &&
    Object.entries(keys).every(([name, value]) => (KEY_NAMES as readonly string[]).includes(name) && typeof value === 'string' && value !== '');
  if (!shown) return { form, advanced: { keys } };
  for (const name of KEY_NAMES) form[name] = typeof keys[name] === 'string' ? keys[name] : '';
  return { form, advanced: undefined };
}

/** Whether the advanced JSON holds the keys (they are then not in the selects). */
export function keysInAdvanced(advanced: string): boolean {
  try {
    const parsed: unknown = JSON.parse(advanced);
    return isObject(parsed) && Object.hasOwn(parsed, 'keys');
  } catch {
    return false;
  }
}

type Built = { kind: 'built'; keys: Record<string, unknown> | undefined } | { kind: 'invalid'; fields: FieldError[] };

/**
 * The document's `keys` (undefined: all defaults and the file had none). The advanced JSON
 * may hold keys only in a shape the selects cannot show.
 */
export function keysFromForm(form: KeysForm, fromAdvanced: unknown, hadKeys = false): Built {
  const chosen = Object.fromEntries(KEY_NAMES.filter((name) => form[name] !== '').map((name) => [name, form[name]]));
  if (fromAdvanced !== undefined) {
    if (Object.keys(chosen).length) return { kind: 'invalid', fields: [{ field: 'advanced', message: 'keys are both in the form above and here: keep one' }] };
    if (!keysFormFromDocument(fromAdvanced).advanced) return { kind: 'invalid', fields: [{ field: 'advanced', message: 'set keys in the form above, not here' }] };
    return { kind: 'built', keys: fromAdvanced as Record<string, unknown> };
  }
  return { kind: 'built', keys: Object.keys(chosen).length || hadKeys ? chosen : undefined };
}

/** The select beside which an error of the schema goes ("keys.decline"), unless the keys are in advanced. */
export function keysErrorKey(field: string, inAdvanced: boolean): string | undefined {
  const [head, name] = field.split('.');
  if (head !== 'keys' || inAdvanced) return undefined;
  return name && (KEY_NAMES as readonly string[]).includes(name) ? `keys.${name}` : 'keys.accept';
}
