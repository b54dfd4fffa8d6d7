import type { CountryCode } from 'libphonenumber-js';
import { defaultPromptsFor, PROMPT_NAMES, PROMPT_PLACEHOLDERS, type PromptName } from '../../campaigns/default-prompts';
import type { FieldError } from '../../http/validation';
import { mobileDigitsIn } from '../../mobile-digits';
import type { KeysForm } from './keys-form';

/**
 * The campaign form's prompts, as fields instead of JSON: for each prompt its parts, each
 * a text and an optional recorded audio URL. One part without audio is written as the
 * plain string, one with audio as { text, audio }, several as a list of those, which is
 * what people write in a file by hand, so a file opened and saved unchanged stays the same.
 *
 * A prompt whose shape these fields would rewrite ({ text } without audio, a list of one
 * part, a part { text } inside a list) is left in the advanced JSON, and the form says so
 * where its fields would be: saving must never change what a file says.
 *
 * An empty prompt means "the default": the default wording of the campaign's language is
 * its placeholder, worded with the campaign's keys and country as callers will hear it.
 * The wording rules (placeholders, required without defaults) are the campaign schema's;
 * its errors (prompts.offer, prompts.offer.1.audio...) come back beside the prompt.
 */

export interface PromptPartForm {
  text: string;
  audio: string;
}

export interface PromptsForm {
  /** The parts of each prompt shown in fields (none: the default). */
  parts: Record<PromptName, PromptPartForm[]>;
  /** Prompts kept in the advanced JSON, because the fields cannot show their shape. */
  kept: PromptName[];
}

/** What each prompt is for, as the form labels it. */
export const PROMPT_LABELS: Record<PromptName, string> = {
  offer: 'Offer (start of the call)',
  confirmAni: "Confirm the caller's number",
  enterNumber: 'Ask for a mobile number',
  readBack: 'Read the number back',
  invalidNumber: 'Not a mobile number',
  optedOut: 'Number opted out of texts',
  limitReached: 'Text limit reached',
  sent: 'Text sent',
  pending: 'Text on its way',
  failed: 'Text could not be sent',
  declined: 'Caller stays on the line',
  noInput: 'No key pressed',
  noMatch: 'Wrong key pressed',
};

/** What each placeholder becomes, for the list beside the prompts that may use one. */
export const PLACEHOLDER_MEANINGS: Record<string, string> = {
  lastFour: "the last four digits of the caller's number, digit by digit",
  number: 'the number the caller keyed, digit by digit',
};

/** Parts a prompt may have in the form; more is a hand-edited file's business. */
const MAX_PARTS = 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/** { text, audio } with both, and nothing else. */
const isAudioPart = (v: unknown): v is { text: string; audio: string } =>
  isObject(v) && Object.keys(v).length === 2 && isText(v.text) && isText(v.audio);

/** The parts of a prompt, if the fields show it exactly as written (see the module comment). */
export function partsOf(prompt: unknown): PromptPartForm[] | undefined {
  if (isText(prompt)) return [{ text: prompt, audio: '' }];
  if (isAudioPart(prompt)) return [{ text: prompt.text, audio: prompt.audio }];
  if (Array.isArray(prompt) && prompt.length >= 2 && prompt.length <= MAX_PARTS && prompt.every((p) => isText(p) || isAudioPart(p))) {
    return prompt.map((p) => (isText(p) ? { text: p, audio: '' } : { text: p.text, audio: p.audio }));
  }
  return undefined;
}

function emptyParts(): Record<PromptName, PromptPartForm[]> {
  return Object.fromEntries(PROMPT_NAMES.map((name) => [name, []])) as unknown as Record<PromptName, PromptPartForm[]>;
}

/** The prompts as posted: fields `prompts.<name>.<part>.text` and `.audio`, and the advanced JSON's. */
export function promptsFormFromBody(b: Record<string, unknown>, advanced: string): PromptsForm {
  const parts = emptyParts();
  const found: Record<string, Map<number, PromptPartForm>> = {};
  for (const [field, value] of Object.entries(b)) {
    const match = /^prompts\.([A-Za-z]+)\.(\d{1,2})\.(text|audio)$/.exec(field);
    if (!match || typeof value !== 'string') continue;
    const [, name = '', index = '', which = ''] = match;
    if (!(PROMPT_NAMES as readonly string[]).includes(name)) continue;
    const part = (found[name] ??= new Map()).get(Number(index)) ?? { text: '', audio: '' };
    part[which as 'text' | 'audio'] = value;
    found[name].set(Number(index), part);
  }
  for (const name of PROMPT_NAMES) {
    // Parts in their numbered order (a part removed by the script leaves a gap).
    parts[name] = [...(found[name] ?? new Map<number, PromptPartForm>()).entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  }
  return { parts, kept: keptIn(advanced) };
}

/** The prompts of a campaign document, and the overrides the fields cannot show (for the advanced JSON). */
export function promptsFormFromDocument(prompts: unknown): { form: PromptsForm; advanced: Record<string, unknown> | undefined } {
  const parts = emptyParts();
  if (prompts === undefined) return { form: { parts, kept: [] }, advanced: undefined };
  // Not an object at all (a hand-edited file): all of it stays JSON.
  if (!isObject(prompts)) return { form: { parts, kept: [] }, advanced: { prompts } };
  const kept: Record<string, unknown> = {};
  for (const [name, prompt] of Object.entries(prompts)) {
    const shown = (PROMPT_NAMES as readonly string[]).includes(name) ? partsOf(prompt) : undefined;
    if (shown) parts[name as PromptName] = shown;
    else kept[name] = prompt;
  }
  const names = Object.keys(kept);
  return {
    form: { parts, kept: PROMPT_NAMES.filter((n) => names.includes(n)) },
    advanced: names.length ? { prompts: kept } : undefined,
  };
}

/** The prompts the advanced JSON holds (its errors are documentFromForm's to report). */
function keptIn(advanced: string): PromptName[] {
  try {
    const parsed: unknown = JSON.parse(advanced);
    const prompts = isObject(parsed) ? parsed.prompts : undefined;
    return isObject(prompts) ? PROMPT_NAMES.filter((n) => Object.hasOwn(prompts, n)) : [];
  } catch {
    return [];
  }
}

type Built = { kind: 'built'; prompts: Record<string, unknown> | undefined } | { kind: 'invalid'; fields: FieldError[] };

/**
 * The document's `prompts` from the fields and what the advanced JSON holds of them
 * (undefined: none). Advanced may only hold the prompts the fields cannot show.
 * `hadPrompts`: the file had a prompts object, so an empty one is written back, not dropped.
 */
export function promptsFromForm(form: PromptsForm, fromAdvanced: unknown, hadPrompts = false): Built {
  if (fromAdvanced !== undefined && !isObject(fromAdvanced)) {
    return { kind: 'invalid', fields: [{ field: 'advanced', message: 'prompts must be a JSON object: { "offer": ... }' }] };
  }
  const inAdvanced = fromAdvanced ?? {};
  const errors: FieldError[] = [];
  const prompts: Record<string, unknown> = {};
  for (const name of PROMPT_NAMES) {
    const parts = form.parts[name].filter((p) => p.text.trim() || p.audio.trim());
    if (Object.hasOwn(inAdvanced, name)) {
      if (parts.length) errors.push({ field: 'advanced', message: `prompts.${name} is both in the form above and here: keep one` });
      else if (partsOf(inAdvanced[name])) errors.push({ field: 'advanced', message: `set prompts.${name} in the form above, not here` });
      else prompts[name] = inAdvanced[name];
      continue;
    }
    if (!parts.length) continue;
    const missing = parts.findIndex((p) => !p.text.trim());
    if (missing >= 0) {
      errors.push({ field: `prompts.${name}`, message: `${parts.length > 1 ? `Part ${missing + 1}: ` : ''}write its words too: they are spoken when the audio cannot be played` });
      continue;
    }
    const written = parts.map((p) => (p.audio.trim() ? { text: p.text.trim(), audio: p.audio.trim() } : p.text.trim()));
    prompts[name] = written.length === 1 ? written[0] : written;
  }
  // Names the schema does not know stay, so its "unrecognized key" error names them.
  for (const [name, prompt] of Object.entries(inAdvanced)) if (!(PROMPT_NAMES as readonly string[]).includes(name)) prompts[name] = prompt;
  if (errors.length) return { kind: 'invalid', fields: errors };
  return { kind: 'built', prompts: Object.keys(prompts).length || fromAdvanced !== undefined || hadPrompts ? prompts : undefined };
}

/** The field beside which an error of the schema goes ("prompts.offer"), if the fields show that prompt. */
export function promptErrorKey(field: string, form: PromptsForm): string | undefined {
  const [head, name] = field.split('.');
  if (head !== 'prompts' || !name || !(PROMPT_NAMES as readonly string[]).includes(name)) return undefined;
  return form.kept.includes(name as PromptName) ? undefined : `prompts.${name}`;
}

/** "Part 2, audio: " for prompts.offer.1.audio: which part of a prompt a message is about. */
export function promptErrorPrefix(field: string): string {
  const rest = field.split('.').slice(2);
  const index = rest.find((s) => /^\d+$/.test(s));
  const which = rest.includes('audio') ? 'audio' : rest.includes('text') ? 'words' : undefined;
  const part = index !== undefined ? `Part ${Number(index) + 1}` : undefined;
  const label = [part, which].filter(Boolean).join(', ');
  return label ? `${label.charAt(0).toUpperCase()}${label.slice(1)}: ` : '';
}

export interface PromptView {
  name: PromptName;
  label: string;
  parts: PromptPartForm[];
  /** In the advanced JSON instead of fields. */
  kept: boolean;
  /** What callers hear when the prompt is empty; undefined: the language has no defaults. */
  defaultText: string | undefined;
  placeholders: { name: string; meaning: string }[];
}

/** The prompts as the template shows them, with the defaults of the form's language, keys and country. */
export function promptViews(form: PromptsForm, context: { language: string; country: string; keys: KeysForm }): PromptView[] {
  const keys = {
    accept: context.keys.accept || '1',
    decline: context.keys.decline || '2',
    confirm: context.keys.confirm || '1',
    change: context.keys.change || '2',
  };
  const country = (context.country.trim() || 'US').toUpperCase();
  let mobileDigits: number | undefined;
  try {
    mobileDigits = /^[A-Z]{2}$/.test(country) ? mobileDigitsIn(country as CountryCode) : undefined;
  } catch {
    mobileDigits = undefined;
  }
  const defaults = defaultPromptsFor(context.language.trim() || 'en-US', { keys, mobileDigits });
  return PROMPT_NAMES.map((name) => ({
    name,
    label: PROMPT_LABELS[name],
    // One empty part at least, to type into.
    parts: form.parts[name].length ? form.parts[name] : [{ text: '', audio: '' }],
    kept: form.kept.includes(name),
    defaultText: defaults?.[name],
    placeholders: PROMPT_PLACEHOLDERS[name].map((p) => ({ name: p, meaning: PLACEHOLDER_MEANINGS[p] ?? '' })),
  }));
}
